// The echo server contract (fork_echo_server, thread_echo_server), checked from outside.
//
// Every test starts its own server with --port 0 and a fixed-offset TZ, reads the port from
// its `listening on` line, and talks to it over loopback. Waits are bounded by generous
// timeouts that only a broken server ever reaches; the contract's own limits (quit closes
// within 1 s, no zombie outlives its client by 1 s, SIGTERM exits within 2 s) are used as
// stated. The fork_ and thread_ checks skip on the other variant.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/confinement.h"
#include "harness/fault_profile.h"
#include "harness/faults.h"
#include "harness/proc.h"
#include "harness/subprocess.h"
#include "harness/tcp_client.h"
#include "harness/unique_fd.h"
#include "suites/suite.h"

namespace forklab {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kStartTimeout = 5s;
constexpr milliseconds kConnectTimeout = 5s;
// A correct server answers in microseconds; only a stuck or serial one gets near this.
constexpr milliseconds kReplyTimeout = 5s;
// The contract's limits.
constexpr milliseconds kQuitCloseLimit = 1s;
constexpr milliseconds kReapLimit = 1s;
constexpr milliseconds kShutdownLimit = 2s;
// EOF has no stated limit; a server that ignores EOF never closes at all.
constexpr milliseconds kEofCloseTimeout = 3s;
constexpr size_t kMaxLine = 64 * 1024;
constexpr int kManyClients = 200;
constexpr int kMinBacklog = 128;

// ---- Waiting --------------------------------------------------------------------------------

/// A time limit shared by several waits, so N waits in a row cost one timeout in all.
class Deadline {
 public:
  explicit Deadline(milliseconds budget) : end_(Clock::now() + budget) {}
  milliseconds Remaining() const {
    return std::max(0ms, std::chrono::duration_cast<milliseconds>(end_ - Clock::now()));
  }

 private:
  Clock::time_point end_;
};

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
bool Eventually(milliseconds timeout, const std::function<bool()>& condition) {
  Deadline deadline(timeout);
  for (;;) {
    if (condition()) return true;
    if (deadline.Remaining() == 0ms) return condition();
    std::this_thread::sleep_for(10ms);
  }
}

// ---- Text -----------------------------------------------------------------------------------

/// `bytes` in double quotes with control bytes escaped, shortened when long, for messages.
std::string Quoted(std::string_view bytes) {
  constexpr size_t kShown = 60;
  std::string out = "\"";
  for (char c : bytes.substr(0, kShown)) {
    if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : escaped;
    }
  }
  out += "\"";
  if (bytes.size() > kShown) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

// ---- Time zones -----------------------------------------------------------------------------

/// A fixed-offset POSIX time zone, e.g. TZ "FLT-05:04:03" for UTC+05:04:03.
struct FixedZone {
  std::string tz;
  long offset = 0;  // seconds east of UTC

  /// The zone's local "HH:MM:SS" at `when`.
  std::string HhMmSs(std::time_t when) const {
    std::time_t shifted = when + offset;
    std::tm fields{};
    gmtime_r(&shifted, &fields);
    char text[16];
    std::strftime(text, sizeof text, "%H:%M:%S", &fields);
    return text;
  }
};

/// The zone in which the local clock reads `target` (seconds after midnight) right now.
/// Offsets to the second are valid POSIX TZ syntax, and pin every field of the local time.
FixedZone ZoneWhereNowIs(long target) {
  constexpr long kDay = 24 * 3600;
  long offset = ((target - std::time(nullptr) % kDay) % kDay + kDay) % kDay;
  if (offset > kDay / 2) offset -= kDay;  // within +-12 h, which every TZ parser accepts
  long size = std::labs(offset);
  char tz[32];
  // POSIX counts offsets west of Greenwich as positive: UTC+5 is "FLT-5".
  std::snprintf(tz, sizeof tz, "FLT%c%02ld:%02ld:%02ld", offset >= 0 ? '-' : '+', size / 3600,
                size / 60 % 60, size % 60);
  return {tz, offset};
}

long SecondsOfDay(int hours, int minutes, int seconds) {
  return hours * 3600L + minutes * 60L + seconds;
}

/// A zone where it is 17:47 now (19:47 when UTC's hour is 17): local time is not UTC, and
/// its hour reads differently on a 12-hour clock.
FixedZone AfternoonZone() {
  int utc_hour = static_cast<int>(std::time(nullptr) % (24 * 3600) / 3600);
  return ZoneWhereNowIs(SecondsOfDay(utc_hour == 17 ? 19 : 17, 47, 20));
}

// ---- Replies --------------------------------------------------------------------------------

/// Checks that `reply` is "[HH:MM:SS] <line>" (24-hour, zero-padded) and stores HH:MM:SS.
testing::AssertionResult IsReplyTo(const std::string& reply, std::string_view line,
                                   std::string* stamp = nullptr) {
  static const std::regex kStamp(R"(^\[([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\] )");
  constexpr size_t kStampSize = 11;  // "[HH:MM:SS] "
  std::string head = reply.substr(0, kStampSize);
  if (!std::regex_match(head, kStamp)) {
    return testing::AssertionFailure()
           << "reply " << Quoted(reply) << " does not start with a zero-padded 24-hour \"["
           << "HH:MM:SS] \" timestamp";
  }
  std::string_view echoed = std::string_view(reply).substr(kStampSize);
  if (echoed != line) {
    auto mismatch = std::mismatch(echoed.begin(), echoed.end(), line.begin(), line.end());
    return testing::AssertionFailure()
           << "the reply echoes " << Quoted(echoed) << " instead of " << Quoted(line)
           << " (they differ from byte " << (mismatch.first - echoed.begin()) << "; "
           << echoed.size() << " bytes echoed, " << line.size() << " expected)";
  }
  if (stamp) *stamp = reply.substr(1, 8);
  return testing::AssertionSuccess();
}

/// Reads the client's next reply and checks that it echoes `line`.
testing::AssertionResult RepliesWith(LineClient& client, std::string_view line,
                                     std::string* stamp = nullptr,
                                     milliseconds timeout = kReplyTimeout) {
  std::optional<std::string> reply = client.ReadLine(timeout);
  if (!reply) {
    return testing::AssertionFailure() << "no reply line within " << timeout.count()
                                       << " ms; expected \"[HH:MM:SS] \"+" << Quoted(line);
  }
  return IsReplyTo(*reply, line, stamp);
}

/// Checks that the server closes the connection within `timeout` without sending anything.
testing::AssertionResult ClosesSilently(LineClient& client, milliseconds timeout) {
  std::string data;
  switch (client.WaitForClose(timeout, &data)) {
    case LineClient::Closed::kEof:
      return testing::AssertionSuccess();
    case LineClient::Closed::kData:
      return testing::AssertionFailure()
             << "expected the connection to close without a reply, but got " << Quoted(data);
    case LineClient::Closed::kTimeout:
      break;
  }
  return testing::AssertionFailure()
         << "the connection was still open " << timeout.count() << " ms later (no EOF)";
}

/// Runs a function when it goes out of scope, on every path out of a test.
class OnScopeExit {
 public:
  explicit OnScopeExit(std::function<void()> action) : action_(std::move(action)) {}
  ~OnScopeExit() { action_(); }
  OnScopeExit(const OnScopeExit&) = delete;
  OnScopeExit& operator=(const OnScopeExit&) = delete;

 private:
  std::function<void()> action_;
};

/// Checks that the server closes the connection within `timeout`, whatever it sent first.
testing::AssertionResult Closes(LineClient& client, milliseconds timeout) {
  Deadline deadline(timeout);
  LineClient::Closed closed;
  while ((closed = client.WaitForClose(deadline.Remaining())) == LineClient::Closed::kData) {
  }
  if (closed == LineClient::Closed::kEof) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << "the connection was still open " << timeout.count() << " ms later (no EOF)";
}

/// Children, grandchildren, ... of `pid` that are still running (zombies left out).
std::vector<pid_t> LiveDescendantsOf(pid_t pid) {
  std::vector<pid_t> live;
  for (pid_t descendant : DescendantsOf(pid)) {
    std::optional<ProcStat> stat = ReadProcStat(descendant);
    if (stat && !stat->zombie()) live.push_back(descendant);
  }
  return live;
}

// ---- Raw sockets, for bursts that must not wait on each other -------------------------------

/// Starts a non-blocking connect to 127.0.0.1:port; the socket, or -1.
UniqueFd StartConnect(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd.get() < 0) return fd;
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    return UniqueFd();
  }
  return fd;
}

/// How many of `sockets` have completed their connect (writable, no pending error).
int CountConnected(const std::vector<UniqueFd>& sockets) {
  std::vector<pollfd> watched;
  for (const UniqueFd& fd : sockets) watched.push_back({fd.get(), POLLOUT, 0});
  poll(watched.data(), watched.size(), 0);
  int connected = 0;
  for (const pollfd& entry : watched) {
    int error = 0;
    socklen_t size = sizeof error;
    if ((entry.revents & POLLOUT) &&
        getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0) {
      ++connected;
    }
  }
  return connected;
}

/// Reads every socket until the server closes it or the deadline passes; what each received.
std::vector<std::string> ReadAllUntilClosed(const std::vector<UniqueFd>& sockets,
                                            milliseconds timeout) {
  std::vector<std::string> received(sockets.size());
  std::vector<bool> open(sockets.size(), true);
  Deadline deadline(timeout);
  for (;;) {
    std::vector<pollfd> watched;
    std::vector<size_t> index;
    for (size_t i = 0; i < sockets.size(); ++i) {
      if (open[i]) {
        watched.push_back({sockets[i].get(), POLLIN, 0});
        index.push_back(i);
      }
    }
    if (watched.empty() || deadline.Remaining() == 0ms) return received;
    if (poll(watched.data(), watched.size(), static_cast<int>(deadline.Remaining().count())) < 0) {
      continue;  // EINTR
    }
    for (size_t k = 0; k < watched.size(); ++k) {
      if (!watched[k].revents) continue;
      char chunk[4096];
      ssize_t n = recv(watched[k].fd, chunk, sizeof chunk, 0);
      if (n > 0)
        received[index[k]].append(chunk, static_cast<size_t>(n));
      else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        open[index[k]] = false;
    }
  }
}

// ---- Processes ------------------------------------------------------------------------------

/// Seconds of CPU the process has used so far (all its threads).
double CpuSeconds(pid_t pid) {
  std::optional<ProcStat> stat = ReadProcStat(pid);
  return stat ? stat->user + stat->system : 0;
}

/// True when every thread of `pid` is asleep (state S): blocked inside a call such as recv()
/// or poll(), not about to make one.
bool AllThreadsAsleep(pid_t pid) {
  std::error_code error;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", error);
  if (error) return false;
  for (const auto& task : tasks) {
    std::ifstream file(task.path() / "stat");
    std::string stat(std::istreambuf_iterator<char>(file), {});
    size_t name_end = stat.rfind(')');  // the state follows the command name in parentheses
    if (name_end == std::string::npos || stat.size() < name_end + 3) return false;
    if (stat[name_end + 2] != 'S') return false;
  }
  return true;
}

/// The descriptor number the process's next open(), accept(), ... would get.
int LowestFreeFd(pid_t pid) {
  std::set<int> open;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    open.insert(std::stoi(entry.path().filename().string()));
  }
  int fd = 0;
  while (open.count(fd)) ++fd;
  return fd;
}

// ---- Fixtures -------------------------------------------------------------------------------

/// One server under test per test, started with --port 0 unless a test says otherwise.
class EchoServer : public testing::Test {
 protected:
  // Two hundred clients, their server sockets and the suite's pipes exceed a soft limit of 1024
  // on some machines.
  static void SetUpTestSuite() {
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 8192);
    setrlimit(RLIMIT_NOFILE, &files);
  }

  void TearDown() override {
    server_.reset();                  // kills and reaps the server's whole tree
    ReapAdopted(/*kill_live=*/true);  // and whatever it orphaned
  }

  /// Starts the server under test with `args` in `zone`, and reads its startup line.
  testing::AssertionResult StartServer(std::vector<std::string> args = {"--port", "0"},
                                       const FixedZone& zone = AfternoonZone()) {
    SpawnOptions options;
    options.args = std::move(args);
    options.env["TZ"] = zone.tz;
    return Launch(options);
  }

  /// Starts the server with the failure points of a switched `profile` loaded but off, for
  /// SwitchFaults to turn on and off while it runs.
  testing::AssertionResult StartServerUnderFaults(const FaultProfile& profile) {
    if (!profile.plan.remote_control) {
      return testing::AssertionFailure()
             << "this check needs a switched fault profile (switched = true), not "
             << profile.Explain();
    }
    fault_profile_ = profile;
    fault_control_ = std::make_unique<FaultControl>();
    SpawnOptions options;
    options.args = {"--port", "0"};
    options.env["TZ"] = AfternoonZone().tz;
    ApplyFaults(profile.plan, fault_control_->prefix(), &options);
    return Launch(options);
  }

  /// Turns every failure point of the server's profile on or off.
  testing::AssertionResult SwitchFaults(bool on) {
    for (const FaultPoint& point : fault_profile_.plan.points) {
      std::string error;
      std::string command = on ? point.EnableCommand() : "disable name=" + point.name;
      if (!fault_control_->Send(server_pid(), command, 5s, &error)) {
        return testing::AssertionFailure() << error;
      }
    }
    return testing::AssertionSuccess();
  }

  /// Starts `options` and reads the startup line.
  testing::AssertionResult Launch(const SpawnOptions& options) {
    try {
      server_ = Subprocess::Start(ExeUnderTest(), options);
    } catch (const std::exception& e) {
      return testing::AssertionFailure() << e.what();
    }
    std::optional<std::string> line = server_->ReadLine(kStartTimeout);
    static const std::regex kListening(R"(^listening on ([0-9.]+):([0-9]+)$)");
    std::smatch match;
    if (!line || !std::regex_match(*line, match, kListening)) {
      std::optional<ExitStatus> status = server_->Wait(100ms);
      return testing::AssertionFailure()
             << "expected the first stdout line \"listening on ADDR:PORT\" within "
             << kStartTimeout.count() << " ms, got "
             << (line ? Quoted(*line) : std::string("nothing"))
             << (status ? "; the server ended: " + status->Describe() : "")
             << "; stderr: " << Quoted(server_->stderr_text());
    }
    listening_address_ = match[1];
    long port = std::stol(match[2]);
    if (port <= 0 || port > 65535) {
      return testing::AssertionFailure() << "the startup line names port " << port;
    }
    port_ = static_cast<uint16_t>(port);
    return testing::AssertionSuccess();
  }

  pid_t server_pid() const { return server_->pid(); }

  /// A new client; on failure the test fails with the reason and gets nullopt.
  std::optional<LineClient> Connect(const std::string& host = "127.0.0.1") {
    std::string error;
    std::optional<LineClient> client = LineClient::Connect(port_, kConnectTimeout, &error, host);
    if (!client) ADD_FAILURE() << error;
    return client;
  }

  /// True while the server process is still running (its output is drained meanwhile).
  bool ServerRunning() { return !server_->Wait(0ms).has_value(); }

  /// Waits up to `timeout` for the server to print anything on stderr.
  bool StderrGrows(size_t from, milliseconds timeout) {
    Deadline deadline(timeout);
    while (server_->stderr_text().size() <= from && deadline.Remaining() > 0ms) {
      if (server_->Wait(std::min(deadline.Remaining(), milliseconds(50)))) break;
    }
    return server_->stderr_text().size() > from;
  }

  /// Checks a new client still gets a reply, and the server process still runs.
  testing::AssertionResult StillServing() {
    if (!ServerRunning()) {
      return testing::AssertionFailure() << "the server died: " << server_->status()->Describe()
                                         << "; stderr: " << Quoted(server_->stderr_text());
    }
    std::string error;
    std::optional<LineClient> client = LineClient::Connect(port_, kConnectTimeout, &error);
    if (!client) return testing::AssertionFailure() << "the server no longer accepts: " << error;
    if (!client->Send("still there?\n")) return testing::AssertionFailure() << "send failed";
    return RepliesWith(*client, "still there?");
  }

  /// Starts the server under switched `profile` (faults off) and serves `bystander` one line.
  /// Returns once the server is quiet again: the fault is process-wide, and the bystander's
  /// session, back in recv() (which allocates nothing), must not meet it.
  testing::AssertionResult StartWithBystander(const FaultProfile& profile,
                                              std::optional<LineClient>* bystander) {
    if (testing::AssertionResult started = StartServerUnderFaults(profile); !started)
      return started;
    *bystander = Connect();
    if (!*bystander) return testing::AssertionFailure() << "the first client could not connect";
    if (!(*bystander)->Send("before\n")) return testing::AssertionFailure() << "send failed";
    if (testing::AssertionResult replied = RepliesWith(**bystander, "before"); !replied)
      return replied;
    Eventually(2s, [&] { return AllThreadsAsleep(server_pid()); });
    return testing::AssertionSuccess();
  }

  /// Under a switched `profile` that breaks one kind of call (fork, thread creation, recv,
  /// send): while it is on, a new client's connection must be closed and the failure
  /// reported; a client served before, and new clients once it is off, must be served.
  void CheckSurvivesFault(const FaultProfile& profile, const std::string& call) {
    std::optional<LineClient> bystander;
    ASSERT_TRUE(StartWithBystander(profile, &bystander));
    ASSERT_TRUE(SwitchFaults(true));
    size_t stderr_before = server_->stderr_text().size();
    std::optional<LineClient> victim = Connect();
    ASSERT_TRUE(victim);
    victim->Send("caught by the fault\n");
    EXPECT_TRUE(ClosesSilently(*victim, kReplyTimeout))
        << "when " << call << " fails, that connection must be closed; under " << profile.Explain();
    EXPECT_TRUE(StderrGrows(stderr_before, 2s))
        << "the failure of " << call << " was not reported on stderr; under " << profile.Explain();
    ASSERT_TRUE(SwitchFaults(false));

    EXPECT_TRUE(StillServing()) << "after " << call << " failed; under " << profile.Explain();
    ASSERT_TRUE(bystander->Send("after\n"));
    EXPECT_TRUE(RepliesWith(*bystander, "after"))
        << "a client served before " << call << " failed for another was dropped too";
  }

  std::unique_ptr<Subprocess> server_;
  std::unique_ptr<FaultControl> fault_control_;
  FaultProfile fault_profile_;
  std::string listening_address_;
  uint16_t port_ = 0;
};

/// Checks of fork_echo_server only.
class ForkEchoServer : public EchoServer {
 protected:
  void SetUp() override {
    if (!ForkVariant()) GTEST_SKIP() << "fork_echo_server only (" << LabUnderTest() << ")";
  }
};

/// Checks of thread_echo_server only.
class ThreadEchoServer : public EchoServer {
 protected:
  void SetUp() override {
    if (ForkVariant()) GTEST_SKIP() << "thread_echo_server only (" << LabUnderTest() << ")";
  }
};

// ---- Startup and options --------------------------------------------------------------------

TEST_F(EchoServer, StartupLine) {
  ASSERT_TRUE(StartServer());
  EXPECT_EQ(listening_address_, "127.0.0.1");
  EXPECT_EQ(TcpSocketsOf(server_pid()).listening, 1)
      << "the server should hold exactly one listening socket";
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client) << "the port in the startup line is not the one the server listens on";
  ASSERT_TRUE(client->Send("ping\n"));
  EXPECT_TRUE(RepliesWith(*client, "ping"));
}

TEST_F(EchoServer, DefaultHostAndPort) {
  // Only one test on this machine may use the fixed port at a time (ctest -j runs the other
  // variant's copy of this test in parallel).
  UniqueFd lock(open("/tmp/forklab-echo-port-12345.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0666));
  ASSERT_GE(lock.get(), 0) << std::strerror(errno);
  ASSERT_EQ(flock(lock.get(), LOCK_EX), 0) << std::strerror(errno);  // released by close
  {
    UniqueFd probe(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int on = 1;
    setsockopt(probe.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(12345);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      GTEST_SKIP() << "port 12345 is in use on this machine";
    }
  }
  ASSERT_TRUE(StartServer({}));
  EXPECT_EQ(listening_address_ + ":" + std::to_string(port_), "127.0.0.1:12345");
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("default\n"));
  EXPECT_TRUE(RepliesWith(*client, "default"));
}

TEST_F(EchoServer, HostOption) {
  ASSERT_TRUE(StartServer({"--host", "127.0.0.2", "--port", "0"}));
  EXPECT_EQ(listening_address_, "127.0.0.2");
  std::optional<LineClient> client = Connect("127.0.0.2");
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("on .2\n"));
  EXPECT_TRUE(RepliesWith(*client, "on .2"));
  EXPECT_FALSE(LineClient::Connect(port_, kConnectTimeout, nullptr, "127.0.0.1"))
      << "with --host 127.0.0.2 the server must listen on that address only";
}

TEST_F(EchoServer, RestartOnSamePort) {
  ASSERT_TRUE(StartServer());
  uint16_t port = port_;
  {
    std::optional<LineClient> client = Connect();
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->Send("first run\n"));
    ASSERT_TRUE(RepliesWith(*client, "first run"));
    // The server's side closes first, so its end of the connection lingers in TIME_WAIT on
    // the server's port: binding that port again needs SO_REUSEADDR.
    server_->KillTree();
    EXPECT_EQ(client->WaitForClose(kReplyTimeout), LineClient::Closed::kEof);
  }
  ASSERT_TRUE(StartServer({"--port", std::to_string(port)}))
      << "a restart on port " << port << " failed while its old connection is in TIME_WAIT: "
      << "set SO_REUSEADDR before bind";
  EXPECT_EQ(port_, port);
  EXPECT_TRUE(StillServing());
}

TEST_F(EchoServer, BadOptionsExit2WithUsage) {
  // Control: with good options the program serves, so the exits below are the options' doing.
  ASSERT_TRUE(StartServer());
  ASSERT_TRUE(StillServing());
  server_.reset();
  const std::vector<std::vector<std::string>> bad = {
      {"--bogus"}, {"--port", "abc"},       {"--port", "70000"}, {"--port", "-1"},
      {"--port"},  {"--host", "999.0.0.1"}, {"unexpected"},
  };
  for (const std::vector<std::string>& args : bad) {
    std::string shown;
    for (const std::string& arg : args) shown += " " + arg;
    SpawnOptions options;
    options.args = args;
    RunResult result = forklab::Run(ExeUnderTest(), options, 5s);
    ASSERT_FALSE(result.timed_out()) << shown << ": still running (serving?) after 5 s";
    EXPECT_TRUE(result.status->ExitedWith(2)) << shown << ": " << result.status->Describe();
    std::string err = result.err;
    std::transform(err.begin(), err.end(), err.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    EXPECT_NE(err.find("usage"), std::string::npos)
        << shown << ": no usage message on stderr: " << Quoted(result.err);
    EXPECT_EQ(result.out.find("listening on"), std::string::npos) << shown;
  }
}

// ---- The line protocol ----------------------------------------------------------------------

TEST_F(EchoServer, ReplyFormat) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("hello world\n"));
  std::optional<std::string> reply = client->ReadLine(kReplyTimeout);
  ASSERT_TRUE(reply) << "no reply within " << kReplyTimeout.count() << " ms";
  EXPECT_TRUE(std::regex_match(*reply, std::regex(R"(^\[\d\d:\d\d:\d\d\] hello world$)")))
      << "expected \"[HH:MM:SS] hello world\", got " << Quoted(*reply);
  // The line's bytes come back as they are: no trimming of spaces or tabs.
  ASSERT_TRUE(client->Send("  two  spaces\t \n"));
  EXPECT_TRUE(RepliesWith(*client, "  two  spaces\t "));
  EXPECT_FALSE(client->ReadLine(200ms)) << "one reply line per line received, nothing more";
}

TEST_F(EchoServer, TimestampIsLocalTime) {
  // Local time 17:47 or 19:47, never UTC's hour: catches UTC instead of local, 12-hour clocks
  // (05:47) and a TZ that is not honoured.
  FixedZone zone = AfternoonZone();
  ASSERT_TRUE(StartServer({"--port", "0"}, zone));
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);

  // The server reads the same clock as we do; 50 ms of slack covers coarse clocks.
  auto check_stamp = [&](const std::string& line) {
    std::time_t before = std::time(nullptr);
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(client->Send(line + "\n"));
    std::string stamp;
    ASSERT_TRUE(RepliesWith(*client, line, &stamp));
    std::this_thread::sleep_for(50ms);
    std::time_t after = std::time(nullptr);
    std::set<std::string> expected;
    for (std::time_t t = before; t <= after; ++t) expected.insert(zone.HhMmSs(t));
    std::string utc = FixedZone{"UTC0", 0}.HhMmSs(after);
    EXPECT_TRUE(expected.count(stamp))
        << "the timestamp " << stamp << " is not the local time at reply time under TZ=" << zone.tz
        << " (" << *expected.begin() << " to " << *expected.rbegin() << "; UTC was " << utc
        << "). Use localtime (localtime_r) with %H, not gmtime or %I";
  };
  check_stamp("what time is it");
  // Taken at reply time, not once per connection.
  std::this_thread::sleep_for(1100ms);
  check_stamp("and now");
}

TEST_F(EchoServer, TimestampZeroPadded) {
  // Local time 05:04:00: every field is a single digit for the next ten seconds.
  FixedZone zone = ZoneWhereNowIs(SecondsOfDay(5, 4, 0));
  ASSERT_TRUE(StartServer({"--port", "0"}, zone));
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("early\n"));
  std::optional<std::string> reply = client->ReadLine(kReplyTimeout);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(std::regex_match(*reply, std::regex(R"(^\[05:04:0\d\] early$)")))
      << "at 05:04:0x local time (TZ=" << zone.tz << ") the reply was " << Quoted(*reply)
      << "; fields are zero-padded to two digits (%H:%M:%S)";
}

TEST_F(EchoServer, Utf8ByteExact) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  for (std::string line : {"你好", "你好，世界 ✓ 😀 héllo wörld", "日本語\tπ≈3.14159"}) {
    ASSERT_TRUE(client->Send(line + "\n"));
    EXPECT_TRUE(RepliesWith(*client, line));
  }
}

TEST_F(EchoServer, EmptyLine) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("\n"));
  EXPECT_TRUE(RepliesWith(*client, "")) << "an empty line gets \"[HH:MM:SS] \"";
  ASSERT_TRUE(client->Send("after the empty line\n"));
  EXPECT_TRUE(RepliesWith(*client, "after the empty line"))
      << "an empty line must not end the session";
}

TEST_F(EchoServer, LongLine64KiB) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  std::string line(kMaxLine, ' ');
  for (size_t i = 0; i < line.size(); ++i) line[i] = static_cast<char>('a' + i * 7 % 26);
  ASSERT_TRUE(client->Send(line + "\n"));
  EXPECT_TRUE(RepliesWith(*client, line))
      << "a 64 KiB line must come back whole, in one reply: recv() returns any piece of the "
      << "stream, so buffer until '\\n'";
  ASSERT_TRUE(client->Send("short\n"));
  EXPECT_TRUE(RepliesWith(*client, "short"));
}

TEST_F(EchoServer, OverlongLineKeepsServerUp) {
  ASSERT_TRUE(StartServer());
  {
    std::optional<LineClient> client = Connect();
    ASSERT_TRUE(client);
    std::string line(4 * kMaxLine, 'z');
    // The server may echo it or close this connection; either way the send may fail.
    if (client->Send(line + "\n")) {
      std::optional<std::string> reply = client->ReadLine(kReplyTimeout);
      if (reply) {
        EXPECT_TRUE(IsReplyTo(*reply, line)) << "a line longer than 64 KiB was cut";
      }
    }
  }
  EXPECT_TRUE(StillServing()) << "after a 256 KiB line";
}

TEST_F(EchoServer, LineInDelayedPieces) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  // "你" (e4 bd a0) is split between two pieces, and so is the "\r\n".
  for (std::string_view piece : {"hel", "lo, wo", "rld \xe4\xbd", "\xa0 end", "\r", "\n"}) {
    ASSERT_TRUE(client->Send(piece));
    std::this_thread::sleep_for(80ms);
  }
  EXPECT_TRUE(RepliesWith(*client, "hello, world 你 end"))
      << "a line that arrives in pieces is still one line: buffer until '\\n'";
}

TEST_F(EchoServer, SeveralLinesInOneSegment) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("one\ntwo\n\nthree\n"));
  for (std::string_view line : {"one", "two", "", "three"}) {
    EXPECT_TRUE(RepliesWith(*client, line)) << "one reply per line, in order";
  }
}

TEST_F(EchoServer, CarriageReturnStripped) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("dos line\r\n"));
  EXPECT_TRUE(RepliesWith(*client, "dos line")) << "the trailing \\r of \\r\\n is stripped";
  ASSERT_TRUE(client->Send("inner\rreturn\n"));
  EXPECT_TRUE(RepliesWith(*client, "inner\rreturn")) << "only a trailing \\r is stripped";
}

TEST_F(EchoServer, QuitWithWhitespaceCloses) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("before\n"));
  ASSERT_TRUE(RepliesWith(*client, "before"));
  ASSERT_TRUE(client->Send("  quit  \n"));
  EXPECT_TRUE(ClosesSilently(*client, kQuitCloseLimit)) << "after \"  quit  \\n\"";

  std::optional<LineClient> other = Connect();
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->Send("quitter\n"));
  EXPECT_TRUE(RepliesWith(*other, "quitter")) << "only a line that is exactly quit quits";
  ASSERT_TRUE(other->Send("\t quit\r\n"));
  EXPECT_TRUE(ClosesSilently(*other, kQuitCloseLimit)) << "after \"\\t quit\\r\\n\"";
}

TEST_F(EchoServer, EofEchoesFinalLineAndCloses) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("full line\nno newline"));
  client->ShutdownWrite();
  EXPECT_TRUE(RepliesWith(*client, "full line"));
  EXPECT_TRUE(RepliesWith(*client, "no newline"))
      << "at EOF the last line without '\\n' is echoed too";
  EXPECT_TRUE(ClosesSilently(*client, kEofCloseTimeout))
      << "after the client's EOF (recv() returning 0) the server must close";

  std::optional<LineClient> plain = Connect();
  ASSERT_TRUE(plain);
  plain->ShutdownWrite();
  EXPECT_TRUE(ClosesSilently(*plain, kEofCloseTimeout)) << "EOF without any line";
}

// ---- Concurrency and robustness -------------------------------------------------------------

TEST_F(EchoServer, SilentClientDoesNotDelayOthers) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> silent = Connect();
  ASSERT_TRUE(silent);
  std::optional<LineClient> half_line = Connect();
  ASSERT_TRUE(half_line);
  ASSERT_TRUE(half_line->Send("not finished"));
  std::optional<LineClient> other = Connect();
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->Send("am I served?\n"));
  EXPECT_TRUE(RepliesWith(*other, "am I served?"))
      << "while two clients were connected but silent; serve each client in its own "
      << (ForkVariant() ? "process" : "thread");
  ASSERT_TRUE(half_line->Send(" now\n"));
  EXPECT_TRUE(RepliesWith(*half_line, "not finished now"));
}

TEST_F(EchoServer, TwoHundredClientsAtOnce) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients;
  for (int i = 0; i < kManyClients; ++i) {
    std::optional<LineClient> client = Connect();
    ASSERT_TRUE(client) << "client " << i;
    clients.push_back(std::move(*client));
  }
  for (int i = 0; i < kManyClients; ++i) {
    ASSERT_TRUE(clients[i].Send("client " + std::to_string(i) + "\n")) << "client " << i;
  }
  Deadline deadline(2 * kReplyTimeout);
  int served = 0;
  for (int i = 0; i < kManyClients; ++i) {
    testing::AssertionResult replied =
        RepliesWith(clients[i], "client " + std::to_string(i), nullptr, deadline.Remaining());
    if (!replied) {
      ADD_FAILURE() << "with " << kManyClients << " clients connected at once, client " << i
                    << " was not served: " << replied.message();
      break;
    }
    ++served;
  }
  EXPECT_EQ(served, kManyClients);
}

TEST_F(EchoServer, BurstOf200Connects) {
  ASSERT_TRUE(StartServer());
  // Paused, the server accepts nothing, so the whole burst lands in the listen backlog: what
  // the kernel queues for it is what the backlog allows (the lesson's listen(1) queues two).
  server_->Signal(SIGSTOP);
  std::optional<OnScopeExit> resume;
  resume.emplace([this] { server_->Signal(SIGCONT); });
  ASSERT_TRUE(Eventually(2s, [&] {
    std::optional<ProcStat> stat = ReadProcStat(server_pid());
    return stat && stat->state == 'T';
  }));
  std::vector<UniqueFd> sockets;
  for (int i = 0; i < kManyClients; ++i) {
    sockets.push_back(StartConnect(port_));
    ASSERT_GE(sockets.back().get(), 0) << std::strerror(errno);
  }
  int queued = 0;
  Eventually(2s, [&] { return (queued = CountConnected(sockets)) >= kMinBacklog; });
  ASSERT_GE(queued, kMinBacklog) << "only " << queued << " of a burst of " << kManyClients
                                 << " connections were queued: listen() with a backlog of at "
                                 << "least 128, not listen(1)";
  resume.reset();

  ASSERT_TRUE(Eventually(10s, [&] { return CountConnected(sockets) == kManyClients; }))
      << CountConnected(sockets) << " of " << kManyClients << " connections completed";
  for (int i = 0; i < kManyClients; ++i) {
    std::string request = "burst " + std::to_string(i) + "\nquit\n";
    ASSERT_EQ(send(sockets[i].get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
  }
  std::vector<std::string> received = ReadAllUntilClosed(sockets, 2 * kReplyTimeout);
  int served = 0;
  for (int i = 0; i < kManyClients; ++i) {
    std::string expected = "burst " + std::to_string(i);
    const std::string& got = received[i];
    if (got.empty() || got.back() != '\n' || got.find('\n') != got.size() - 1 ||
        !IsReplyTo(got.substr(0, got.size() - 1), expected)) {
      ADD_FAILURE() << "burst client " << i << " got " << Quoted(got) << ", expected one reply"
                    << " to " << Quoted(expected) << " and then EOF";
      break;
    }
    ++served;
  }
  EXPECT_EQ(served, kManyClients);
}

// Sends lines without reading the replies until both directions are full, then resets: the
// server is then blocked in, or about to call, send() on a connection that is gone.
void ResetMidReply(LineClient& client) {
  std::string lines;
  for (int i = 0; i < 1000; ++i)
    lines += "please reply to this line number " + std::to_string(i) + "\n";
  size_t total = 0;
  Deadline deadline(2s);
  while (total < (32u << 20) && deadline.Remaining() > 0ms) {
    ssize_t sent = send(client.fd(), lines.data(), lines.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      total += static_cast<size_t>(sent);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd writable = {client.fd(), POLLOUT, 0};
      if (poll(&writable, 1, 100) == 0) break;  // the server stopped reading: it is stuck sending
    } else {
      break;
    }
  }
  client.Reset();
}

TEST_F(EchoServer, ResetClientLeavesServerServing) {
  ASSERT_TRUE(StartServer());
  for (int round = 0; round < 3; ++round) {
    std::optional<LineClient> client = Connect();
    ASSERT_TRUE(client);
    ResetMidReply(*client);
  }
  EXPECT_TRUE(StillServing()) << "after clients reset their connections mid-reply: send with "
                              << "MSG_NOSIGNAL (or ignore SIGPIPE) and end only that session";
}

TEST_F(EchoServer, ResetIsReportedOnStderr) {
  ASSERT_TRUE(StartServer());
  size_t stderr_before = server_->stderr_text().size();
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client);
  ResetMidReply(*client);
  EXPECT_TRUE(StderrGrows(stderr_before, 2s))
      << "a connection reset mid-reply (ECONNRESET/EPIPE from recv or send) was not reported "
      << "on stderr";
  EXPECT_TRUE(StillServing());
}

TEST_F(EchoServer, RecvErrorDropsOnlyThatClient) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "recv-econnreset-switched");
  CheckSurvivesFault(profile, "recv()");
}

TEST_F(EchoServer, SendErrorDropsOnlyThatClient) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "send-epipe-switched");
  CheckSurvivesFault(profile, "send()");
}

// A line long enough that echoing it needs the heap (it outgrows std::string's inline buffer).
std::string LineUnderMallocFaults(int client, int line) {
  return "client " + std::to_string(client) + " line " + std::to_string(line) +
         " of a session while malloc fails now and then";
}

TEST_F(EchoServer, MallocFailureDropsOnlyThatClient) {
  constexpr int kClients = 5;
  // Hundreds of allocations per session, so that failures fall inside sessions even in forked
  // children, which all continue their parent's random sequence rather than draw their own.
  constexpr int kLinesEach = 200;
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "malloc-enomem-switched");
  std::optional<LineClient> bystander;
  ASSERT_TRUE(StartWithBystander(profile, &bystander));
  ASSERT_TRUE(SwitchFaults(true));
  // One session at a time, so the allocations, and with the profile's fixed seed the failures,
  // come in the same order every run.
  bool accepting = true;
  for (int i = 0; i < kClients && ServerRunning(); ++i) {
    std::optional<LineClient> client = LineClient::Connect(port_, kConnectTimeout);
    if (!(accepting = client.has_value())) break;  // judged below, with the server's fate
    std::string lines;
    for (int line = 0; line < kLinesEach; ++line) lines += LineUnderMallocFaults(i, line) + "\n";
    client->Send(lines + "quit\n");  // fails when the session has been dropped already
    std::string received;
    Deadline deadline(kReplyTimeout);
    LineClient::Closed closed;
    while ((closed = client->WaitForClose(deadline.Remaining(), &received)) ==
           LineClient::Closed::kData) {
    }
    ASSERT_EQ(closed, LineClient::Closed::kEof)
        << "client " << i << " was neither served to its 'quit' nor dropped: its connection was "
        << "still open " << kReplyTimeout.count() << " ms later; under " << profile.Explain();
    // A failed allocation may cut a session short, never garble it: every whole reply that
    // came back answers the next line.
    int replied = 0;
    for (size_t start = 0, end; (end = received.find('\n', start)) != std::string::npos;
         start = end + 1, ++replied) {
      std::string line = LineUnderMallocFaults(i, replied);
      ASSERT_TRUE(IsReplyTo(received.substr(start, end - start), line))
          << "client " << i << "'s reply " << replied << "; under " << profile.Explain();
    }
  }

  bool running = ServerRunning();  // and the server's stderr is read up to now
  // libstdc++ and libc++ say this on stderr before std::terminate aborts the process: the
  // whole server, or (fork_echo_server) the child of one session.
  const std::string& err = server_->stderr_text();
  size_t uncaught = std::string::npos;
  for (const char* said : {"terminate called after throwing", "terminating due to uncaught"})
    uncaught = std::min(uncaught, err.find(said));
  // A dying process closes its sockets moments before it can be seen to have exited: when the
  // server stopped accepting or is aborting, give it those moments, so its end is reported.
  if (running && (!accepting || uncaught != std::string::npos))
    running = !server_->Wait(kShutdownLimit).has_value();
  if (uncaught != std::string::npos) {
    ADD_FAILURE() << "an exception escaped a session and aborted its process: "
                  << Quoted(err.substr(uncaught)) << "; catch std::bad_alloc per session and "
                  << "end only that session; under " << profile.Explain();
  }
  ASSERT_TRUE(running) << "the server died while malloc() failed now and then: "
                       << server_->status()->Describe() << "; under " << profile.Explain();
  ASSERT_TRUE(SwitchFaults(false));
  EXPECT_TRUE(StillServing()) << "after malloc() failed in other sessions; under "
                              << profile.Explain();
  ASSERT_TRUE(bystander->Send("after\n"));
  EXPECT_TRUE(RepliesWith(*bystander, "after"))
      << "a client served before malloc() failed in other sessions was dropped too";
}

TEST_F(EchoServer, AcceptEmfileBacksOffAndRecovers) {
  ASSERT_TRUE(StartServer());
  pid_t pid = server_pid();
  rlimit original{};
  int error = ProgramPrlimit(pid, RLIMIT_NOFILE, nullptr, &original);
  ASSERT_EQ(error, 0) << std::strerror(error);
  // The next descriptor the server opens would be this one: from now on accept() fails with
  // EMFILE, while the waiting client stays queued in the backlog.
  rlimit tight = original;
  tight.rlim_cur = static_cast<rlim_t>(LowestFreeFd(pid));
  if (int error = ProgramPrlimit(pid, RLIMIT_NOFILE, &tight, nullptr)) {
    GTEST_SKIP() << "cannot lower the server's RLIMIT_NOFILE: " << std::strerror(error);
  }
  size_t stderr_before = server_->stderr_text().size();
  std::optional<LineClient> waiting = Connect();
  ASSERT_TRUE(waiting);
  ASSERT_TRUE(waiting->Send("waiting in the queue\n"));

  double cpu_before = CpuSeconds(pid);
  auto start = Clock::now();
  EXPECT_FALSE(server_->Wait(600ms))
      << "the server ended on EMFILE: " << Quoted(server_->stderr_text());
  double busy =
      (CpuSeconds(pid) - cpu_before) / std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_LT(busy, 0.25) << "the server used " << static_cast<int>(busy * 100)
                        << "% of a CPU while accept() kept failing with EMFILE: pause briefly "
                        << "after EMFILE/ENFILE instead of retrying at once";
  EXPECT_TRUE(StderrGrows(stderr_before, 1s)) << "accept's EMFILE was not reported on stderr";

  error = ProgramPrlimit(pid, RLIMIT_NOFILE, &original, nullptr);
  ASSERT_EQ(error, 0) << std::strerror(error);
  EXPECT_TRUE(RepliesWith(*waiting, "waiting in the queue"))
      << "the queued client was not served once descriptors were available again";
}

/// `count` clients, each served once, so each has its session running.
std::vector<LineClient> ServedClients(uint16_t port, int count) {
  std::vector<LineClient> clients;
  for (int i = 0; i < count; ++i) {
    std::string error;
    std::optional<LineClient> client = LineClient::Connect(port, kConnectTimeout, &error);
    if (!client) {
      ADD_FAILURE() << error;
      break;
    }
    std::string line = "client " + std::to_string(i);
    if (!client->Send(line + "\n") || !RepliesWith(*client, line)) {
      ADD_FAILURE() << "client " << i << " was not served";
      break;
    }
    clients.push_back(std::move(*client));
  }
  return clients;
}

// Stops the server with `sig` while two clients have sessions running, one of them mid-line.
void CheckStopsOnSignal(Subprocess* server, uint16_t port, int sig) {
  std::vector<LineClient> clients = ServedClients(port, 2);
  ASSERT_EQ(clients.size(), 2u);
  ASSERT_TRUE(clients[0].Send("half a line"));
  pid_t pid = server->pid();
  // Every process that serves a client, to find any left behind after the server exits.
  std::vector<pid_t> descendants;
  if (ForkVariant()) {
    Eventually(kReplyTimeout, [&] { return ChildrenOf(pid).size() >= 2; });
    descendants = DescendantsOf(pid);
  }

  server->Signal(sig);
  std::optional<ExitStatus> status = server->Wait(kShutdownLimit);
  ASSERT_TRUE(status) << "still running " << kShutdownLimit.count() << " ms after "
                      << strsignal(sig) << ": read the signal (signalfd or a handler that "
                      << "wakes the accept loop) and shut down";
  EXPECT_TRUE(status->ExitedWith(0)) << "after " << strsignal(sig) << ": " << status->Describe();
  for (pid_t child : descendants) {
    std::optional<ProcStat> left = ReadProcStat(child);
    EXPECT_FALSE(left && left->ppid == getpid())
        << "process " << child << " (" << (left->zombie() ? "a zombie" : "still running")
        << ") was left behind as an orphan: end (SIGTERM) and reap every child before exiting";
  }
  for (LineClient& client : clients) {
    EXPECT_TRUE(client.WaitForClose(1s) != LineClient::Closed::kTimeout)
        << "a client's connection stayed open after the server exited";
  }
}

TEST_F(EchoServer, SigtermExitsCleanly) {
  ASSERT_TRUE(StartServer());
  CheckStopsOnSignal(server_.get(), port_, SIGTERM);
}

TEST_F(EchoServer, SigintExitsCleanly) {
  ASSERT_TRUE(StartServer());
  CheckStopsOnSignal(server_.get(), port_, SIGINT);
}

// ---- fork_echo_server -----------------------------------------------------------------------

TEST_F(ForkEchoServer, OneChildPerConnection) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(port_, 4);
  ASSERT_EQ(clients.size(), 4u);
  size_t children = 0;
  EXPECT_TRUE(
      Eventually(kReplyTimeout,
                 [&] { return (children = ChildrenOf(server_pid()).size()) == clients.size(); }))
      << "with 4 clients connected the server has " << children << " child processes; "
      << "fork one child per accepted connection";
}

TEST_F(ForkEchoServer, NoZombieAfterClientsQuit) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(port_, 3);
  ASSERT_EQ(clients.size(), 3u);
  clients[0].Send("quit\n");
  clients[1].Send("quit\n");
  clients[2].ShutdownWrite();
  for (LineClient& client : clients) ASSERT_TRUE(Closes(client, kEofCloseTimeout));
  // No new client arrives from here on: a server that reaps only after accept() never reaps.
  std::vector<pid_t> zombies;
  EXPECT_TRUE(
      Eventually(kReapLimit, [&] { return (zombies = ZombieChildrenOf(server_pid())).empty(); }))
      << zombies.size() << " zombie children of pid " << server_pid() << " remained "
      << kReapLimit.count() << " ms after their clients quit; the parent only reaps when "
      << "accept() returns: reap on SIGCHLD (signalfd, or a handler with a self-pipe)";
}

TEST_F(ForkEchoServer, ChildDoesNotHoldListener) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(port_, 1);
  ASSERT_EQ(clients.size(), 1u);
  std::vector<pid_t> children;
  ASSERT_TRUE(
      Eventually(kReplyTimeout, [&] { return (children = ChildrenOf(server_pid())).size() == 1; }))
      << "expected one child serving the client, found " << children.size();
  TcpSockets sockets;
  EXPECT_TRUE(
      Eventually(kReapLimit, [&] { return (sockets = TcpSocketsOf(children[0])).listening == 0; }))
      << "child " << children[0] << " holds " << sockets.listening
      << " listening socket(s): the child only talks to its client, close the listener in it";
  EXPECT_EQ(sockets.connected, 1) << "the child should hold its client's connection";
}

TEST_F(ForkEchoServer, ParentHoldsNoConnectedSockets) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(port_, 3);
  ASSERT_EQ(clients.size(), 3u);
  TcpSockets sockets;
  EXPECT_TRUE(
      Eventually(kReapLimit, [&] { return (sockets = TcpSocketsOf(server_pid())).connected == 0; }))
      << "the parent holds " << sockets.connected << " connected sockets with 3 clients "
      << "served by children: close the connection in the parent after fork()";
  EXPECT_EQ(sockets.listening, 1);
}

TEST_F(ForkEchoServer, ChildDoesNotFallThroughIntoAcceptLoop) {
  ASSERT_TRUE(StartServer());
  {
    std::vector<LineClient> clients = ServedClients(port_, 2);
    ASSERT_EQ(clients.size(), 2u);
    clients[0].Send("quit\n");
    clients[1].ShutdownWrite();
    for (LineClient& client : clients) ASSERT_TRUE(Closes(client, kEofCloseTimeout));
  }
  // Zombies are NoZombieAfterClientsQuit's business; here only live processes count.
  std::vector<pid_t> running;
  EXPECT_TRUE(
      Eventually(kReapLimit, [&] { return (running = LiveDescendantsOf(server_pid())).empty(); }))
      << running.size() << " process(es) still running under the server after every client "
      << "left: a child whose client is done must _exit(), not return into the accept loop";
  // New clients are served by direct children: no child went on accepting and forking.
  std::vector<LineClient> clients = ServedClients(port_, 2);
  ASSERT_EQ(clients.size(), 2u);
  for (pid_t pid : LiveDescendantsOf(server_pid())) {
    std::optional<ProcStat> stat = ReadProcStat(pid);
    EXPECT_TRUE(!stat || stat->ppid == server_pid())
        << "process " << pid << " was forked by a child";
  }
}

TEST_F(ForkEchoServer, ForkFailureClosesConnectionAndKeepsServing) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "fork-eagain-switched");
  CheckSurvivesFault(profile, "fork()");
}

// ---- thread_echo_server ---------------------------------------------------------------------

TEST_F(ThreadEchoServer, NoChildProcesses) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(port_, 5);
  ASSERT_EQ(clients.size(), 5u);
  std::vector<pid_t> children = ChildrenOf(server_pid());
  EXPECT_TRUE(children.empty()) << "thread_echo_server has " << children.size()
                                << " child processes; serve clients with threads, not fork()";
}

TEST_F(ThreadEchoServer, OneThreadPerConnection) {
  ASSERT_TRUE(StartServer());
  int baseline = ThreadCount(server_pid());
  std::vector<LineClient> clients = ServedClients(port_, 5);
  ASSERT_EQ(clients.size(), 5u);
  int threads = 0;
  EXPECT_TRUE(Eventually(kReplyTimeout,
                         [&] { return (threads = ThreadCount(server_pid())) >= baseline + 5; }))
      << threads << " threads with 5 clients connected (" << baseline
      << " before any): start one std::thread per connection";
}

TEST_F(ThreadEchoServer, ThreadCountReturnsToBaseline) {
  ASSERT_TRUE(StartServer());
  std::this_thread::sleep_for(100ms);  // threads an implementation starts after its startup line
  int baseline = ThreadCount(server_pid());
  {
    std::vector<LineClient> clients = ServedClients(port_, 10);
    ASSERT_EQ(clients.size(), 10u);
    for (size_t i = 0; i < clients.size(); ++i) {
      if (i % 2) {
        clients[i].Send("quit\n");
      } else {
        clients[i].ShutdownWrite();
      }
      ASSERT_TRUE(Closes(clients[i], kEofCloseTimeout));
    }
  }
  int threads = 0;
  EXPECT_TRUE(Eventually(2s, [&] { return (threads = ThreadCount(server_pid())) <= baseline; }))
      << threads << " threads 2 s after all 10 clients left, " << baseline
      << " before they came: a session's thread must end when its client is done";
}

TEST_F(ThreadEchoServer, ThreadCreationFailureClosesConnectionAndKeepsServing) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "thread-eagain-switched");
  CheckSurvivesFault(profile, "thread creation (std::thread, pthread_create)");
}

}  // namespace
}  // namespace forklab
