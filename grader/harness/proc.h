// Reading processes, threads and sockets from /proc, and adopting orphans.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace forklab {

/// One process as /proc/<pid>/stat shows it at the moment of reading. Times in seconds.
struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
  pid_t sid = 0;
  uid_t uid = 0;     // the owner of /proc/<pid>: the process's effective uid
  char state = '?';  // 'R', 'S', 'Z', ...
  std::string comm;
  int threads = 0;
  double user = 0, system = 0;                    // the process itself
  double children_user = 0, children_system = 0;  // children it has waited for

  bool zombie() const { return state == 'Z'; }
};

/// nullopt when the process no longer exists.
std::optional<ProcStat> ReadProcStat(pid_t pid);
/// Every process in /proc at the moment of reading (one scan, for callers that need several
/// relations at once, like KillTree).
std::vector<ProcStat> ListProcesses();

/// Direct children of `pid` (found by scanning every process's ppid), zombies included.
std::vector<pid_t> ChildrenOf(pid_t pid);
/// Children, grandchildren, ... of `pid`.
std::vector<pid_t> DescendantsOf(pid_t pid);
/// Children of `pid` that have exited but not been reaped.
std::vector<pid_t> ZombieChildrenOf(pid_t pid);
/// Threads of `pid` (/proc/<pid>/task), or -1 when it no longer exists.
int ThreadCount(pid_t pid);
/// The process's argv, or empty when it no longer exists.
std::vector<std::string> Cmdline(pid_t pid);

/// The TCP sockets a process holds open, classified through /proc/<pid>/fd and
/// /proc/net/tcp{,6}: listening sockets, and connected ones (any other state).
struct TcpSockets {
  int listening = 0;
  int connected = 0;
};
TcpSockets TcpSocketsOf(pid_t pid);

/// Makes the calling process a child subreaper (PR_SET_CHILD_SUBREAPER), so that
/// descendants orphaned by a program under test are re-parented to it, seen and reaped.
void BecomeSubreaper();

/// Reaps zombie children of the calling process that no live Subprocess owns (orphans
/// adopted as subreaper), SIGKILLing live ones first when `kill_live` is set.
/// Returns the pids collected; `killed`, when not null, receives how many of them were still
/// running (a program's escaped daemons: the caller reports them).
std::vector<pid_t> ReapAdopted(bool kill_live, int* killed);

/// SIGKILLs every descendant of the calling process (a subreaper, so orphans come back to it)
/// and reaps them, round after round until none is left (bounded). Returns how many there
/// were at first.
int KillDescendants();

/// Children, grandchildren, ... of `pid` that are still running: DescendantsOf without the
/// zombies.
std::vector<pid_t> LiveDescendantsOf(pid_t pid);

/// Seconds of CPU `pid` has used so far, all its threads, user and system (children it waited
/// for left out); 0 when it no longer exists.
double CpuSeconds(pid_t pid);

/// True when every thread of `pid` is asleep (state S): blocked inside a call such as recv()
/// or poll(), not about to make one. False when it no longer exists.
bool AllThreadsAsleep(pid_t pid);

/// The descriptor number `pid`'s next open(), accept(), ... would get: its lowest unused one,
/// or -1 when it no longer exists. Not for the calling process, whose own reading of
/// /proc/self/fd takes a descriptor.
int LowestFreeFd(pid_t pid);

/// Children of `pid` that are still running: ChildrenOf without the zombies.
std::vector<pid_t> LiveChildrenOf(pid_t pid);
/// Direct children of `pid` as /proc shows them, zombies included, in one scan: for a caller
/// that samples their states together.
std::vector<ProcStat> StatsOfChildren(pid_t pid);

/// The bytes `pid` has passed to write(2) since it was forked (`wchar` in /proc/<pid>/io; the
/// kernel zeroes it at fork), or nullopt when that file cannot be read (gone, not permitted).
std::optional<long> WrittenBytes(pid_t pid);

/// The sleep `pid` is blocked in, in seconds, read from /proc/<pid>/syscall and, for the
/// request itself, /proc/<pid>/mem: a relative nanosleep or clock_nanosleep as requested; an
/// absolute one (TIMER_ABSTIME, as Python's time.sleep makes) as its deadline less the clock's
/// time now, i.e. the request less what has been slept already. nullopt when the process is
/// not blocked in either call or /proc cannot tell (gone, not permitted, no such calls here).
std::optional<double> SleepRequested(pid_t pid);

}  // namespace forklab
