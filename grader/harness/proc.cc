#include "harness/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "harness/owned_children.h"

namespace forklab {
namespace {

std::string ProcPath(pid_t pid, const char* entry) {
  return "/proc/" + std::to_string(pid) + "/" + entry;
}

/// The whole content of a (/proc) file, which reports no size, so it is read to EOF.
std::optional<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string content;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      if (n < 0) return std::nullopt;
      return content;
    }
    content.append(buffer, n);
  }
}

/// The names in `dir` that are numbers: pids in /proc, tids in task/, fds in fd/.
std::vector<long> NumericEntries(const std::string& dir, bool* opened = nullptr) {
  std::vector<long> numbers;
  DIR* stream = opendir(dir.c_str());
  if (opened) *opened = stream != nullptr;
  if (!stream) return numbers;
  while (dirent* entry = readdir(stream)) {
    long number = 0;
    const char* end = entry->d_name + strlen(entry->d_name);
    auto [rest, error] = std::from_chars(entry->d_name, end, number);
    if (error == std::errc() && rest == end) numbers.push_back(number);
  }
  closedir(stream);
  return numbers;
}

std::vector<ProcStat> ChildStatsOf(pid_t pid) {
  std::vector<ProcStat> children;
  for (ProcStat& process : ListProcesses()) {
    if (process.ppid == pid) children.push_back(std::move(process));
  }
  return children;
}

/// The inodes of the sockets among `pid`'s open file descriptors ("socket:[12345]").
std::set<unsigned long> SocketInodesOf(pid_t pid) {
  std::set<unsigned long> inodes;
  const std::string fd_dir = ProcPath(pid, "fd");
  for (long fd : NumericEntries(fd_dir)) {
    char target[64];
    ssize_t n = readlink((fd_dir + "/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    unsigned long inode = 0;
    if (sscanf(target, "socket:[%lu]", &inode) == 1) inodes.insert(inode);
  }
  return inodes;
}

/// Counts the rows of a /proc/net/tcp-format table whose inode is in `inodes`.
void CountTcpRows(const std::string& table, const std::set<unsigned long>& inodes,
                  TcpSockets* sockets) {
  constexpr const char* kListenState = "0A";
  std::istringstream rows(table);
  std::string row;
  std::getline(rows, row);  // the header
  while (std::getline(rows, row)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    std::istringstream fields(row);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    unsigned long inode = 0;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode)) {
      continue;
    }
    if (!inodes.count(inode)) continue;
    if (state == kListenState) {
      ++sockets->listening;
    } else {
      ++sockets->connected;
    }
  }
}

}  // namespace

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  std::optional<std::string> text = ReadFile(ProcPath(pid, "stat"));
  if (!text) return std::nullopt;
  // "pid (comm) state ppid ...": comm may itself hold spaces and parentheses, so it ends at the
  // last ')'.
  size_t open_paren = text->find('(');
  size_t close_paren = text->rfind(')');
  if (open_paren == std::string::npos || close_paren == std::string::npos) return std::nullopt;
  ProcStat stat;
  stat.pid = pid;
  stat.comm = text->substr(open_paren + 1, close_paren - open_paren - 1);
  std::istringstream fields(text->substr(close_paren + 1));
  long tty = 0, tpgid = 0, priority = 0, nice = 0;
  unsigned long flags = 0, minflt = 0, cminflt = 0, majflt = 0, cmajflt = 0;
  unsigned long utime = 0, stime = 0;
  long cutime = 0, cstime = 0;
  fields >> stat.state >> stat.ppid >> stat.pgid >> stat.sid >> tty >> tpgid >> flags >> minflt >>
      cminflt >> majflt >> cmajflt >> utime >> stime >> cutime >> cstime >> priority >> nice >>
      stat.threads;
  if (!fields) return std::nullopt;
  struct stat owner;
  if (::stat(("/proc/" + std::to_string(pid)).c_str(), &owner) != 0) return std::nullopt;
  stat.uid = owner.st_uid;
  static const double kTicksPerSecond = static_cast<double>(sysconf(_SC_CLK_TCK));
  stat.user = utime / kTicksPerSecond;
  stat.system = stime / kTicksPerSecond;
  stat.children_user = cutime / kTicksPerSecond;
  stat.children_system = cstime / kTicksPerSecond;
  return stat;
}

std::vector<ProcStat> ListProcesses() {
  std::vector<ProcStat> processes;
  for (long pid : NumericEntries("/proc")) {
    // A process may exit between the listing and the read; it is simply not there.
    if (std::optional<ProcStat> stat = ReadProcStat(static_cast<pid_t>(pid))) {
      processes.push_back(std::move(*stat));
    }
  }
  return processes;
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  for (const ProcStat& child : ChildStatsOf(pid)) children.push_back(child.pid);
  return children;
}

std::vector<pid_t> DescendantsOf(pid_t pid) {
  std::multimap<pid_t, pid_t> children_by_parent;
  for (const ProcStat& process : ListProcesses()) {
    children_by_parent.emplace(process.ppid, process.pid);
  }
  std::vector<pid_t> descendants;
  std::deque<pid_t> parents{pid};
  while (!parents.empty()) {
    auto [first, last] = children_by_parent.equal_range(parents.front());
    parents.pop_front();
    for (auto it = first; it != last; ++it) {
      descendants.push_back(it->second);
      parents.push_back(it->second);
    }
  }
  return descendants;
}

std::vector<pid_t> ZombieChildrenOf(pid_t pid) {
  std::vector<pid_t> zombies;
  for (const ProcStat& child : ChildStatsOf(pid)) {
    if (child.zombie()) zombies.push_back(child.pid);
  }
  return zombies;
}

int ThreadCount(pid_t pid) {
  bool opened = false;
  std::vector<long> tids = NumericEntries(ProcPath(pid, "task"), &opened);
  return opened ? static_cast<int>(tids.size()) : -1;
}

std::vector<std::string> Cmdline(pid_t pid) {
  std::vector<std::string> args;
  std::optional<std::string> text = ReadFile(ProcPath(pid, "cmdline"));
  if (!text) return args;
  // Each argument is NUL-terminated.
  size_t start = 0;
  for (size_t end; (end = text->find('\0', start)) != std::string::npos; start = end + 1) {
    args.push_back(text->substr(start, end - start));
  }
  return args;
}

TcpSockets TcpSocketsOf(pid_t pid) {
  TcpSockets sockets;
  std::set<unsigned long> inodes = SocketInodesOf(pid);
  if (inodes.empty()) return sockets;
  // /proc/net/tcp shows the reader's network namespace; /proc/<pid>/net/tcp shows the target's.
  for (const char* table : {"net/tcp", "net/tcp6"}) {
    if (std::optional<std::string> text = ReadFile(ProcPath(pid, table))) {
      CountTcpRows(*text, inodes, &sockets);
    }
  }
  return sockets;
}

void BecomeSubreaper() {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    throw std::system_error(errno, std::generic_category(), "prctl(PR_SET_CHILD_SUBREAPER)");
  }
}

std::vector<pid_t> ReapAdopted(bool kill_live, int* killed_live) {
  internal::OwnedChildren& owned = internal::owned_children();
  std::lock_guard<std::mutex> lock(owned.mutex);
  std::vector<pid_t> reaped;
  int killed = 0;
  // Killing an orphan hands its own children to us in turn, so go on until a round kills
  // nothing; the bound only guards against a tree that forks faster than we kill.
  constexpr int kMaxRounds = 100;
  for (int round = 0; round < kMaxRounds; ++round) {
    bool killed_any = false;
    for (const ProcStat& child : ChildStatsOf(getpid())) {
      if (owned.pids.count(child.pid)) continue;
      if (!child.zombie()) {
        if (!kill_live || kill(child.pid, SIGKILL) != 0) continue;
        killed_any = true;
        ++killed;
      }
      // Returns at once for a zombie, and as soon as the SIGKILL lands otherwise.
      pid_t result;
      while ((result = waitpid(child.pid, nullptr, 0)) < 0 && errno == EINTR) {
      }
      if (result == child.pid) reaped.push_back(child.pid);
    }
    if (!killed_any) break;
  }
  if (killed_live) *killed_live = killed;
  return reaped;
}

int KillDescendants() {
  int first = 0;
  for (int round = 0; round < 100; ++round) {
    std::vector<pid_t> left = DescendantsOf(getpid());
    if (left.empty()) break;
    if (round == 0) first = static_cast<int>(left.size());
    for (pid_t pid : left) kill(pid, SIGKILL);
    ReapAdopted(/*kill_live=*/false, /*killed=*/nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return first;
}

std::vector<pid_t> LiveDescendantsOf(pid_t pid) {
  std::vector<pid_t> live;
  for (pid_t descendant : DescendantsOf(pid)) {
    std::optional<ProcStat> stat = ReadProcStat(descendant);
    if (stat && !stat->zombie()) live.push_back(descendant);
  }
  return live;
}

std::vector<pid_t> LiveChildrenOf(pid_t pid) {
  std::vector<pid_t> live;
  for (const ProcStat& child : ChildStatsOf(pid)) {
    if (!child.zombie()) live.push_back(child.pid);
  }
  return live;
}

double CpuSeconds(pid_t pid) {
  std::optional<ProcStat> stat = ReadProcStat(pid);
  return stat ? stat->user + stat->system : 0;
}

bool AllThreadsAsleep(pid_t pid) {
  bool opened = false;
  std::vector<long> tids = NumericEntries(ProcPath(pid, "task"), &opened);
  if (!opened || tids.empty()) return false;
  for (long tid : tids) {
    std::optional<std::string> stat =
        ReadFile(ProcPath(pid, "task/") + std::to_string(tid) + "/stat");
    if (!stat) return false;  // the thread ended between the listing and the read
    // The state follows the command name, which ends at the last ')'.
    size_t name_end = stat->rfind(')');
    if (name_end == std::string::npos || stat->size() < name_end + 3) return false;
    if ((*stat)[name_end + 2] != 'S') return false;
  }
  return true;
}

int LowestFreeFd(pid_t pid) {
  bool opened = false;
  std::vector<long> open_fds = NumericEntries(ProcPath(pid, "fd"), &opened);
  if (!opened) return -1;
  std::set<long> taken(open_fds.begin(), open_fds.end());
  int fd = 0;
  while (taken.count(fd)) ++fd;
  return fd;
}

std::vector<ProcStat> StatsOfChildren(pid_t pid) {
  return ChildStatsOf(pid);
}

std::optional<long> WrittenBytes(pid_t pid) {
  std::optional<std::string> io = ReadFile(ProcPath(pid, "io"));
  if (!io) return std::nullopt;
  std::istringstream fields(*io);
  std::string key;
  long value = 0;
  while (fields >> key >> value) {
    if (key == "wchar:") return value;
  }
  return std::nullopt;
}

std::optional<double> SleepRequested(pid_t pid) {
#if defined(SYS_nanosleep) && defined(SYS_clock_nanosleep)
  // "<number> <arg1> ... <arg6> <sp> <pc>", the arguments in hex, while blocked in a call.
  std::optional<std::string> syscall = ReadFile(ProcPath(pid, "syscall"));
  if (!syscall) return std::nullopt;
  std::istringstream fields(*syscall);
  long number = -1;
  unsigned long long args[4] = {};
  if (!(fields >> number >> std::hex >> args[0] >> args[1] >> args[2] >> args[3]))
    return std::nullopt;
  clockid_t clock = CLOCK_MONOTONIC;
  bool absolute = false;
  unsigned long long request = 0;
  if (number == SYS_nanosleep) {
    request = args[0];
  } else if (number == SYS_clock_nanosleep) {
    clock = static_cast<clockid_t>(args[0]);
    absolute = (args[1] & TIMER_ABSTIME) != 0;
    request = args[2];
  } else {
    return std::nullopt;
  }
  timespec asked{};
  int mem = open(ProcPath(pid, "mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (mem < 0) return std::nullopt;
  ssize_t got = pread(mem, &asked, sizeof asked, static_cast<off_t>(request));
  close(mem);
  if (got != static_cast<ssize_t>(sizeof asked)) return std::nullopt;
  double seconds = static_cast<double>(asked.tv_sec) + static_cast<double>(asked.tv_nsec) / 1e9;
  if (!absolute) return seconds;
  timespec now{};
  if (clock_gettime(clock, &now) != 0) return std::nullopt;
  return seconds - (static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9);
#else
  (void)pid;
  return std::nullopt;
#endif
}

}  // namespace forklab
