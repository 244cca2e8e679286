#include "grading/containment_policy.h"

#include <fcntl.h>
#include <sys/file.h>
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

UidLease LeaseProgramUid(const std::filesystem::path& lease_dir) {
  mkdir(lease_dir.c_str(), 0755);
  struct stat info = {};
  if (lstat(lease_dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != 0 ||
      (info.st_mode & (S_IWGRP | S_IWOTH)))
    throw GradeRequestError("cannot lease a uid for the programs: " + lease_dir.string() +
                            " must be a directory that only root can write");
  uid_t first = getpid() % kProgramUidCount;
  for (uid_t i = 0; i < kProgramUidCount; ++i) {
    uid_t uid = kProgramUids + (first + i) % kProgramUidCount;
    std::string path = (lease_dir / (std::to_string(uid) + ".lock")).string();
    auto lock = std::make_shared<UniqueFd>(
        open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (lock->get() >= 0 && flock(lock->get(), LOCK_EX | LOCK_NB) == 0) return {uid, lock};
  }
  throw GradeRequestError("cannot lease a uid for the programs: all " +
                          std::to_string(kProgramUidCount) + " are in use by other gradings");
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
  // With a quota each check is a scheduling group of its own, capped: a thousand spinning
  // threads weigh as one grading against the gradings beside it.
  containment.cpus = limits.cpus;
  // What a suite needs at run time, and nothing else of the checkout (see protocol.h).
  containment.view = {layout.suites().string(), layout.fake_ping().string(),
                      layout.faults().string()};
  if (std::filesystem::path locale = layout.build / "locale"; std::filesystem::exists(locale))
    containment.view.push_back(locale.string());
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
    for (const std::filesystem::path& path : program_paths) {
      if (!OthersCanUse(path))
        throw GradeRequestError(
            path.string() + " is closed to other users, and programs never run as root: " +
            "let others read it (chmod o+rX " + path.string() + "), or grade a copy they can");
    }
    // A uid of this run's own: RLIMIT_NPROC then counts this run's programs and nothing else.
    plan.lease = LeaseProgramUid();
    program.uid = plan.lease.program;
    program.processes = limits.max_processes;
  } else {
    program.processes = ProcessesOf(getuid()) + limits.max_processes;
    program.address_space_bytes =
        std::max<rlim_t>(static_cast<rlim_t>(limits.memory_mib) << 20, rlim_t{2} << 30);
  }
  return plan;
}

bool OthersCanUse(const std::filesystem::path& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && (info.st_mode & S_IROTH) && (info.st_mode & S_IXOTH);
}

}  // namespace forklab
