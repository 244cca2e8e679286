// Running a suite (and so the program under test it starts) inside fresh namespaces, with a
// cgroup around the whole run: forklab's containment of untrusted submissions.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/confinement.h"
#include "sandbox/protocol.h"

namespace forklab {

/// What a sandboxed run may use and see. The suite runs as pid 2 of a new PID namespace
/// (pid 1 is the sandbox's init, so when the run ends every process in it dies; init has a
/// session of its own, so no terminal is reachable), in a network namespace with only loopback
/// up, a user namespace when not root, and a mount namespace whose root is an allowlist: the
/// system's directories and `view` read-only, `writable`, a /proc of the run, a minimal /dev,
/// private /tmp and /dev/shm; nothing else of the host. Its environment is an allowlist too
/// (see AllowedInRun), plus `env`. Zero means no limit. A suite confines the programs it
/// starts itself; a command that is not a suite (a submission's build) is confined by the
/// sandbox, through `confinement`.
struct SandboxPolicy {
  std::chrono::milliseconds wall{0};  // the whole run, killed at the end of it
  int max_processes = 0;              // pids.max of the run's cgroup, the suite included
  uint64_t memory_bytes = 0;          // memory limit of the run's cgroup
  double cpus = 0;                    // CPU quota of the run's cgroup, in cores
  // RLIMIT_AS of every process of the run; RunSandboxed sets it (at least kAddressSpaceFloor)
  // where no memory cgroup holds `memory_bytes`, so a run never goes without a memory limit.
  uint64_t address_space_bytes = 0;
  uint64_t tmp_bytes = 64ull << 20;   // size of the private /tmp
  std::vector<std::string> view;      // absolute paths the run sees, read-only, as they are
  std::vector<std::string> hide;      // directories inside `view` the run sees empty
  std::vector<std::string> writable;  // directories the run sees and may write
  // A directory the run sees writable as a copy on a tmpfs of `build_tree_bytes`: the host's
  // is copied in before the command and replaced by the copy when it ends, unless the run
  // filled the tmpfs (its result then says the build wrote more than that). So a build cannot
  // fill the disk, and one that stops at the cap leaves the host's tree as it was. Without
  // namespaces the run writes the host's tree itself, measured every few milliseconds: one
  // that outgrows the cap is killed, said so the same way, and the tree emptied.
  std::string build_tree;
  uint64_t build_tree_bytes = 256ull << 20;
  std::optional<Confinement> confinement;  // applied to the command itself before its exec
  std::string passed_file;                 // given to the suite as kPassedFileFd (empty: none)
  std::map<std::string, std::string> env;  // set for the suite
  bool namespaces = true;                  // false: process group + subreaper + rlimits only
};

/// Whether the variable `name` of the grader's environment reaches a run: PATH, TZ, LANG,
/// LC_* and forklab's own (FORKLAB_*). HOME is the run's /tmp; nothing else passes (a CI
/// secret, a session bus address).
bool AllowedInRun(const std::string& name);

/// Empty when this machine lets the sandbox create its namespaces, else why not (probed by
/// trying, once per process).
const std::string& NamespacesRefused();

/// Runs `exe args...` under `policy` and waits for the end of the run. Throws
/// std::runtime_error when the run cannot be set up at all.
SandboxResult RunSandboxed(const SandboxPolicy& policy, const std::string& exe,
                           const std::vector<std::string>& args);

/// Ends the run in progress at once (async-signal-safe, for the sandbox's SIGINT/SIGTERM
/// handler); RunSandboxed then returns with an "interrupted" event.
void InterruptSandbox();

}  // namespace forklab
