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

}  // namespace forklab
