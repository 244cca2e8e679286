#include "suites/echo_server_fixture.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "harness/proc.h"
#include "harness/watch.h"
#include "i18n/messages.h"
#include "sandbox/protocol.h"
#include "suites/claims.h"
#include "suites/required_wait.h"

namespace forklab {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// ---- Time zones -----------------------------------------------------------------------------

std::string FixedZone::HhMmSs(std::time_t when) const {
  std::time_t shifted = when + offset;
  std::tm fields{};
  gmtime_r(&shifted, &fields);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &fields);
  return text;
}

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

FixedZone AfternoonZone() {
  int utc_hour = static_cast<int>(std::time(nullptr) % (24 * 3600) / 3600);
  return ZoneWhereNowIs(SecondsOfDay(utc_hour == 17 ? 19 : 17, 47, 20));
}

// ---- Replies --------------------------------------------------------------------------------

testing::AssertionResult IsReplyTo(const std::string& reply, std::string_view line,
                                   std::string* stamp) {
  static const std::regex kStamp(R"(^\[([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\] )");
  constexpr size_t kStampSize = 11;  // "[HH:MM:SS] "
  std::string head = reply.substr(0, kStampSize);
  if (!std::regex_match(head, kStamp)) {
    return testing::AssertionFailure()
           << Tr("the reply to {} was {}: it does not start with a zero-padded 24-hour "
                 "\"[HH:MM:SS] \" timestamp",
                 Quoted(line), Quoted(reply));
  }
  std::string_view echoed = std::string_view(reply).substr(kStampSize);
  if (echoed != line) {
    auto mismatch = std::mismatch(echoed.begin(), echoed.end(), line.begin(), line.end());
    return testing::AssertionFailure()
           << Tr("the reply to {} was {}: it echoes {} (they differ from byte {}; {} bytes "
                 "echoed, {} expected)",
                 Quoted(line), Quoted(reply), Quoted(echoed), mismatch.first - echoed.begin(),
                 echoed.size(), line.size());
  }
  if (stamp) *stamp = reply.substr(1, 8);
  return testing::AssertionSuccess();
}

testing::AssertionResult RepliedWith(const std::optional<std::string>& reply, std::string_view line,
                                     milliseconds timeout, std::string* stamp) {
  if (!reply) {
    return testing::AssertionFailure()
           << Tr("no reply to {} within {} ms; expected \"[HH:MM:SS] \"+{}", Quoted(line),
                 timeout.count(), Quoted(line));
  }
  return IsReplyTo(*reply, line, stamp);
}

testing::AssertionResult RepliesWith(LineClient& client, std::string_view line, std::string* stamp,
                                     milliseconds timeout) {
  return RepliedWith(client.ReadLine(timeout), line, timeout, stamp);
}

testing::AssertionResult Echoes(LineClient& client, std::string_view line, std::string* stamp) {
  if (!client.Send(std::string(line) + "\n")) {
    return testing::AssertionFailure()
           << Tr("could not send {}: the connection failed", Quoted(std::string(line) + "\n"));
  }
  return RepliesWith(client, line, stamp);
}

namespace {

// What a timestamp that is not the local time between `before` and `after` is instead: the
// hint key of EchoesAtLocalTime's `cause`.
std::string WrongStampCause(const std::string& stamp, const FixedZone& zone, std::time_t before,
                            std::time_t after) {
  const FixedZone utc{"UTC0", 0};
  for (std::time_t t = before - 1; t <= after + 1; ++t) {
    if (utc.HhMmSs(t) == stamp) return "utc";
    std::string local = zone.HhMmSs(t);
    int hour = std::stoi(local.substr(0, 2)) % 12;
    if (fmt::format("{:02}", hour == 0 ? 12 : hour) + local.substr(2) == stamp)
      return "twelve_hour";
  }
  constexpr std::time_t kRecent = 3600;
  for (std::time_t t = before - kRecent; t < before; ++t)
    if (zone.HhMmSs(t) == stamp) return "stale";
  return "";
}

}  // namespace

testing::AssertionResult EchoesAtLocalTime(LineClient& client, const std::string& line,
                                           const FixedZone& zone, std::string* cause) {
  // The server reads the same clock as we do; 50 ms of slack covers coarse clocks.
  std::time_t before = std::time(nullptr);
  std::this_thread::sleep_for(50ms);
  std::string stamp;
  if (testing::AssertionResult echoed = Echoes(client, line, &stamp); !echoed) return echoed;
  std::this_thread::sleep_for(50ms);
  std::time_t after = std::time(nullptr);
  std::set<std::string> expected;
  for (std::time_t t = before; t <= after; ++t) expected.insert(zone.HhMmSs(t));
  if (expected.count(stamp)) return testing::AssertionSuccess();
  *cause = WrongStampCause(stamp, zone, before, after);
  return testing::AssertionFailure()
         << Tr("the timestamp {} is not the local time at reply time under TZ={} ({} to {}; UTC "
               "was {})",
               stamp, zone.tz, *expected.begin(), *expected.rbegin(),
               FixedZone{"UTC0", 0}.HhMmSs(after));
}

testing::AssertionResult RepliesInOrder(const std::string& received,
                                        const std::function<std::string(int)>& line_of) {
  int replied = 0;
  for (size_t start = 0, end; (end = received.find('\n', start)) != std::string::npos;
       start = end + 1, ++replied) {
    testing::AssertionResult answers =
        IsReplyTo(received.substr(start, end - start), line_of(replied));
    if (!answers)
      return testing::AssertionFailure() << Tr("reply {}: {}", replied, answers.message());
  }
  return testing::AssertionSuccess();
}

// ---- The server's own state -----------------------------------------------------------------

std::string SendFailed() {
  return Tr("the line could not be sent: the server had closed or reset the connection");
}

std::optional<std::string> UncaughtExceptionIn(const std::string& err) {
  size_t said = std::string::npos;
  for (const char* words : {"terminate called after throwing", "terminating due to uncaught"})
    said = std::min(said, err.find(words));
  if (said == std::string::npos) return std::nullopt;
  return err.substr(said);
}

testing::AssertionResult NoneWithin(milliseconds limit,
                                    const std::function<std::vector<pid_t>()>& processes) {
  std::vector<pid_t> found;
  if (Eventually(limit, [&] { return (found = processes()).empty(); })) {
    return testing::AssertionSuccess();
  }
  testing::AssertionResult failure = testing::AssertionFailure();
  std::string pids;
  for (pid_t pid : found) pids += " " + std::to_string(pid);
  return failure << Tr("{} still there {} ms later (pid{})", found.size(), limit.count(), pids);
}

testing::AssertionResult LockFixedPort(uint16_t port, UniqueFd* lock) {
  std::string path = "/tmp/forklab-echo-port-" + std::to_string(port) + ".lock";
  lock->Reset(open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666));
  if (lock->get() < 0 || flock(lock->get(), LOCK_EX) != 0) {
    return testing::AssertionFailure() << path << ": " << std::strerror(errno);
  }
  return testing::AssertionSuccess();
}

// ---- Fixtures -------------------------------------------------------------------------------

void EchoServer::SetUpTestSuite() {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::min<rlim_t>(files.rlim_max, 8192);
  setrlimit(RLIMIT_NOFILE, &files);
}

void EchoServer::TearDown() {
  server_.reset();          // kills and reaps the server's whole tree
  ProgramTest::TearDown();  // and whatever it orphaned
}

testing::AssertionResult EchoServer::StartServer(std::vector<std::string> args,
                                                 const FixedZone& zone) {
  SpawnOptions options = ProgramOptions(std::move(args));
  options.env["TZ"] = zone.tz;
  return Launch(options);
}

testing::AssertionResult EchoServer::StartServerUnderFaults(const FaultProfile& profile) {
  if (!profile.plan.remote_control) {
    return testing::AssertionFailure()
           << Tr("this check needs a switched fault profile (switched = true), not {}",
                 profile.Explain());
  }
  fault_profile_ = profile;
  fault_control_ = std::make_unique<FaultControl>();
  SpawnOptions options = ProgramOptions({"--port", "0"});
  options.env["TZ"] = AfternoonZone().tz;
  ApplyFaults(profile.plan, fault_control_->prefix(), &options);
  return Launch(options);
}

bool EchoServer::SwitchFaults(bool on) {
  // A server that has ended has no control thread left to reach: how it ended is the finding.
  auto ended = [&] {
    if (ServerRunning()) return false;
    ADD_FAILURE() << ServerAlive(Tr("under {}", fault_profile_.Explain())).message();
    return true;
  };
  for (const FaultPoint& point : fault_profile_.plan.points) {
    if (ended()) return false;
    std::string error;
    std::string command = on ? point.EnableCommand() : "disable name=" + point.name;
    FaultControl::Delivery delivery =
        fault_control_->Send(server_pid(), command, 5s, &error, [&] { return ServerRunning(); });
    if (delivery == FaultControl::Delivery::kApplied) continue;
    if (ended()) return false;
    // The grader's own tool failing a program that still runs says nothing about the program.
    if (delivery == FaultControl::Delivery::kUnanswered) {
      [&] { GTEST_SKIP() << kInconclusiveTag << error; }();  // GTEST_SKIP returns void
      return false;
    }
    ADD_FAILURE() << error;
    return false;
  }
  return true;
}

testing::AssertionResult EchoServer::Launch(const SpawnOptions& options) {
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
           << Tr("expected the first stdout line \"listening on ADDR:PORT\" within {} ms, got "
                 "{}{}; {}",
                 kStartTimeout.count(), line ? Quoted(*line) : Tr("nothing"),
                 status ? Tr("; the server ended: {}", status->Describe()) : "",
                 QuotedStderr(server_->stderr_text()));
  }
  listening_address_ = match[1];
  long port = std::stol(match[2]);
  if (port <= 0 || port > 65535) {
    return testing::AssertionFailure() << Tr("the startup line names port {}", port);
  }
  port_ = static_cast<uint16_t>(port);
  return testing::AssertionSuccess();
}

std::optional<LineClient> EchoServer::Connect(const std::string& host) {
  std::string error;
  std::optional<LineClient> client = LineClient::Connect(port_, kConnectTimeout, &error, host);
  if (client) return client;
  // A refused connection from a server that has died: the death is the cause.
  if (testing::AssertionResult alive = ServerAlive(Tr("when a new client connected")); !alive)
    ADD_FAILURE() << alive.message();
  else
    ADD_FAILURE() << error;
  return client;
}

testing::AssertionResult EchoServer::StartServerWithClient(std::optional<LineClient>* client) {
  if (testing::AssertionResult started = StartServer(); !started) return started;
  *client = Connect();
  if (!*client) return testing::AssertionFailure() << Tr("the first client could not connect");
  return testing::AssertionSuccess();
}

std::vector<LineClient> EchoServer::ServedClients(int count) {
  std::vector<LineClient> clients;
  for (int i = 0; i < count; ++i) {
    std::optional<LineClient> client = Connect();
    if (!client) break;
    if (!Echoes(*client, "client " + std::to_string(i))) {
      ADD_FAILURE() << Tr("client {} was not served", i);
      break;
    }
    clients.push_back(std::move(*client));
  }
  return clients;
}

std::optional<ConnectBurst::Received> EchoServer::SessionOf(const std::string& lines) {
  std::optional<ConnectBurst> client = ConnectBurst::Start(port_, 1);
  if (!client || client->AwaitConnected(kConnectTimeout) != 1) return std::nullopt;
  client->Send(0, lines + "quit\n");  // fails when the session has been dropped already
  return client->ReadUntilClosed(kReplyTimeout).front();
}

testing::AssertionResult EchoServer::ClientsComeAndGo(int count) {
  std::vector<LineClient> clients = ServedClients(count);
  if (clients.size() != static_cast<size_t>(count)) {
    return testing::AssertionFailure()
           << Tr("only {} of {} clients were served", clients.size(), count);
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    if (i % 2 == 0) {
      clients[i].Send("quit\n");
    } else {
      clients[i].ShutdownWrite();
    }
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    testing::AssertionResult closed = ServerCloses(clients[i], kEofCloseTimeout, false);
    if (!closed) {
      return testing::AssertionFailure()
             << Tr("client {} left ({}): {}", i, i % 2 == 0 ? "quit" : "EOF", closed.message());
    }
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult EchoServer::ServerCloses(LineClient& client, milliseconds timeout,
                                                  bool silently) {
  WhyOpen why = [this] { return WhyStillOpen(); };
  return silently ? ClosesSilently(client, timeout, why) : Closes(client, timeout, why);
}

std::string EchoServer::WhyStillOpen() {
  const pid_t pid = server_pid();
  const int in_server = TcpSocketsOf(pid).connected;
  if (ForkVariant() && in_server > 0) {
    NotMeasuredBecause("ForkEchoServer.ParentHoldsNoConnectedSockets");
    return fmt::format(
        "not measured: the server process (pid {}) itself holds {} connected socket(s), so a "
        "connection stays open after its child closes it; ForkEchoServer."
        "ParentHoldsNoConnectedSockets names this cause",
        pid, in_server);
  }
  int in_others = 0;
  for (pid_t descendant : LiveDescendantsOf(pid)) in_others += TcpSocketsOf(descendant).connected;
  return fmt::format(
      "a connection closes only when every process holding its socket has closed it; the "
      "server process (pid {}) holds {} connected socket(s) and its child processes {}",
      pid, in_server, in_others);
}

bool EchoServer::ServerRunning() {
  return !server_->Wait(0ms).has_value();
}

bool EchoServer::StderrGrows(size_t from, milliseconds timeout) {
  auto grew = [&] { return server_->stderr_text().size() > from; };
  // A server that has ended says nothing more.
  Eventually(timeout, [&] { return !ServerRunning() || grew(); });
  return grew();
}

testing::AssertionResult EchoServer::ServerAlive(std::string_view after) {
  testing::AssertionResult alive = StillRunning(*server_, Tr("the server"), after);
  if (!alive) UseHint("died");  // the lesson is why it died, not what it would have shown
  return alive;
}

testing::AssertionResult EchoServer::StillServing() {
  if (testing::AssertionResult alive = ServerAlive(Tr("while it had clients to serve")); !alive)
    return alive;
  std::string error;
  std::optional<LineClient> client = LineClient::Connect(port_, kConnectTimeout, &error);
  if (!client) return testing::AssertionFailure() << Tr("the server no longer accepts: {}", error);
  return Echoes(*client, "still there?");
}

testing::AssertionResult EchoServer::PauseServer() {
  server_->Signal(SIGSTOP);
  if (Eventually(2s, [&] {
        std::optional<ProcStat> stat = ReadProcStat(server_pid());
        return stat && stat->state == 'T';
      })) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << Tr("the server was not stopped 2 s after SIGSTOP");
}

void EchoServer::ResumeServer() {
  server_->Signal(SIGCONT);
}

EchoServer::CpuUse EchoServer::WatchServerCpu(milliseconds span) {
  pid_t pid = server_pid();
  RequireWait(span);  // a CPU share is measured over time
  double cpu_before = CpuSeconds(pid);
  Clock::time_point start = Clock::now();
  Watched watched = Watch(*server_, span, Observer{});
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return {.share = (CpuSeconds(pid) - cpu_before) / seconds, .ended = watched.status.has_value()};
}

testing::AssertionResult EchoServer::StartWithBystander(const FaultProfile& profile,
                                                        std::optional<LineClient>* bystander) {
  if (testing::AssertionResult started = StartServerUnderFaults(profile); !started) return started;
  *bystander = Connect();
  if (!*bystander) return testing::AssertionFailure() << Tr("the first client could not connect");
  if (testing::AssertionResult replied = Echoes(**bystander, "before"); !replied) return replied;
  Eventually(2s, [&] { return AllThreadsAsleep(server_pid()); });
  return testing::AssertionSuccess();
}

void EchoServer::ExpectServingAfter(LineClient& bystander, const std::string& fault,
                                    const FaultProfile& profile) {
  EXPECT_TRUE(StillServing()) << Tr("after {}; under {}", fault, profile.Explain());
  EXPECT_TRUE(Echoes(bystander, "after")) << Tr("a client served before {} was dropped too", fault);
}

void EchoServer::CheckSurvivesFault(const FaultProfile& profile, const std::string& call) {
  std::optional<LineClient> bystander;
  ASSERT_TRUE(StartWithBystander(profile, &bystander));
  if (!SwitchFaults(true)) return;
  size_t stderr_before = server_->stderr_text().size();
  std::optional<LineClient> victim = Connect();
  if (!victim) return;  // Connect() failed the check, saying why
  victim->Send("caught by the fault\n");
  EXPECT_TRUE(ServerCloses(*victim, kReplyTimeout))
      << Tr("when {} fails, that connection must be closed; under {}", call, profile.Explain());
  EXPECT_TRUE(StderrGrows(stderr_before, 2s))
      << Tr("the failure of {} was not reported on stderr; under {}", call, profile.Explain());
  if (!SwitchFaults(false)) return;
  ExpectServingAfter(*bystander, Tr("{} failed for another", call), profile);
}

void EchoServer::CheckStopsOnSignal(int sig) {
  std::vector<LineClient> clients = ServedClients(2);
  ASSERT_EQ(clients.size(), 2u);
  ASSERT_TRUE(clients[0].Send("half a line")) << SendFailed();
  pid_t pid = server_pid();
  // Every process that serves a client, to find any left behind after the server exits.
  std::vector<pid_t> descendants;
  if (ForkVariant()) {
    Eventually(kReplyTimeout, [&] { return ChildrenOf(pid).size() >= 2; });
    descendants = DescendantsOf(pid);
  }

  server_->Signal(sig);
  std::optional<ExitStatus> status = server_->Wait(kShutdownLimit);
  if (!status) {
    // Whose the hang is: the parent's, or that of children that never see the signal.
    std::vector<pid_t> deaf;
    for (pid_t child : LiveChildrenOf(pid))
      if (SignalBlockedOrIgnored(child, SIGTERM)) deaf.push_back(child);
    if (!deaf.empty()) {
      UseHint("children_blocked");
      FAIL() << Tr(
          "still running {} ms after SIG{}: its child processes ({}) have SIGTERM blocked or "
          "ignored, so they never end and the server waits for them; a child inherits the "
          "parent's signal mask and ignored signals across fork()",
          kShutdownLimit.count(), sigabbrev_np(sig), fmt::format("{}", fmt::join(deaf, " ")));
    }
    FAIL() << Tr(
        "still running {} ms after SIG{}: read the signal (signalfd or a "
        "handler that wakes the accept loop) and shut down",
        kShutdownLimit.count(), sigabbrev_np(sig));
  }
  EXPECT_TRUE(status->ExitedWith(0))
      << Tr("after SIG{}: {}", sigabbrev_np(sig), status->Describe());
  for (pid_t child : descendants) {
    std::optional<ProcStat> left = ReadProcStat(child);
    EXPECT_FALSE(left && left->ppid == getpid())
        << Tr("process {} ({}) was left behind as an orphan: end (SIGTERM) and reap every child "
              "before exiting",
              child, left->zombie() ? Tr("a zombie") : Tr("still running"));
  }
  for (LineClient& client : clients) {
    EXPECT_TRUE(client.WaitForClose(1s) != LineClient::Closed::kTimeout)
        << Tr("a client's connection stayed open after the server exited");
  }
}

bool SignalBlockedOrIgnored(pid_t pid, int sig) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  const uint64_t bit = uint64_t{1} << (sig - 1);
  bool deaf = false;
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("SigBlk:") || line.starts_with("SigIgn:"))
      deaf = deaf || (std::stoull(line.substr(7), nullptr, 16) & bit);
  return deaf;
}

void ForkEchoServer::SetUp() {
  FORKLAB_ONLY_FOR(Variant::kProcesses);
}

void ThreadEchoServer::SetUp() {
  FORKLAB_ONLY_FOR(Variant::kThreads);
}

}  // namespace forklab
