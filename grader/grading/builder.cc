#include "grading/builder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <sstream>

#include "harness/subprocess.h"
#include "harness/unique_fd.h"
#include "i18n/messages.h"

namespace forklab {

namespace {

constexpr std::chrono::minutes kBuildTimeout{5};
// A compiler needs more than a program under test: memory for cc1plus, room in /tmp.
constexpr int kBuildMemoryMib = 2048;
constexpr int kBuildTmpMib = 512;
// ... and CPU time and file sizes beyond a program's: a compiler's objects carry debug
// information. A build that loops, or writes without end, still stops there.
constexpr rlim_t kBuildCpuSeconds = 300;
// The build tree is a tmpfs of this size in the run, not the disk (a build of every lab
// writes about 30 MiB): a build that writes files in a loop stops there, and its tree on disk
// stays as it was. One file may fill it.
constexpr int kBuildTreeMib = 256;
constexpr rlim_t kBuildFileSizeBytes = rlim_t{kBuildTreeMib} << 20;

// Makes the build tree and hands it to the uid the build runs as, if any (a root grader's
// program uid, which differs from run to run). Empty, or what failed.
std::string PrepareBuildTree(const std::filesystem::path& dir, std::optional<uid_t> uid) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return "cannot create " + dir.string() + ": " + error.message();
  if (!uid) return "";
  auto own = [uid](const std::filesystem::path& path) {
    return lchown(path.c_str(), *uid, *uid) == 0;
  };
  bool owned = own(dir);
  for (auto entry = std::filesystem::recursive_directory_iterator(dir, error);
       owned && !error && entry != std::filesystem::recursive_directory_iterator();
       entry.increment(error))
    owned = own(entry->path());
  if (!owned || error)
    return "cannot hand " + dir.string() + " to uid " + std::to_string(*uid) + ": " +
           (error ? error.message() : std::strerror(errno));
  return "";
}

}  // namespace

LabBuilder::LabBuilder(std::filesystem::path labs_dir, std::filesystem::path build_dir,
                       Containment containment, std::optional<std::filesystem::path> labkit)
    : labs_dir_(std::filesystem::absolute(labs_dir)),
      build_dir_(std::filesystem::absolute(build_dir)),
      containment_(std::move(containment)),
      labkit_(std::move(labkit)) {}

std::string LabBuilder::RunCmake(const std::vector<std::string>& args) {
  Containment containment = containment_;
  containment.memory_mib = std::max(containment.memory_mib, kBuildMemoryMib);
  containment.view.push_back(labs_dir_.string());  // of the submission's checkout, labs/ alone
  if (labkit_) containment.view.push_back(labkit_->string());
  std::vector<std::string> sandbox_args = containment.SandboxOptions();
  sandbox_args.insert(sandbox_args.end(),
                      {"--build-tree", build_dir_.string(), "--build-tree-mib",
                       std::to_string(kBuildTreeMib), "--tmp", std::to_string(kBuildTmpMib)});
  // Limited like a program (and, with no memory cgroup, the sandbox bounds its address space).
  Confinement build;
  build.uid = containment.program.uid;
  build.processes = containment.program.processes;
  build.cpu_seconds = std::max(containment.program.cpu_seconds.value_or(0), kBuildCpuSeconds);
  build.file_size_bytes =
      std::max(containment.program.file_size_bytes.value_or(0), kBuildFileSizeBytes);
  build.open_files = containment.program.open_files;
  if (!build.ToString().empty())
    sandbox_args.insert(sandbox_args.end(), {"--confine", build.ToString()});
  sandbox_args.insert(sandbox_args.end(), {"--", "/usr/bin/env", "cmake"});
  sandbox_args.insert(sandbox_args.end(), args.begin(), args.end());

  SandboxRun run = RunSandbox(containment.sandbox, sandbox_args, {}, kBuildTimeout);
  if (!run.failure.empty()) return run.failure;
  bool exited = run.result.suite_exited;
  int status = run.result.suite_wait_status;
  if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !run.result.build_tree_full)
    return "";
  // The compiler's message, then what the sandbox saw (a limit the build met), always kept.
  std::string log =
      run.result.console.empty() ? Tr("cmake failed") + "\n" : CompilerMessage(run.result.console);
  for (const ContainmentEvent& event : run.result.events) log += "(" + event.text + ")\n";
  return log;
}

LabBuild LabBuilder::Build(const std::string& lab) {
  LabBuild build;
  // Gradings of the same labs/ share this build tree (a student's second run, CI jobs side by
  // side), and each hands the tree to its own program uid: one builds at a time, and each
  // build first takes the tree back.
  std::lock_guard<std::mutex> this_grading(mutex_);
  std::error_code made;
  std::filesystem::create_directories(build_dir_.parent_path(), made);
  std::string lock_path = build_dir_.string() + ".lock";
  UniqueFd lock(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  int locked = -1;
  while (lock.get() >= 0 && (locked = flock(lock.get(), LOCK_EX)) == -1 && errno == EINTR) {
  }
  if (locked == -1) {
    build.log = "cannot lock " + lock_path + ": " + std::strerror(errno);
    return build;
  }
  if (!std::filesystem::exists(labs_dir_ / "CMakeLists.txt")) {
    build.log =
        Tr("configuring labs/ failed:") + "\n" + Tr("no CMakeLists.txt in {}", labs_dir_.string());
    return build;
  }
  if (std::string error = PrepareBuildTree(build_dir_, containment_.program.uid); !error.empty()) {
    build.log = Tr("configuring labs/ failed:") + "\n" + error;
    return build;
  }
  if (!configured_) {
    configured_ = true;
    // Always given, so a tree configured with the archive before forgets it when the kit changed.
    configure_error_ = RunCmake({"-S", labs_dir_.string(), "-B", build_dir_.string(),
                                 "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                                 "-DFORKLAB_LABKIT_ARCHIVE=" + (labkit_ ? labkit_->string() : "")});
  }
  if (!configure_error_.empty()) {
    build.log = Tr("configuring labs/ failed:") + "\n" + configure_error_;
    return build;
  }
  std::string error = RunCmake({"--build", build_dir_.string(), "--target", "labs_" + lab});
  if (!error.empty()) {
    build.log = error;
    return build;
  }
  build.ok = true;
  build.exe = (build_dir_ / "labs" / lab).string();
  return build;
}

std::string CompilerMessage(const std::string& log, size_t max_lines) {
  std::vector<std::string> lines = SplitLines(log);
  // Keep from the first error on: what precedes it is make's progress chatter.
  size_t first = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("error") != std::string::npos ||
        lines[i].find("Error") != std::string::npos) {
      first = i > 0 && lines[i - 1].find("In function") != std::string::npos ? i - 1 : i;
      break;
    }
  }
  std::ostringstream message;
  size_t end = std::min(lines.size(), first + max_lines);
  for (size_t i = first; i < end; ++i) message << lines[i] << '\n';
  if (end < lines.size()) message << Tr("({} more lines)", lines.size() - end) << "\n";
  return message.str();
}

}  // namespace forklab
