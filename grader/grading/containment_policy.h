// How a grading run contains its checks: the sandbox's limits and views, and the identity and
// limits of the program under test, decided once per run from the user's options.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "grading/check.h"
#include "grading/layout.h"
#include "harness/unique_fd.h"
#include "sandbox/protocol.h"

namespace forklab {

/// The limits a user asks for (see the README's Security section): per check (processes,
/// memory) and per program run (CPU, file size, open files, output kept).
struct ContainmentLimits {
  bool no_namespaces = false;  // use the fallback even where namespaces work
  int max_processes = 1024;
  int memory_mib = 512;
  double cpus = 0;  // CPU quota of one check, in cores; 0: none
  int cpu_seconds = 60;
  int file_size_mib = 64;
  int open_files = 1024;
  int output_mib = 4;
};

/// A root grader's program uid, leased for the life of the grading: no other grading on this
/// machine runs programs as it while the lease is held (an flock on a file of a root-owned
/// directory, which the kernel drops when the grader exits, however it exits).
struct UidLease {
  uid_t program = 0;
  std::shared_ptr<UniqueFd> lock;
};

/// Where the leases' lock files live: root's, closed to everyone else.
inline const std::filesystem::path kUidLeaseDir = "/run/forklab-uids";

/// Leases the first free uid of [kProgramUids, kProgramUids + kProgramUidCount), starting at
/// one chosen by our pid. Throws GradeRequestError when `lease_dir` is not root's alone or
/// every uid is leased.
UidLease LeaseProgramUid(const std::filesystem::path& lease_dir = kUidLeaseDir);

/// The containment of every check of a run, what contains it ("namespaces", or
/// "fallback: <why>"), and the warnings to show once before the first check.
struct ContainmentPlan {
  Containment containment;
  std::string isolation;
  std::vector<std::string> warnings;
  UidLease lease;  // a root grader's program uid, held while the plan lives
};

/// Asks `sandbox_exe` what this machine allows (ProbeAnswer). Throws GradeRequestError when it
/// cannot run or answers something else.
ProbeAnswer ProbeSandbox(const std::string& sandbox_exe);

/// The run's containment under `limits`, given the sandbox's `probe`. Every check sees the
/// suites, the fake ping, the fault profiles and the message catalogues of `layout` (and the
/// executable under test, added per check). A root grader runs the programs as a leased uid,
/// never as root: it refuses (GradeRequestError) when a path of `program_paths` is closed to
/// other users. A grader that is not root counts its own processes into the program's limit.
ContainmentPlan PlanContainment(const Layout& layout, const ContainmentLimits& limits,
                                const ProbeAnswer& probe,
                                const std::vector<std::filesystem::path>& program_paths);

/// Whether another uid (not root, none of our groups) can use what is at `path` once it is
/// shown in a run (the directories on the way are the run's own, open to all): read and run a
/// file, read and search a directory.
bool OthersCanUse(const std::filesystem::path& path);

}  // namespace forklab
