// The echo server contract (fork_echo_server, thread_echo_server), checked from outside: the
// fixture and the named helpers the checks are written with.
//
// Every test starts its own server with --port 0 and a fixed-offset TZ, reads the port from
// its `listening on` line, and talks to it over loopback. Waits are bounded by generous
// timeouts that only a broken server ever reaches; the contract's own limits (quit closes
// within 1 s, no zombie outlives its client by 1 s, SIGTERM exits within 2 s) are used as
// stated. The ForkEchoServer and ThreadEchoServer checks skip on the other variant.
//
// The checks: echo_server_protocol.cc (startup, options, the line protocol),
// echo_server_robustness.cc (many clients, faults, limits, signals) and
// echo_server_variants.cc (what only the fork or only the thread server must do).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/fault_profile.h"
#include "harness/faults.h"
#include "harness/subprocess.h"
#include "harness/tcp_client.h"
#include "harness/unique_fd.h"
#include "suites/suite.h"

namespace forklab {

inline constexpr std::chrono::milliseconds kStartTimeout = std::chrono::seconds(5);
inline constexpr std::chrono::milliseconds kConnectTimeout = std::chrono::seconds(5);
// A correct server answers in microseconds; only a stuck or serial one gets near this.
inline constexpr std::chrono::milliseconds kReplyTimeout = std::chrono::seconds(5);
// The contract's limits.
inline constexpr std::chrono::milliseconds kQuitCloseLimit = std::chrono::seconds(1);
inline constexpr std::chrono::milliseconds kReapLimit = std::chrono::seconds(1);
inline constexpr std::chrono::milliseconds kShutdownLimit = std::chrono::seconds(2);
// EOF has no stated limit; a server that ignores EOF never closes at all.
inline constexpr std::chrono::milliseconds kEofCloseTimeout = std::chrono::seconds(3);
inline constexpr size_t kMaxLine = 64 * 1024;
inline constexpr int kManyClients = 200;
inline constexpr int kMinBacklog = 128;
inline constexpr uint16_t kDefaultPort = 12345;

// ---- Time zones -----------------------------------------------------------------------------

/// A fixed-offset POSIX time zone, e.g. TZ "FLT-05:04:03" for UTC+05:04:03.
struct FixedZone {
  std::string tz;
  long offset = 0;  // seconds east of UTC

  /// The zone's local "HH:MM:SS" at `when`.
  std::string HhMmSs(std::time_t when) const;
};

/// The zone in which the local clock reads `target` (seconds after midnight) right now.
/// Offsets to the second are valid POSIX TZ syntax, and pin every field of the local time.
FixedZone ZoneWhereNowIs(long target);

long SecondsOfDay(int hours, int minutes, int seconds);

/// A zone where it is 17:47 now (19:47 when UTC's hour is 17): local time is not UTC, and
/// its hour reads differently on a 12-hour clock.
FixedZone AfternoonZone();

// ---- Replies --------------------------------------------------------------------------------

/// `reply` is "[HH:MM:SS] <line>" (24-hour, zero-padded); stores HH:MM:SS in `stamp`.
testing::AssertionResult IsReplyTo(const std::string& reply, std::string_view line,
                                   std::string* stamp = nullptr);

/// `reply`, the one awaited for `timeout` (nullopt: none came), echoes `line`.
testing::AssertionResult RepliedWith(const std::optional<std::string>& reply, std::string_view line,
                                     std::chrono::milliseconds timeout,
                                     std::string* stamp = nullptr);

/// The client's next reply, within `timeout`, echoes `line`.
testing::AssertionResult RepliesWith(LineClient& client, std::string_view line,
                                     std::string* stamp = nullptr,
                                     std::chrono::milliseconds timeout = kReplyTimeout);

/// Sent `line` and '\n', the client gets the reply that echoes `line`.
testing::AssertionResult Echoes(LineClient& client, std::string_view line,
                                std::string* stamp = nullptr);

/// Sent `line`, the client gets a reply stamped with `zone`'s local time at reply time. When
/// the stamp is another time, `cause` receives the rubric's hint key for what it is: "utc"
/// (UTC's time), "twelve_hour" (the local time on a 12-hour clock), "stale" (a local time
/// from before the line was sent), else "".
testing::AssertionResult EchoesAtLocalTime(LineClient& client, const std::string& line,
                                           const FixedZone& zone, std::string* cause);

/// `received` is the start of the replies to `line_of(0)`, `line_of(1)`, ...: a session cut
/// short, but not garbled.
testing::AssertionResult RepliesInOrder(const std::string& received,
                                        const std::function<std::string(int)>& line_of);

// ---- The server's own state -----------------------------------------------------------------

/// Why a client's Send() failed: the server had closed or reset the connection.
std::string SendFailed();

/// What `err` says from where an exception escaped to std::terminate on (libstdc++'s and
/// libc++'s words), or nullopt.
std::optional<std::string> UncaughtExceptionIn(const std::string& err);

/// `processes()` comes up empty within `limit`; else how many it still found, and which.
testing::AssertionResult NoneWithin(std::chrono::milliseconds limit,
                                    const std::function<std::vector<pid_t>()>& processes);

/// Whether process `pid` has `sig` blocked or ignored (/proc/PID/status): it will not end on it.
bool SignalBlockedOrIgnored(pid_t pid, int sig);

/// Takes the machine-wide lock (flock) that tests using fixed `port` take in turn; released
/// when `lock` is closed.
testing::AssertionResult LockFixedPort(uint16_t port, UniqueFd* lock);

// ---- Fixtures -------------------------------------------------------------------------------

/// One echo server under test per test, started with --port 0 unless a test says otherwise,
/// and the clients that talk to it. Whatever a test does, TearDown kills and reaps the
/// server's tree and what it orphaned.
class EchoServer : public ProgramTest {
 protected:
  // Two hundred clients, their server sockets and the suite's pipes exceed a soft limit of 1024
  // on some machines.
  static void SetUpTestSuite();
  void TearDown() override;

  /// Starts the server under test with `args` in `zone`, and reads its startup line.
  testing::AssertionResult StartServer(std::vector<std::string> args = {"--port", "0"},
                                       const FixedZone& zone = AfternoonZone());
  /// Starts the server with the failure points of a switched `profile` loaded but off, for
  /// SwitchFaults to turn on and off while it runs.
  testing::AssertionResult StartServerUnderFaults(const FaultProfile& profile);
  /// Turns every failure point of the server's profile on or off. False when the check cannot
  /// go on, having failed it, or made it inconclusive when the server runs and libfiu's
  /// control thread did not answer.
  bool SwitchFaults(bool on);
  pid_t server_pid() const { return server_->pid(); }

  /// A new client; on failure the test fails with the reason (the server's death, with the
  /// `died` hint, when it has died) and gets nullopt.
  std::optional<LineClient> Connect(const std::string& host = "127.0.0.1");
  /// Starts the server as StartServer() does and connects `client` to it.
  testing::AssertionResult StartServerWithClient(std::optional<LineClient>* client);
  /// `count` clients, each served once, so each has its session running; fewer when one was
  /// not served (the test has failed then).
  std::vector<LineClient> ServedClients(int count);
  /// One client's whole session, alone: connects, sends `lines` then "quit", and reads until
  /// the server closes the connection or kReplyTimeout passes. nullopt when the server no
  /// longer accepts connections.
  std::optional<ConnectBurst::Received> SessionOf(const std::string& lines);
  /// `count` clients are each served once, then all leave, alternately by "quit" and by EOF,
  /// and the server closes each connection.
  testing::AssertionResult ClientsComeAndGo(int count);

  /// The server closes `client`'s connection within `timeout`, with no reply first when
  /// `silently`. When it does not, says why a connection stays open (every process holding
  /// its socket must close it), from the server's sockets: a fork server whose parent holds
  /// connected sockets makes this check "not measured", ParentHoldsNoConnectedSockets naming
  /// the cause.
  testing::AssertionResult ServerCloses(LineClient& client, std::chrono::milliseconds timeout,
                                        bool silently = true);
  /// Why connections of the server stay open: which of its processes hold connected sockets.
  std::string WhyStillOpen();

  /// True while the server process is still running (its output is drained meanwhile).
  bool ServerRunning();
  /// Waits up to `timeout` for the server to print more than `from` bytes on stderr.
  bool StderrGrows(size_t from, std::chrono::milliseconds timeout);
  /// The server has not ended: the "still alive" half of each absence claim about it (no
  /// zombie, no leftover process, no extra thread, no busy loop). Else says how and when it
  /// ended, `after` what ("after its clients left"), and what it wrote on stderr; the check's
  /// report then gives the rubric's `died` hint, if it has one.
  testing::AssertionResult ServerAlive(std::string_view after);
  /// A new client still gets a reply, and the server process still runs.
  testing::AssertionResult StillServing();
  /// Stops the server (SIGSTOP) and waits until it is stopped; TearDown kills it as it is.
  testing::AssertionResult PauseServer();
  void ResumeServer();

  /// How much CPU the server used while watched for `span`, and whether it ended meanwhile.
  struct CpuUse {
    double share = 0;  // of one CPU
    bool ended = false;
  };
  CpuUse WatchServerCpu(std::chrono::milliseconds span);

  /// Starts the server under switched `profile` (faults off) and serves `bystander` one line.
  /// Returns once the server is quiet again: the fault is process-wide, and the bystander's
  /// session, back in recv() (which allocates nothing), must not meet it.
  testing::AssertionResult StartWithBystander(const FaultProfile& profile,
                                              std::optional<LineClient>* bystander);
  /// With `profile`'s faults off again: a new client and `bystander`, served before
  /// `fault` happened, are both served.
  void ExpectServingAfter(LineClient& bystander, const std::string& fault,
                          const FaultProfile& profile);
  /// Under a switched `profile` that breaks one kind of call (fork, thread creation, recv,
  /// send): while it is on, a new client's connection must be closed and the failure
  /// reported; a client served before, and new clients once it is off, must be served.
  void CheckSurvivesFault(const FaultProfile& profile, const std::string& call);
  /// Stops the server with `sig` while two clients have sessions running, one of them
  /// mid-line: it exits 0 within the limit, leaving no session process or connection behind.
  void CheckStopsOnSignal(int sig);

  std::unique_ptr<Subprocess> server_;
  std::string listening_address_;
  uint16_t port_ = 0;

 private:
  /// Starts `options` and reads the startup line.
  testing::AssertionResult Launch(const SpawnOptions& options);

  std::unique_ptr<FaultControl> fault_control_;
  FaultProfile fault_profile_;
};

/// Checks of fork_echo_server only.
class ForkEchoServer : public EchoServer {
 protected:
  void SetUp() override;
};

/// Checks of thread_echo_server only.
class ThreadEchoServer : public EchoServer {
 protected:
  void SetUp() override;
};

}  // namespace forklab
