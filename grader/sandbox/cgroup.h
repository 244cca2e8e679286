// A control group for one sandboxed run: a process limit and a memory limit that bind the
// whole tree, whatever it forks and whichever uid it runs as.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace forklab {

/// What the kernel counted against a run's limits.
struct CgroupEvents {
  uint64_t fork_refusals = 0;  // forks refused at pids.max
  uint64_t oom_kills = 0;      // processes killed at the memory limit
};

/// One cgroup (v2, or v1 pids + cpu + memory) made for a run and removed by Remove() or the
/// destructor, after killing whatever is still inside. Create() returns nullptr with a
/// reason when this machine does not let us make one (no controller, not writable). With the
/// cpu controller the run is one scheduling group, whatever its threads, capped at `cpus`
/// cores (0: no cap).
class RunCgroup {
 public:
  static std::unique_ptr<RunCgroup> Create(int max_processes, uint64_t memory_bytes, double cpus,
                                           std::string* why_not);
  ~RunCgroup();
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  /// Moves `pid` (and so everything it forks later) into the cgroup.
  bool Add(pid_t pid);
  CgroupEvents Events() const;
  /// SIGKILLs every process inside until none is left (bounded); returns how many it killed.
  int KillAll();
  /// "cgroup v1 pids+cpu+memory", "cgroup v2 pids+memory", ...
  std::string Describe() const;
  /// Whether the memory limit asked of Create() is in force.
  bool LimitsMemory() const { return has_memory_; }

  /// Removes cgroups of earlier runs whose grader died without removing them.
  static void RemoveStale();

 private:
  RunCgroup() = default;
  std::vector<std::string> dirs_;  // one per hierarchy (v1) or one (v2)
  bool v2_ = false;
  bool has_memory_ = false;
  bool has_cpu_ = false;
};

}  // namespace forklab
