#include "harness/faults.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness/confinement.h"
#include "harness/proc.h"
#include "harness/timeline.h"
#include "i18n/messages.h"
#include "paths/build_paths.h"

namespace forklab {

namespace {

// Set in the environment of every run started under faults (libfiu's seed): what tells such a
// run, and what it starts, from a check's unfaulted runs.
constexpr std::string_view kFaultSeedVariable = "FIU_PRNG_SEED";

// Located at configure time (CMake find_file), so a distribution's own layout is honoured.
constexpr const char* kRunPreload = FORKLAB_FIU_RUN_PRELOAD;
constexpr const char* kPosixPreload = FORKLAB_FIU_POSIX_PRELOAD;
// Ours (fiu_thread_preload.cc), built beside the grader.
const char* const kThreadPreload = build_paths::kFiuThreadPreload;

std::string FormatNumber(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// True when the ELF file has a PT_INTERP header, i.e. the dynamic loader (and so
// LD_PRELOAD) runs it. `why` explains a false.
bool DynamicElf(const std::string& path, std::string* why) {
  std::ifstream file(path, std::ios::binary);
  Elf64_Ehdr header{};
  if (!file.read(reinterpret_cast<char*>(&header), sizeof header) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    *why = path + " is neither an ELF executable nor a script";
    return false;
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64) {
    *why = path + " is a 32-bit executable, which the 64-bit libfiu cannot preload into";
    return false;
  }
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    file.seekg(static_cast<std::streamoff>(header.e_phoff + i * header.e_phentsize));
    if (!file.read(reinterpret_cast<char*>(&program), sizeof program)) break;
    if (program.p_type == PT_INTERP) return true;
  }
  *why = path + " is statically linked: libfiu's LD_PRELOAD cannot reach it";
  return false;
}

}  // namespace

namespace {

/// "posix/proc/fork fails with EAGAIN (random p=0.3)", for the timeline's marks.
std::string Describe(const std::vector<FaultPoint>& points) {
  std::string text;
  for (const FaultPoint& point : points) {
    const char* name = strerrorname_np(point.error);
    std::string error = name ? name : std::to_string(point.error);
    text += (text.empty() ? "" : "; ") +
            (point.when == FaultPoint::When::kRandom
                 ? Tr("{} fails with {} (random p={})", point.name, error, point.probability)
             : point.when == FaultPoint::When::kFromCall
                 ? Tr("{} fails with {} (from call {})", point.name, error, point.from_call)
                 : Tr("{} fails with {}", point.name, error));
  }
  return text;
}

}  // namespace

std::string FaultPoint::EnableCommand() const {
  std::string params = "name=" + name + ",failinfo=" + std::to_string(error);
  if (once) params += ",onetime";
  if (when == When::kRandom)
    return "enable_random " + params + ",probability=" + FormatNumber(probability);
  return "enable " + params;
}

bool FaultInjectionAvailable(std::string* why) {
  for (const char* library : {kRunPreload, kPosixPreload, kThreadPreload}) {
    if (!std::filesystem::exists(library)) {
      *why = std::string("fault injection is unavailable: ") + library + " is missing";
      return false;
    }
  }
  return true;
}

bool FaultsCanReach(const std::string& exe, std::string* why) {
  if (!FaultInjectionAvailable(why)) return false;
  std::ifstream file(exe, std::ios::binary);
  char magic[2] = {};
  if (!file.read(magic, 2)) {
    *why = "cannot read " + exe;
    return false;
  }
  if (magic[0] == '#' && magic[1] == '!') {
    std::string line;
    std::getline(file, line);
    std::istringstream words(line);
    std::string interpreter;
    words >> interpreter;
    // "#!/usr/bin/env python3": the real interpreter is env's argument, found on PATH.
    if (std::filesystem::path(interpreter).filename() == "env") return true;
    return DynamicElf(interpreter, why);
  }
  return DynamicElf(exe, why);
}

PreloadWatch::PreloadWatch(std::string exe) {
  std::error_code error;
  exe_ = std::filesystem::weakly_canonical(exe, error).string();
  thread_ = std::thread([this] {
    while (!stop_) {
      Sample();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
}

PreloadWatch::~PreloadWatch() {
  Stop();
}

std::string PreloadWatch::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return lost_;
}

void PreloadWatch::Sample() {
  if (!lost_.empty()) return;
  for (pid_t pid : LiveDescendantsOf(getpid())) {
    std::string proc = "/proc/" + std::to_string(pid);
    std::error_code error;
    if (std::filesystem::read_symlink(proc + "/exe", error).string() != exe_ || error) continue;
    // Only the runs started under faults: their fault variables stay when LD_PRELOAD is taken
    // out, while a check's own unfaulted run (a baseline beside the faulted one) has none.
    std::ifstream environ(proc + "/environ", std::ios::binary);
    std::string variables = std::string(1, '\0');  // each variable then starts after a NUL
    variables.append(std::istreambuf_iterator<char>(environ), {});
    if (variables.find('\0' + std::string(kFaultSeedVariable) + '=') == std::string::npos) continue;
    std::ifstream maps(proc + "/maps");
    // By its file name: the maps show the library's real path, links resolved.
    static const std::string preload_name =
        "/" + std::filesystem::path(kRunPreload).filename().string();
    bool libc = false, preload = false;
    for (std::string line; std::getline(maps, line);) {
      libc = libc || line.find("/libc.so") != std::string::npos ||
             line.find("/libc-") != std::string::npos;
      preload = preload || line.find(preload_name) != std::string::npos;
    }
    // An exec between the two reads shows another image's libraries: judge the same one only.
    if (libc && !preload && std::filesystem::read_symlink(proc + "/exe", error).string() == exe_) {
      lost_ = fmt::format("process {} of {} runs without the grader's LD_PRELOAD", pid, exe_);
      return;
    }
  }
}

void ApplyFaults(const FaultPlan& plan, const std::string& control_prefix, SpawnOptions* options) {
  std::string enable, from_call;
  for (const FaultPoint& point : plan.on_at_start ? plan.points : std::vector<FaultPoint>{}) {
    if (point.when == FaultPoint::When::kFromCall) {
      // libfiu has no "from the Nth call" mode: our preload counts calls for these.
      from_call += point.name + "," + std::to_string(point.from_call) + "," +
                   std::to_string(point.error) + ";";
    } else {
      enable += point.EnableCommand() + "\n";
    }
  }
  if (!enable.empty() || !from_call.empty())
    TimelineRecorder::Mark(Tr("faults injected from the start: {}", Describe(plan.points)));
  options->env["LD_PRELOAD"] =
      std::string(kRunPreload) + ":" + kPosixPreload + ":" + kThreadPreload;
  options->env["FIU_ENABLE"] = enable;
  options->env["FORKLAB_FIU_FROM_CALL"] = from_call;
  options->env[std::string(kFaultSeedVariable)] = std::to_string(plan.seed);
  options->env["FIU_CTRL_FIFO"] = plan.remote_control ? control_prefix : "";
}

FaultControl::FaultControl() {
  // The program creates its control fifos here, so it must be able to write.
  dir_ = MakeProgramScratchDir("forklab-fiu");
  prefix_ = dir_ + "/ctrl";
}

FaultControl::~FaultControl() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

FaultControl::Delivery FaultControl::Send(pid_t pid, const std::string& command,
                                          std::chrono::milliseconds timeout, std::string* error,
                                          const std::function<bool()>& running) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string base = prefix_ + "-" + std::to_string(pid);
  // The control thread opens its fifos shortly after the program starts; until then the
  // open fails (ENOENT, or ENXIO while no reader has the fifo open).
  int in = -1;
  while ((in = open((base + ".in").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    if (std::chrono::steady_clock::now() >= deadline || !running()) {
      *error = Tr("no libfiu control fifo for pid {}: {}", pid, strerrorname_np(errno));
      return Delivery::kNoControl;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Read the answer before asking: the thread may answer on the ends it still holds from the
  // previous command, as soon as it reads this one, and an answer nobody reads is lost (EPIPE).
  int out = open((base + ".out").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (out < 0) {
    *error = Tr("no libfiu reply fifo: {}", strerrorname_np(errno));
    close(in);
    return Delivery::kNoControl;
  }
  std::string line = command + "\n";
  bool written = write(in, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  close(in);
  if (!written) {
    *error = Tr("cannot write to the libfiu control fifo: {}", strerrorname_np(errno));
    close(out);
    return Delivery::kNoControl;
  }
  std::string reply;
  while (reply.find('\n') == std::string::npos && running()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd fd{out, POLLIN, 0};
    // In slices, to notice a program that ends before it answers.
    int ready = poll(&fd, 1, static_cast<int>(std::min<long>(left.count(), 50)));
    if (ready == 0) continue;
    if (ready < 0) break;
    char buffer[64];
    ssize_t n = read(out, buffer, sizeof buffer);
    if (n > 0) reply.append(buffer, static_cast<size_t>(n));
    // No writer yet (EOF on a fifo): the control thread has not answered; wait a little.
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  close(out);
  if (reply.empty()) {
    *error =
        Tr("libfiu's control thread did not answer '{}' within {} ms", command, timeout.count());
    return Delivery::kUnanswered;
  }
  if (reply.rfind("0", 0) != 0) {
    *error = Tr("libfiu refused '{}': {}", command, reply);
    return Delivery::kRefused;
  }
  TimelineRecorder::Mark(Tr("fault control: {}", command));
  return Delivery::kApplied;
}

}  // namespace forklab
