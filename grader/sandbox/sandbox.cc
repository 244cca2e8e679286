#include "sandbox/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/mount.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <utility>

#include "harness/confinement.h"
#include "harness/proc.h"
#include "harness/unique_fd.h"
#include "i18n/messages.h"
#include "sandbox/cgroup.h"
#include "sandbox/tree_copy.h"

namespace forklab {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<pid_t> running_init{0};
std::atomic<bool> interrupted{false};

constexpr size_t kConsoleLimit = 1 << 20;
// Files a build tree's tmpfs may hold (a build of every lab makes about 160); each costs
// memory beside the tmpfs's size, so a build that makes empty files in a loop meets this.
constexpr int kBuildTreeInodes = 16384;
// A build tree with less room left than this was filled to its cap.
constexpr uint64_t kBuildTreeSlack = 1 << 20;
constexpr size_t kReportLimit = 64 << 20;
// In the fallback the build writes the host's tree itself: how often its size is checked.
constexpr std::chrono::milliseconds kBuildTreeWatch{20};

struct Pipe {
  UniqueFd read, write;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("sandbox: pipe: ") + strerror(errno));
    read.Reset(fds[0]);
    write.Reset(fds[1]);
  }
};

int NamespaceFlags() {
  int flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC;
  // Root needs no user namespace, and keeping the real root lets the suite drop the program
  // under test to an unprivileged uid.
  if (geteuid() != 0) flags |= CLONE_NEWUSER;
  return flags;
}

// clone() with new namespaces, used like fork(): 0 in the child.
pid_t CloneInto(int flags) {
  return static_cast<pid_t>(
      syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

// Child side of a setup failure: one line to the parent, then out.
[[noreturn]] void Fail(int error_fd, const std::string& what) {
  std::string line = what + ": " + strerror(errno);
  [[maybe_unused]] ssize_t written = write(error_fd, line.data(), line.size());
  _exit(127);
}

bool WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  UniqueFd fd(open(fmt::format("/proc/{}/{}", pid, name).c_str(), O_WRONLY | O_CLOEXEC));
  return fd.get() >= 0 &&
         write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// Maps our uid and gid to themselves inside the child's new user namespace.
bool MapIdentity(pid_t child) {
  return WriteProcFile(child, "setgroups", "deny") &&
         WriteProcFile(child, "uid_map", fmt::format("{0} {0} 1\n", getuid())) &&
         WriteProcFile(child, "gid_map", fmt::format("{0} {0} 1\n", getgid()));
}

void BringLoopbackUp(int error_fd) {
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  struct ifreq request = {};
  strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (sock.get() < 0 || ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0)
    Fail(error_fd, "sandbox: loopback");
  request.ifr_flags |= IFF_UP;
  if (ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0) Fail(error_fd, "sandbox: loopback up");
}

void MountTmpfs(int error_fd, const std::string& target, const std::string& options,
                unsigned long flags = MS_NOSUID | MS_NODEV) {
  if (mount("tmpfs", target.c_str(), "tmpfs", flags, options.c_str()) != 0)
    Fail(error_fd, "sandbox: tmpfs on " + target);
}

// What every run sees of the system, read-only: programs, libraries, their configuration.
constexpr const char* kSystemPaths[] = {"/usr",   "/bin",    "/sbin",  "/lib",
                                        "/lib32", "/libx32", "/lib64", "/etc"};
// The devices a run has; nothing else of /dev (no terminal, no disk).
constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom"};
// Where the run's root is built before it becomes "/": the host's /tmp, covered by it in this
// mount namespace only.
constexpr char kNewRoot[] = "/tmp";

bool UnderSystemPath(const std::string& path) {
  return std::any_of(std::begin(kSystemPaths), std::end(kSystemPaths), [&](const char* dir) {
    return path == dir || path.starts_with(std::string(dir) + "/");
  });
}

// A path of the host, cloned (with what is mounted below it) as a detached mount while the
// host's tree is still in sight, to be placed in the run's root.
struct Shown {
  std::string path;
  UniqueFd tree;
};

// Clones `path`: read-only unless `writable`, never set-uid, device nodes only if `devices`.
Shown Clone(int error_fd, const std::string& path, bool writable, bool devices = false) {
  UniqueFd tree(static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, path.c_str(),
                                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
  if (tree.get() < 0) Fail(error_fd, "sandbox: show " + path);
  struct mount_attr attr = {};
  attr.attr_set =
      MOUNT_ATTR_NOSUID | (writable ? 0 : MOUNT_ATTR_RDONLY) | (devices ? 0 : MOUNT_ATTR_NODEV);
  attr.attr_clr = writable ? MOUNT_ATTR_RDONLY : 0;
  if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
              sizeof attr) != 0)
    Fail(error_fd, "sandbox: show " + path);
  return {path, std::move(tree)};
}

// Puts a clone at the same path in the run's root, making the directories on the way (0755,
// in the root's own tmpfs, so the way is open whatever the host's modes are).
void Place(int error_fd, const Shown& shown) {
  std::string target = kNewRoot + shown.path;
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(target).parent_path(), error);
  struct stat original = {};
  if (fstat(shown.tree.get(), &original) != 0) Fail(error_fd, "sandbox: show " + shown.path);
  if (S_ISDIR(original.st_mode))
    mkdir(target.c_str(), 0755);
  else
    close(open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (syscall(SYS_move_mount, shown.tree.get(), "", AT_FDCWD, target.c_str(),
              MOVE_MOUNT_F_EMPTY_PATH) != 0)
    Fail(error_fd, "sandbox: show " + shown.path);
}

// A minimal /dev: the harmless devices, /dev/fd and the standard streams, a private /dev/shm.
void MakeDev(int error_fd, const SandboxPolicy& policy, std::vector<Shown> devices) {
  std::string dev = std::string(kNewRoot) + "/dev";
  mkdir(dev.c_str(), 0755);
  MountTmpfs(error_fd, dev, "mode=0755,size=64k", MS_NOSUID | MS_NOEXEC);
  for (const Shown& device : devices) Place(error_fd, device);
  const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "fd"},
                                                       {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"},
                                                       {"/proc/self/fd/2", "stderr"}};
  for (const auto& [to, name] : links)
    if (symlink(to, (dev + "/" + name).c_str()) != 0)
      Fail(error_fd, "sandbox: /dev/" + std::string(name));
  std::string shm = dev + "/shm";
  mkdir(shm.c_str(), 01777);
  struct mount_attr read_only = {};
  read_only.attr_set = MOUNT_ATTR_RDONLY;
  if (syscall(SYS_mount_setattr, AT_FDCWD, dev.c_str(), 0, &read_only, sizeof read_only) != 0)
    Fail(error_fd, "sandbox: read-only /dev");
  MountTmpfs(error_fd, shm, fmt::format("mode=1777,size={}", policy.tmp_bytes));
}

// The mount namespace: the run's root is a fresh tmpfs holding, read-only, the system's
// directories and the paths the policy shows (the writable ones writable), a /proc of the
// run's PID namespace where a process sees only its own uid's processes, a minimal /dev and
// private size-capped /tmp and /dev/shm. Nothing else of the host is in sight.
// `host_build_tree`: the host's build tree, opened before the host's /tmp was covered (-1: none).
void SetUpMounts(const SandboxPolicy& policy, int error_fd, int host_build_tree = -1) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    Fail(error_fd, "sandbox: private mounts");
  std::vector<std::string> links;
  std::vector<Shown> shown, devices;
  for (const char* path : kSystemPaths) {
    struct stat info = {};
    if (lstat(path, &info) != 0) continue;
    if (S_ISLNK(info.st_mode))
      links.push_back(path);  // /bin -> usr/bin: the same link in the run
    else
      shown.push_back(Clone(error_fd, path, /*writable=*/false));
  }
  // Shorter paths first, so that a path shown inside another is placed on top of it.
  std::vector<std::pair<std::string, bool>> asked;
  for (const std::string& path : policy.view) asked.emplace_back(path, false);
  for (const std::string& path : policy.writable) asked.emplace_back(path, true);
  std::stable_sort(asked.begin(), asked.end(),
                   [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
  std::vector<Shown> views;
  for (const auto& [path, writable] : asked)
    if (writable || !UnderSystemPath(path)) views.push_back(Clone(error_fd, path, writable));
  for (const char* device : kDevices)
    devices.push_back(Clone(error_fd, std::string("/dev/") + device, /*writable=*/true,
                            /*devices=*/true));

  MountTmpfs(error_fd, kNewRoot, "mode=0755,size=1m");
  for (const std::string& link : links) {
    char to[PATH_MAX] = {};
    if (readlink(link.c_str(), to, sizeof to - 1) < 0 ||
        symlink(to, (kNewRoot + link).c_str()) != 0)
      Fail(error_fd, "sandbox: link " + link);
  }
  for (const Shown& system : shown) Place(error_fd, system);
  // A /proc of this PID namespace, where the program does not see the suite (another uid as
  // root), nor so its command line.
  std::string proc = std::string(kNewRoot) + "/proc";
  mkdir(proc.c_str(), 0555);
  if (mount("proc", proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible") !=
      0)
    Fail(error_fd, "sandbox: /proc");
  MakeDev(error_fd, policy, std::move(devices));
  std::string tmp = std::string(kNewRoot) + "/tmp";
  mkdir(tmp.c_str(), 01777);
  MountTmpfs(error_fd, tmp, fmt::format("mode=1777,size={}", policy.tmp_bytes));
  for (const Shown& view : views) Place(error_fd, view);
  if (host_build_tree >= 0) {
    // The build's own tree: a copy of the host's on a size-capped tmpfs, handed to the uid the
    // command runs as. A copy that does not fit starts incomplete; the build redoes the rest.
    std::string target = kNewRoot + policy.build_tree;
    std::error_code error;
    std::filesystem::create_directories(target, error);
    std::optional<uid_t> owner = policy.confinement ? policy.confinement->uid : std::nullopt;
    MountTmpfs(error_fd, target,
               fmt::format("mode=0755,size={},nr_inodes={}{}", policy.build_tree_bytes,
                           kBuildTreeInodes, owner ? fmt::format(",uid={0},gid={0}", *owner) : ""));
    SyncTree(fmt::format("/proc/self/fd/{}", host_build_tree), target, owner);
  }
  // Hidden directories inside what is shown look empty.
  for (const std::string& dir : policy.hide) {
    std::string target = kNewRoot + dir;
    if (access(target.c_str(), F_OK) != 0) continue;
    MountTmpfs(error_fd, target, "mode=0755,size=4k", MS_NOSUID | MS_NODEV | MS_RDONLY);
  }

  // The tmpfs becomes "/", and the host's root, detached, is out of reach.
  if (chdir(kNewRoot) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
      umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
    Fail(error_fd, "sandbox: pivot_root");
  struct mount_attr read_only = {};
  read_only.attr_set = MOUNT_ATTR_RDONLY;
  if (syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &read_only, sizeof read_only) != 0 ||
      chdir("/tmp") != 0)
    Fail(error_fd, "sandbox: read-only root");
}

// What a root suite still needs once its run is set up: to start programs as their uid,
// signal them, limit them (prlimit), watch their /proc entries and own their scratch
// directories. Mounting, networking, modules, raw devices and the rest are gone for good.
constexpr int kSuiteCapabilities[] = {CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                      CAP_FOWNER, CAP_KILL,         CAP_SETGID,
                                      CAP_SETUID, CAP_SYS_PTRACE,   CAP_SYS_RESOURCE};

// Drops every other capability from the bounding set (what an exec can ever grant), and the
// inheritable and ambient sets, which an exec would carry past it.
bool KeepOnlySuiteCapabilities() {
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap) >= 0; ++cap) {
    if (std::find(std::begin(kSuiteCapabilities), std::end(kSuiteCapabilities), cap) ==
            std::end(kSuiteCapabilities) &&
        prctl(PR_CAPBSET_DROP, cap) != 0)
      return false;
  }
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  for (auto& word : data) word.inheritable = 0;
  return syscall(SYS_capset, &header, data) == 0 &&
         prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0;
}

// Counts the processes of this PID namespace besides its init (us).
int CountOthers() {
  int count = 0;
  DIR* proc = opendir("/proc");
  if (!proc) return 0;
  while (dirent* entry = readdir(proc)) {
    int pid = atoi(entry->d_name);
    count += pid > 1;
  }
  closedir(proc);
  return count;
}

struct InitPipes {
  int sync_read, error_write, events_write, report_write, console_write, suite_exe, passed_file;
  int host_build_tree = -1;  // the host's build tree, for the copy back (-1: none)
};

// Once the command has ended: stops whatever it left (nothing may write the tree while it is
// copied), then copies the run's build tree back to the host's, opened as `host_tree` before
// the host's root went out of sight. False, copying nothing, when the run filled its tmpfs or
// the copy would write more than its size (hard links and sparse files are copied whole).
bool KeepBuildTree(const SandboxPolicy& policy, int host_tree) {
  kill(-1, SIGKILL);
  while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  struct statvfs room = {};
  if (statvfs(policy.build_tree.c_str(), &room) != 0 ||
      static_cast<uint64_t>(room.f_bavail) * room.f_frsize < kBuildTreeSlack ||
      room.f_favail == 0 || TreeBytes(policy.build_tree) > policy.build_tree_bytes)
    return false;
  SyncTree(policy.build_tree, fmt::format("/proc/self/fd/{}", host_tree));
  return true;
}

// pid 1 of the run (or, in the fallback, a subreaper): starts the suite as its child, reaps
// every orphan, and on the suite's exit reports its status and how many processes remained.
// Returning from here ends the PID namespace, which SIGKILLs everything left in it.
[[noreturn]] void RunInit(const SandboxPolicy& policy, const std::vector<std::string>& argv,
                          const InitPipes& fds) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  char go = 0;
  if (read(fds.sync_read, &go, 1) != 1) _exit(127);  // the sandbox died before releasing us
  // A session of its own: the run has no controlling terminal, so neither /dev/tty nor
  // TIOCSTI reaches the grader's. It is also the process group the fallback kills.
  if (setsid() < 0) Fail(fds.error_write, "sandbox: setsid");
  if (policy.namespaces) {
    BringLoopbackUp(fds.error_write);
    SetUpMounts(policy, fds.error_write, fds.host_build_tree);
  } else {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  prctl(PR_SET_NAME, "forklab-init");
  prctl(PR_SET_DUMPABLE, 0);
  if (policy.address_space_bytes > 0) {
    struct rlimit memory = {policy.address_space_bytes, policy.address_space_bytes};
    if (setrlimit(RLIMIT_AS, &memory) != 0) Fail(fds.error_write, "sandbox: address space limit");
  }

  std::vector<std::string> env_strings = {"HOME=/tmp"};
  for (char** variable = environ; *variable; ++variable) {
    std::string entry = *variable;
    if (AllowedInRun(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : policy.env) {
    std::erase_if(env_strings, [&](const std::string& s) { return s.starts_with(name + "="); });
    env_strings.push_back(name + "=" + value);
  }
  std::vector<char*> envp, args;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (std::string& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  pid_t suite = fork();
  if (suite < 0) Fail(fds.error_write, "sandbox: fork the suite");
  if (suite == 0) {
    // The suite gets 0 /dev/null, 1 and 2 the console, kReportFd the results, kPassedFileFd the
    // passed file. Every source is first copied above them, so that no dup2 lands on its own fd
    // (which would keep its close-on-exec flag); everything else closes at exec.
    auto lift = [](int fd) { return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 16); };
    int exe = lift(fds.suite_exe), error = lift(fds.error_write);
    int console = lift(fds.console_write), report = lift(fds.report_write);
    int passed = lift(fds.passed_file), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (exe < 0 || error < 0 || console < 0 || report < 0 || null < 0 ||
        (fds.passed_file >= 0 && passed < 0) || dup2(null, 0) < 0 || dup2(console, 1) < 0 ||
        dup2(console, 2) < 0 || dup2(report, kReportFd) < 0 ||
        (passed >= 0 && dup2(passed, kPassedFileFd) < 0))
      Fail(fds.error_write, "sandbox: suite's descriptors");
    syscall(SYS_close_range, kPassedFileFd + 1, ~0U, CLOSE_RANGE_CLOEXEC);
    if (passed < 0) close(kPassedFileFd);
    if (geteuid() == 0 && !KeepOnlySuiteCapabilities()) Fail(error, "sandbox: drop capabilities");
    if (policy.confinement) {
      if (int failed = ApplyConfinement(*policy.confinement)) {
        errno = failed;
        Fail(error, "sandbox: confine " + argv[0]);
      }
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    syscall(SYS_execveat, exe, "", args.data(), envp.data(), AT_EMPTY_PATH);
    Fail(error, "sandbox: exec " + argv[0]);
  }
  close(fds.report_write);
  close(fds.console_write);

  int suite_status = 0;
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid == suite) {
      suite_status = status;
      break;
    }
    if (pid < 0 && errno != EINTR) break;
  }
  int left = policy.namespaces ? CountOthers() : KillDescendants();
  bool capped =
      policy.namespaces && fds.host_build_tree >= 0 && !KeepBuildTree(policy, fds.host_build_tree);
  std::string summary = fmt::format("{} {} {}", suite_status, left, capped ? 1 : 0);
  [[maybe_unused]] ssize_t written = write(fds.events_write, summary.data(), summary.size());
  _exit(0);
}

std::string Probe() {
  Pipe error, sync;
  pid_t child = CloneInto(NamespaceFlags());
  if (child < 0) return fmt::format("cannot create namespaces ({})", strerror(errno));
  if (child == 0) {
    SandboxPolicy policy;
    char go = 0;
    if (read(sync.read.get(), &go, 1) != 1) _exit(127);
    BringLoopbackUp(error.write.get());
    SetUpMounts(policy, error.write.get());
    _exit(0);
  }
  bool mapped = !(NamespaceFlags() & CLONE_NEWUSER) || MapIdentity(child);
  [[maybe_unused]] ssize_t written = write(sync.write.get(), "g", 1);
  sync.write.Reset();
  error.write.Reset();
  int status = 0;
  waitpid(child, &status, 0);
  char reason[512] = {};
  [[maybe_unused]] ssize_t got = read(error.read.get(), reason, sizeof reason - 1);
  if (!mapped) return "cannot map the user namespace's uid";
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return reason[0] ? reason : "namespace setup failed";
  return "";
}

/// Reads what `fd` holds now into `text` (up to `limit`, the rest counted); false at EOF.
bool DrainInto(int fd, std::string* text, size_t limit, size_t* discarded) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      size_t keep = std::min<size_t>(n, limit > text->size() ? limit - text->size() : 0);
      text->append(buffer, keep);
      *discarded += n - keep;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

// The isolation in force for a run, as its check's result records it: the namespaces (or the
// fallback), the cgroup and its limits or why there is none, the address space limit that
// stands in for a memory cgroup, and the limits of the programs the suite starts (or of the
// command itself).
std::string DescribeIsolation(const SandboxPolicy& policy, const std::string& base,
                              const RunCgroup* cgroup, const std::string& no_cgroup) {
  std::string text = base;
  if (cgroup) {
    std::vector<std::string> limits;
    if (policy.max_processes > 0) limits.push_back(Tr("{} processes", policy.max_processes));
    if (policy.memory_bytes > 0 && cgroup->LimitsMemory())
      limits.push_back(Tr("memory {}", HumanBytes(policy.memory_bytes)));
    if (policy.cpus > 0) limits.push_back(Tr("{} CPUs", fmt::format("{:g}", policy.cpus)));
    text += fmt::format("; `{}`: {}", cgroup->Describe(), fmt::join(limits, ", "));
  } else {
    text += "; " + Tr("no cgroup: {}", no_cgroup);
  }
  if (policy.address_space_bytes > 0)
    text += "; " + Tr("address space {} per process", HumanBytes(policy.address_space_bytes));
  if (auto confine = policy.env.find(kConfineEnv); confine != policy.env.end()) {
    try {
      text += "; " + Tr("programs: {}", Confinement::Parse(confine->second).Describe());
    } catch (const std::invalid_argument&) {
      // The suite refuses a confinement it cannot parse; the run's result says so.
    }
  } else if (policy.confinement) {
    text += "; " + Tr("command: {}", policy.confinement->Describe());
  }
  return text;
}

std::string Seconds(std::chrono::milliseconds time) {
  double seconds = time.count() / 1000.0;
  return seconds == static_cast<int>(seconds) ? fmt::format("{} s", static_cast<int>(seconds))
                                              : fmt::format("{:.1f} s", seconds);
}

}  // namespace

bool AllowedInRun(const std::string& name) {
  return name == "PATH" || name == "TZ" || name == "LANG" || name.starts_with("LC_") ||
         name.starts_with("FORKLAB_");
}

const std::string& NamespacesRefused() {
  static const std::string reason = Probe();
  return reason;
}

void InterruptSandbox() {
  interrupted = true;
  if (pid_t init = running_init.load(); init > 0) kill(init, SIGKILL);
}

SandboxResult RunSandboxed(const SandboxPolicy& policy, const std::string& exe,
                           const std::vector<std::string>& args) {
  SandboxResult result;
  SandboxPolicy effective = policy;
  if (effective.namespaces && !NamespacesRefused().empty()) {
    effective.namespaces = false;
    result.fallback = true;
    result.isolation = Tr("fallback (process group, subreaper, rlimits): {}", NamespacesRefused());
  }
  if (!effective.namespaces && !result.fallback) {
    result.fallback = true;
    result.isolation = Tr("fallback (process group, subreaper, rlimits): namespaces switched off");
  }

  RunCgroup::RemoveStale();
  std::unique_ptr<RunCgroup> cgroup;
  std::string no_cgroup;
  if (effective.max_processes > 0 || effective.memory_bytes > 0 || effective.cpus > 0)
    cgroup = RunCgroup::Create(effective.max_processes > 0 ? effective.max_processes : 1 << 22,
                               effective.memory_bytes, effective.cpus, &no_cgroup);
  if (effective.memory_bytes > 0 && !(cgroup && cgroup->LimitsMemory()))
    effective.address_space_bytes =
        std::max<uint64_t>({effective.address_space_bytes, effective.memory_bytes,
                            static_cast<uint64_t>(kAddressSpaceFloor)});
  if (effective.namespaces)
    result.isolation =
        Tr("namespaces ({})", NamespaceFlags() & CLONE_NEWUSER ? "`user, pid, net, mount, ipc`"
                                                               : "`pid, net, mount, ipc`");
  result.isolation = DescribeIsolation(effective, result.isolation, cgroup.get(), no_cgroup);

  UniqueFd suite_exe(open(exe.c_str(), O_PATH | O_CLOEXEC));
  if (suite_exe.get() < 0)
    throw std::runtime_error("sandbox: cannot open " + exe + ": " + strerror(errno));
  UniqueFd passed_file;
  if (!policy.passed_file.empty()) {
    passed_file.Reset(open(policy.passed_file.c_str(), O_PATH | O_CLOEXEC));
    if (passed_file.get() < 0)
      throw std::runtime_error("sandbox: cannot open " + policy.passed_file + ": " +
                               strerror(errno));
  }
  // In the fallback the command writes the host's build tree itself: no tmpfs caps it, so the
  // tree is watched instead, and the run killed once it holds more than the tmpfs would.
  const bool watch_build_tree = !effective.namespaces && !policy.build_tree.empty();
  UniqueFd host_build_tree;
  if (effective.namespaces && !policy.build_tree.empty()) {
    host_build_tree.Reset(open(policy.build_tree.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (host_build_tree.get() < 0)
      throw std::runtime_error("sandbox: cannot open " + policy.build_tree + ": " +
                               strerror(errno));
  }
  Pipe sync, error, events, report, console;
  std::vector<std::string> argv = {exe};
  argv.insert(argv.end(), args.begin(), args.end());

  // In the fallback, daemons that escape init's process group come back to us.
  if (!effective.namespaces) prctl(PR_SET_CHILD_SUBREAPER, 1);
  pid_t init = effective.namespaces ? CloneInto(NamespaceFlags()) : fork();
  if (init < 0) throw std::runtime_error(std::string("sandbox: clone: ") + strerror(errno));
  if (init == 0) {
    RunInit(effective, argv,
            {sync.read.get(), error.write.get(), events.write.get(), report.write.get(),
             console.write.get(), suite_exe.get(), passed_file.get(), host_build_tree.get()});
  }
  running_init = init;
  Clock::time_point start = Clock::now();
  std::string setup_error;
  if (effective.namespaces && (NamespaceFlags() & CLONE_NEWUSER) && !MapIdentity(init))
    setup_error = "sandbox: cannot map the user namespace's uid";
  if (cgroup && !cgroup->Add(init)) setup_error = "sandbox: cannot move the run into its cgroup";
  if (setup_error.empty()) {
    [[maybe_unused]] ssize_t written = write(sync.write.get(), "g", 1);
  }
  sync.write.Reset();
  for (Pipe* pipe : {&error, &events, &report, &console}) pipe->write.Reset();
  for (Pipe* pipe : {&events, &report, &console}) fcntl(pipe->read.get(), F_SETFL, O_NONBLOCK);

  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, init, 0)));
  std::string summary;
  size_t report_discarded = 0, console_discarded = 0, ignored = 0;
  bool report_open = true, console_open = true, events_open = true, init_done = false;
  bool timed_out = false, tree_outgrown = false;
  Clock::time_point drain_deadline, next_tree_watch = start;
  while (!init_done || report_open || console_open || events_open) {
    int timeout_ms = init_done ? 100 : -1;
    if (effective.wall.count() > 0 && !timed_out && !init_done) {
      auto left =
          std::chrono::ceil<std::chrono::milliseconds>(start + effective.wall - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(left.count(), 0));
    }
    bool watching = watch_build_tree && !init_done && !tree_outgrown;
    if (watching) {
      int watch_ms = static_cast<int>(kBuildTreeWatch.count());
      timeout_ms = timeout_ms < 0 ? watch_ms : std::min(timeout_ms, watch_ms);
    }
    pollfd fds[] = {{report_open ? report.read.get() : -1, POLLIN, 0},
                    {console_open ? console.read.get() : -1, POLLIN, 0},
                    {events_open ? events.read.get() : -1, POLLIN, 0},
                    {init_done ? -1 : pidfd.get(), POLLIN, 0}};
    int ready = poll(fds, 4, timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    if (watching && Clock::now() >= next_tree_watch) {
      // Measured once a period, however much the build prints meanwhile.
      next_tree_watch = Clock::now() + kBuildTreeWatch;
      if (TreeExceeds(policy.build_tree, effective.build_tree_bytes, kBuildTreeInodes)) {
        tree_outgrown = true;
        kill(-init, SIGKILL);
        kill(init, SIGKILL);
        continue;
      }
    }
    if (ready == 0 && !timed_out && !init_done && effective.wall.count() > 0 &&
        Clock::now() >= start + effective.wall) {
      // The wall clock ran out: init's death takes the whole namespace (or, in the
      // fallback, its process group) with it.
      timed_out = true;
      kill(init, SIGKILL);
      if (!effective.namespaces) kill(-init, SIGKILL);
      result.events.push_back(
          {ContainmentEvent::Kind::kWallTime, Tr("killed: wall time {}", Seconds(effective.wall))});
      continue;
    }
    if (report_open && fds[0].revents)
      report_open = DrainInto(report.read.get(), &result.report, kReportLimit, &report_discarded);
    if (console_open && fds[1].revents)
      console_open =
          DrainInto(console.read.get(), &result.console, kConsoleLimit, &console_discarded);
    if (events_open && fds[2].revents)
      events_open = DrainInto(events.read.get(), &summary, 256, &ignored);
    if (!init_done && fds[3].revents) {
      int status = 0;
      waitpid(init, &status, 0);
      init_done = true;
      running_init = 0;
      // Whatever still holds a pipe dies here: with the namespace, in the cgroup, or (in the
      // fallback) among the orphans re-parented to us.
      if (cgroup) cgroup->KillAll();
      if (!effective.namespaces) KillDescendants();
      drain_deadline = Clock::now() + std::chrono::seconds(5);
    }
    if (init_done && Clock::now() > drain_deadline) break;
  }
  running_init = 0;
  if (interrupted)
    result.events.push_back(
        {ContainmentEvent::Kind::kInterrupted, Tr("interrupted: the grader was stopped")});

  char reason[512] = {};
  [[maybe_unused]] ssize_t got = read(error.read.get(), reason, sizeof reason - 1);
  if (!setup_error.empty()) throw std::runtime_error(setup_error);
  if (reason[0]) throw std::runtime_error(reason);

  int left = 0, capped = 0;
  if (sscanf(summary.c_str(), "%d %d %d", &result.suite_wait_status, &left, &capped) == 3)
    result.suite_exited = true;
  if (tree_outgrown) {
    // What the build wrote is given back to the disk: the tree is left empty, to be configured
    // again, as a build that met the tmpfs's cap leaves the tree as it was.
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(policy.build_tree, ignored))
      std::filesystem::remove_all(entry.path(), ignored);
  }
  result.build_tree_full = capped || tree_outgrown;
  if (result.build_tree_full)
    result.events.push_back(
        {ContainmentEvent::Kind::kLimit,
         Tr("the build wrote more than {}", HumanBytes(effective.build_tree_bytes))});
  if (cgroup) {
    CgroupEvents counted = cgroup->Events();
    if (counted.fork_refusals > 0)
      result.events.push_back({ContainmentEvent::Kind::kLimit,
                               Tr("killed: exceeded {} processes (fork refused {} times)",
                                  effective.max_processes, counted.fork_refusals)});
    if (counted.oom_kills > 0)
      result.events.push_back(
          {ContainmentEvent::Kind::kLimit,
           Tr("killed: exceeded {} of memory", HumanBytes(effective.memory_bytes))});
  }
  if (left > 0)
    result.events.push_back({ContainmentEvent::Kind::kLeftRunning,
                             left == 1 ? Tr("left 1 process running after exit: killed")
                                       : Tr("left {} processes running after exit: killed", left)});
  if (console_discarded > 0)
    result.events.push_back({ContainmentEvent::Kind::kNote,
                             Tr("suite console truncated at {} ({} discarded)",
                                HumanBytes(kConsoleLimit), HumanBytes(console_discarded))});
  if (report_discarded > 0) result.report.clear();  // a cut report is no report
  return result;
}

}  // namespace forklab
