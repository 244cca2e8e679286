#include "grading/containment_policy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "grading/selection.h"
#include "harness/proc.h"
#include "harness/subprocess.h"

namespace forklab {
namespace {

// Processes (threads included) that uid `uid` runs now, which RLIMIT_NPROC counts too.
int ProcessesOf(uid_t uid) {
  int count = 0;
  for (const ProcStat& process : ListProcesses())
    if (process.uid == uid) count += process.threads;
  return count;
}

}  // namespace

ProbeAnswer ProbeSandbox(const std::string& sandbox_exe) {
  SpawnOptions options;
  options.args = {kProbeFlag};
  RunResult probe = Run(sandbox_exe, options, std::chrono::seconds(30));
  std::optional<ProbeAnswer> answer = ProbeAnswer::Parse(probe.out);
  if (!probe.status || !probe.status->ExitedWith(0) || !answer)
    throw GradeRequestError("cannot run " + sandbox_exe + ": " + probe.err);
  return *answer;
}

ContainmentPlan PlanContainment(const Layout& layout, const ContainmentLimits& limits,
                                const ProbeAnswer& probe,
                                const std::vector<std::filesystem::path>& program_paths) {
  ContainmentPlan plan;
  Containment& containment = plan.containment;
  containment.sandbox = layout.sandbox().string();
  containment.namespaces = !limits.no_namespaces;
  containment.max_processes = limits.max_processes;
  containment.memory_mib = limits.memory_mib;
  containment.keep = {layout.source.string(), layout.build.string()};
  ProbeAnswer effective = probe;
  if (limits.no_namespaces) effective.fallback = "namespaces switched off (--no-namespaces)";
  plan.isolation = effective.ToString();
  if (effective.fallback) {
    containment.namespaces = false;
    plan.warnings.push_back("containment is weaker here: " + *effective.fallback +
                            ". Checks run in a process group with a subreaper and rlimits only; "
                            "a hostile submission could reach the network, files and results.");
  }

  Confinement& program = containment.program;
  program.cpu_seconds = limits.cpu_seconds;
  program.file_size_bytes = static_cast<rlim_t>(limits.file_size_mib) << 20;
  program.open_files = limits.open_files;
  program.output_bytes = static_cast<size_t>(limits.output_mib) << 20;
  if (geteuid() == 0) {
    // A uid of this run's own: RLIMIT_NPROC then counts this run's programs and nothing else.
    uid_t uid = kProgramUids + getpid() % kProgramUidCount;
    if (std::all_of(program_paths.begin(), program_paths.end(), OthersCanRun)) {
      program.uid = uid;
      program.processes = limits.max_processes;
    } else {
      plan.warnings.push_back(
          "the program under test runs as root: a directory on the way to it "
          "is closed to other users (chmod o+x it to run programs as uid " +
          std::to_string(uid) + ")");
    }
  } else {
    program.processes = ProcessesOf(getuid()) + limits.max_processes;
  }
  if (!program.uid)
    program.address_space_bytes =
        std::max<rlim_t>(static_cast<rlim_t>(limits.memory_mib) << 20, rlim_t{2} << 30);
  return plan;
}

bool OthersCanRun(const std::filesystem::path& path) {
  struct stat info;
  mode_t needed = std::filesystem::is_directory(path) ? S_IXOTH : S_IROTH | S_IXOTH;
  if (stat(path.c_str(), &info) != 0 || (info.st_mode & needed) != needed) return false;
  for (std::filesystem::path dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (stat(dir.c_str(), &info) != 0 || !(info.st_mode & S_IXOTH)) return false;
    if (dir == dir.root_path()) break;
  }
  return true;
}

}  // namespace forklab
