#include "harness/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>
#include <utility>

// clang-format off
// Boost 1.81's Process v2 does not compile with BOOST_PROCESS_USE_STD_FS unless these two come
// first (boost/filesystem, left out then, used to pull them in).
#include <boost/optional.hpp>
#include <boost/type_traits/remove_pointer.hpp>
// Boost.Process v2, not v1: v2 waits through a pidfd and installs no SIGCHLD handler.
#include <boost/asio/io_context.hpp>
#include <boost/process/v2.hpp>
// clang-format on

#include "harness/confinement.h"
#include "harness/owned_children.h"
#include "harness/proc.h"
#include "harness/unique_fd.h"
#include "i18n/messages.h"

namespace forklab {
namespace {

namespace bp = boost::process::v2;
using Clock = std::chrono::steady_clock;
using Process = bp::basic_process<boost::asio::io_context::executor_type>;

/// A Boost.Process initializer giving the child the grader's environment minus `unset_env`, with
/// `env` on top. Boost 1.81's process_environment fails to link (boostorg/process#312), so this
/// sets the launcher's envp itself; it must outlive the launch.
class ChildEnvironment {
 public:
  explicit ChildEnvironment(const SpawnOptions& options) {
    for (char** entry = environ; *entry; ++entry) {
      std::string_view variable(*entry);
      std::string name(variable.substr(0, variable.find('=')));
      bool unset = std::find(options.unset_env.begin(), options.unset_env.end(), name) !=
                   options.unset_env.end();
      if (unset || options.env.count(name)) continue;
      entries_.emplace_back(variable);
    }
    for (const auto& [name, value] : options.env) entries_.push_back(name + "=" + value);
    for (const std::string& entry : entries_) pointers_.push_back(entry.c_str());
    pointers_.push_back(nullptr);
  }

  template <typename Launcher>
  boost::system::error_code on_setup(Launcher& launcher, const bp::filesystem::path&,
                                     const char* const*) {
    launcher.env = pointers_.data();
    return {};
  }

 private:
  std::vector<std::string> entries_;
  std::vector<const char*> pointers_;
};

/// A Boost.Process initializer run in the child between fork and exec (async-signal-safe calls
/// only). It puts the child in a process group of its own, so its tree can be signalled at once
/// (v2 in 1.81 has no process-group type). It also restores default signal dispositions and an
/// empty mask, which exec would otherwise inherit: a grader that ignores SIGPIPE must not hide a
/// program's SIGPIPE death.
struct ChildSetup {
  const Confinement& confinement;  // the caller's, alive until the launch returns

  template <typename Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const bp::filesystem::path&,
                                          const char* const*) {
    if (setpgid(0, 0) != 0) return {errno, boost::system::system_category()};
    struct sigaction default_action = {};
    default_action.sa_handler = SIG_DFL;
    // SIGKILL, SIGSTOP and libc's internal signals refuse this harmlessly.
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (int error = ApplyConfinement(confinement)) return {error, boost::system::system_category()};
    return {};
  }
};

ExitStatus StatusFromWait(int native_status) {
  ExitStatus status;
  if (WIFSIGNALED(native_status)) {
    status.signaled = true;
    status.signal = WTERMSIG(native_status);
  } else {
    status.code = WEXITSTATUS(native_status);
  }
  return status;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX));
}

/// One captured output stream: the read end of its pipe (closed at EOF) and what it delivered.
struct Stream {
  UniqueFd fd;
  std::string text;
  size_t discarded = 0;
};

// A flood cut short is a containment event the student report shows as such.
void TellTruncation(const std::function<void(const std::string&)>& on_truncated,
                    const Stream& stream, const char* name) {
  if (stream.discarded == 0 || !on_truncated) return;
  on_truncated(std::string(name) + " truncated at " + HumanBytes(stream.text.size()) + " (" +
               HumanBytes(stream.discarded) + " discarded)");
}

}  // namespace

struct Subprocess::Impl {
  // Boost.Process needs an executor, though nothing here ever runs asynchronously.
  boost::asio::io_context context;
  std::optional<Process> process;
  pid_t pid = -1;
  pid_t session = -1;  // the grader's session, which the child's process group shares
  UniqueFd pidfd;      // readable once the child has exited
  Stream out, err;
  size_t consumed = 0;  // how much of out.text ReadLine has returned
  size_t output_limit = 0;
  std::function<void(const std::string&)> on_truncated;
  std::optional<ExitStatus> status;
  Clock::time_point start, end;
  std::chrono::duration<double> cpu{0};

  void Keep(Stream& stream, const char* bytes, size_t size) {
    size_t room = output_limit > stream.text.size() ? output_limit - stream.text.size() : 0;
    size_t kept = std::min(room, size);
    stream.text.append(bytes, kept);
    stream.discarded += size - kept;
  }

  /// Reads what the pipe holds now, without blocking; closes it at EOF.
  void Drain(Stream& stream) {
    char buffer[65536];
    while (stream.fd.get() >= 0) {
      ssize_t n = read(stream.fd.get(), buffer, sizeof buffer);
      if (n > 0) {
        Keep(stream, buffer, n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {
        stream.fd.Reset();  // EOF, or an error that ends the stream just the same
      }
    }
  }

  /// Records the exit of the child, which has exited (or is about to). Its CPU time is read
  /// while it is still a zombie, since reaping erases it; then Boost reaps it.
  void CollectExit() {
    siginfo_t info = {};
    int waited;
    while ((waited = waitid(P_PID, pid, &info, WEXITED | WNOWAIT)) != 0 && errno == EINTR) {
    }
    if (waited != 0) {
      throw std::runtime_error("pid " + std::to_string(pid) +
                               " was reaped behind the harness's back (waitpid(-1) or "
                               "SIGCHLD ignored?)");
    }
    if (std::optional<ProcStat> zombie = ReadProcStat(pid)) {
      cpu = std::chrono::duration<double>(zombie->user + zombie->system + zombie->children_user +
                                          zombie->children_system);
    }
    end = Clock::now();
    boost::system::error_code error;
    process->wait(error);
    status = StatusFromWait(process->native_exit_code());
    // Once reaped, the pid may be reused: Boost must never wait on or kill it again.
    process->detach();
    pidfd.Reset();
    internal::OwnedChildren& owned = internal::owned_children();
    std::lock_guard<std::mutex> lock(owned.mutex);
    owned.pids.erase(pid);
  }

  /// Drains output and watches for the exit until `done()` holds or `deadline` passes.
  template <typename Done>
  bool PumpUntil(Clock::time_point deadline, Done done) {
    for (;;) {
      if (done()) return true;
      pollfd watched[3];
      Stream* sources[3];  // the stream each entry drains; nullptr for the pidfd
      nfds_t count = 0;
      for (Stream* stream : {&out, &err}) {
        if (stream->fd.get() < 0) continue;
        sources[count] = stream;
        watched[count++] = {stream->fd.get(), POLLIN, 0};
      }
      if (!status) {
        sources[count] = nullptr;
        watched[count++] = {pidfd.get(), POLLIN, 0};
      }
      if (count == 0) return false;  // nothing left that could make done() true
      int ready = poll(watched, count, RemainingMs(deadline));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) throw std::system_error(errno, std::generic_category(), "poll");
      if (ready == 0) {
        if (Clock::now() >= deadline) return false;
        continue;
      }
      for (nfds_t i = 0; i < count; ++i) {
        if (!watched[i].revents) continue;
        if (sources[i]) {
          Drain(*sources[i]);
        } else {
          CollectExit();
        }
      }
    }
  }

  bool HasLine() const { return out.text.find('\n', consumed) != std::string::npos; }

  /// The processes KillTree must end: the child until it is reaped, the members of its process
  /// group, and every descendant of those, found by ppid (so those that left with setsid too).
  std::vector<pid_t> TreeMembers() {
    // Until the leader is reaped its pid pins the group id. After that, the group is still ours
    // while it has members; the id could only name another group after pid reuse, which would
    // hand the same number to another live Subprocess (counted twice) or to a process outside
    // the grader's session.
    bool group_is_ours = !status;
    if (!group_is_ours) {
      internal::OwnedChildren& owned = internal::owned_children();
      std::lock_guard<std::mutex> lock(owned.mutex);
      group_is_ours = owned.groups.count(pid) == 1;
    }
    std::multimap<pid_t, pid_t> children_by_parent;
    std::deque<pid_t> roots;
    for (const ProcStat& process : ListProcesses()) {
      children_by_parent.emplace(process.ppid, process.pid);
      bool in_group = group_is_ours && process.pgid == pid && process.sid == session;
      if ((!status && process.pid == pid) || in_group) roots.push_back(process.pid);
    }
    std::set<pid_t> members(roots.begin(), roots.end());
    while (!roots.empty()) {
      auto [first, last] = children_by_parent.equal_range(roots.front());
      roots.pop_front();
      for (auto it = first; it != last; ++it) {
        if (members.insert(it->second).second) roots.push_back(it->second);
      }
    }
    members.erase(getpid());
    return {members.begin(), members.end()};
  }

  /// Stops every member of the tree, rescanning until no new one appears, and returns them. A
  /// stopped process can neither fork nor, by dying, hand its children to init before we have
  /// seen them.
  std::vector<pid_t> FreezeTree() {
    std::set<pid_t> frozen;
    for (bool found_new = true; found_new;) {
      found_new = false;
      for (pid_t member : TreeMembers()) {
        if (frozen.insert(member).second) {
          kill(member, SIGSTOP);
          found_new = true;
        }
      }
    }
    return {frozen.begin(), frozen.end()};
  }

  /// Waits, through a pidfd each, until every killed process has exited; bounded, so a process
  /// stuck in the kernel cannot hang the grader.
  static void AwaitExit(const std::vector<pid_t>& killed) {
    constexpr auto kPatience = std::chrono::seconds(10);
    Clock::time_point deadline = Clock::now() + kPatience;
    for (pid_t victim : killed) {
      UniqueFd victim_fd(static_cast<int>(syscall(SYS_pidfd_open, victim, 0)));
      if (victim_fd.get() < 0) continue;  // already gone
      pollfd exited = {victim_fd.get(), POLLIN, 0};
      while (poll(&exited, 1, RemainingMs(deadline)) < 0 && errno == EINTR) {
      }
    }
  }

  /// Reaps the killed processes that were re-parented to us (when we are a subreaper): we
  /// killed them, so their exit status is ours to collect.
  void ReapAdoptedVictims(const std::vector<pid_t>& killed) {
    internal::OwnedChildren& owned = internal::owned_children();
    std::lock_guard<std::mutex> lock(owned.mutex);
    for (pid_t victim : killed) {
      if (victim != pid && !owned.pids.count(victim)) waitpid(victim, nullptr, WNOHANG);
    }
  }
};

std::string ExitStatus::Describe() const {
  if (!signaled) return Tr("exit {}", code);
  const char* abbreviation = sigabbrev_np(signal);  // nullptr for real-time signals
  if (!abbreviation) return Tr("killed by signal {}", signal);
  return Tr("killed by SIG{} (signal {})", abbreviation, signal);
}

Subprocess::Subprocess() : impl_(std::make_unique<Impl>()) {}

std::unique_ptr<Subprocess> Subprocess::Start(const std::string& exe, const SpawnOptions& options) {
  std::unique_ptr<Subprocess> subprocess(new Subprocess);
  Impl& impl = *subprocess->impl_;
  impl.output_limit = options.output_limit;
  impl.on_truncated = options.on_truncated;
  impl.session = getsid(0);

  // O_CLOEXEC: a child forked meanwhile by another thread must not inherit a write end and hold
  // off our EOF. The read ends are non-blocking, so draining never stalls.
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("cannot start " + exe + ": pipe: " + strerror(errno));
  }
  UniqueFd out_write(out_pipe[1]);
  impl.out.fd.Reset(out_pipe[0]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("cannot start " + exe + ": pipe: " + strerror(errno));
  }
  UniqueFd err_write(err_pipe[1]);
  impl.err.fd.Reset(err_pipe[0]);
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);

  ChildEnvironment environment(options);
  bp::posix::default_launcher launcher;
  boost::system::error_code error;
  impl.start = Clock::now();
  {
    // Held from fork to registration, so ReapAdopted never takes the new child for an orphan.
    internal::OwnedChildren& owned = internal::owned_children();
    std::lock_guard<std::mutex> lock(owned.mutex);
    Process process =
        launcher(impl.context.get_executor(), error, bp::filesystem::path(exe), options.args,
                 bp::process_stdio{nullptr, out_write.get(), err_write.get()}, environment,
                 ChildSetup{options.confinement});
    if (error) {
      // The launcher forgets a child whose exec failed; reap it here.
      if (launcher.pid > 0) waitpid(launcher.pid, nullptr, 0);
      throw std::runtime_error("cannot start " + exe + ": " + error.message());
    }
    impl.process.emplace(std::move(process));
    impl.pid = impl.process->id();
    owned.pids.insert(impl.pid);
    owned.groups.insert(impl.pid);
    // Our own pidfd: Boost 1.81 holds one but cannot hand it out (native_handle() does not
    // compile). The child is unreaped, so its pid cannot have been reused yet.
    impl.pidfd.Reset(static_cast<int>(syscall(SYS_pidfd_open, impl.pid, 0)));
  }
  if (impl.pidfd.get() < 0) {
    // The destructor kills and reaps the child.
    throw std::runtime_error("cannot watch " + exe + ": pidfd_open: " + strerror(errno));
  }
  return subprocess;
}

Subprocess::~Subprocess() {
  if (impl_->pid <= 0) return;  // Start failed before the child existed
  try {
    KillTree();
  } catch (const std::exception&) {
    // Only when someone else reaped our child; nothing is left to kill then.
  }
  TellTruncation(impl_->on_truncated, impl_->out, "stdout");
  TellTruncation(impl_->on_truncated, impl_->err, "stderr");
  internal::OwnedChildren& owned = internal::owned_children();
  std::lock_guard<std::mutex> lock(owned.mutex);
  owned.groups.erase(owned.groups.find(impl_->pid));
  owned.pids.erase(impl_->pid);
}

pid_t Subprocess::pid() const {
  return impl_->pid;
}

std::optional<std::string> Subprocess::ReadLine(std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  impl.PumpUntil(Clock::now() + timeout, [&] { return impl.HasLine() || impl.out.fd.get() < 0; });
  if (!impl.HasLine()) return std::nullopt;
  size_t newline = impl.out.text.find('\n', impl.consumed);
  std::string line = impl.out.text.substr(impl.consumed, newline - impl.consumed);
  impl.consumed = newline + 1;
  return line;
}

std::optional<ExitStatus> Subprocess::Wait(std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  impl.PumpUntil(Clock::now() + timeout, [&] { return impl.status.has_value(); });
  if (impl.status) {
    // Everything the process wrote before exiting is in the pipes by now.
    impl.Drain(impl.out);
    impl.Drain(impl.err);
  }
  return impl.status;
}

void Subprocess::Signal(int sig) {
  if (!impl_->status) kill(impl_->pid, sig);
}

void Subprocess::KillTree() {
  Impl& impl = *impl_;
  // Each round ends every process found; another round runs only if something escaped it.
  constexpr int kMaxRounds = 10;
  for (int round = 0; round < kMaxRounds; ++round) {
    std::vector<pid_t> tree = impl.FreezeTree();
    if (tree.empty()) break;
    if (!impl.status) kill(-impl.pid, SIGKILL);
    for (pid_t member : tree) kill(member, SIGKILL);
    Impl::AwaitExit(tree);
    if (!impl.status) impl.CollectExit();
    impl.ReapAdoptedVictims(tree);
  }
  impl.Drain(impl.out);
  impl.Drain(impl.err);
}

const std::string& Subprocess::stdout_text() const {
  return impl_->out.text;
}
const std::string& Subprocess::stderr_text() const {
  return impl_->err.text;
}
std::vector<std::string> Subprocess::StdoutLines() const {
  return SplitLines(impl_->out.text);
}
size_t Subprocess::stdout_discarded() const {
  return impl_->out.discarded;
}
size_t Subprocess::stderr_discarded() const {
  return impl_->err.discarded;
}
std::optional<ExitStatus> Subprocess::status() const {
  return impl_->status;
}

std::chrono::duration<double> Subprocess::wall_time() const {
  return (impl_->status ? impl_->end : Clock::now()) - impl_->start;
}

std::chrono::duration<double> Subprocess::cpu_time() const {
  return impl_->cpu;
}

std::vector<std::string> RunResult::Lines() const {
  return SplitLines(out);
}

RunResult Run(const std::string& exe, const SpawnOptions& options,
              std::chrono::milliseconds timeout) {
  std::unique_ptr<Subprocess> subprocess = Subprocess::Start(exe, options);
  std::optional<ExitStatus> status = subprocess->Wait(timeout);
  if (!status) subprocess->KillTree();
  return ResultOf(*subprocess, status);
}

RunResult ResultOf(const Subprocess& program, std::optional<ExitStatus> status) {
  RunResult result;
  result.status = status;
  result.out = program.stdout_text();
  result.err = program.stderr_text();
  result.wall_time = program.wall_time();
  result.cpu_time = program.cpu_time();
  return result;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t newline = text.find('\n', start);
    if (newline == std::string::npos) newline = text.size();
    lines.push_back(text.substr(start, newline - start));
    start = newline + 1;
  }
  return lines;
}

}  // namespace forklab
