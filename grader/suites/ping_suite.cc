// The ping sweep contract (fork_ping, thread_ping, thread_ping_functor), checked from outside.
//
// Every run uses the fake ping (fixtures/ping) through --ping-cmd and targets in 127.0.0.0/8:
// the fake ping decides up or down from FAKE_PING_UP, sleeps a latency the test chooses, and
// logs each start and end, from which concurrency and the --jobs cap are measured. Times are
// only ever compared with that latency, never asserted in absolute terms.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/confinement.h"
#include "harness/faults.h"
#include "harness/proc.h"
#include "harness/subprocess.h"
#include "suites/suite.h"

namespace forklab {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

/// "127.0.0.{from..to}": the hosts a test expects, written out rather than computed by the
/// code under test's own helpers.
std::vector<std::string> Hosts(const std::string& prefix, int from, int to) {
  std::vector<std::string> hosts;
  for (int octet = from; octet <= to; ++octet) hosts.push_back(prefix + std::to_string(octet));
  return hosts;
}

std::string Join(const std::vector<std::string>& items, const std::string& separator = " ") {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : separator) + item;
  return joined;
}

/// One record of the fake ping's log (see fixtures/ping/fake_ping.cc).
struct LogRecord {
  bool start = false;
  std::string host;
  pid_t pid = 0;
  long long ns = 0;
  std::string result;  // "up" or "down" on end records
};

/// The most pings whose start..end intervals overlap at one instant.
int MaxOverlap(std::vector<LogRecord> records) {
  // At equal times an end goes first: a slot freed and reused is not an overlap.
  std::sort(records.begin(), records.end(), [](const LogRecord& a, const LogRecord& b) {
    return a.ns != b.ns ? a.ns < b.ns : !a.start && b.start;
  });
  int running = 0, most = 0;
  for (const LogRecord& record : records) {
    running += record.start ? 1 : -1;
    most = std::max(most, running);
  }
  return most;
}

/// The program's stdout, sorted into hosts and statuses.
struct Report {
  std::map<std::string, std::vector<std::string>> statuses_by_host;
  std::vector<std::string> malformed;  // lines that are not HOST:up|down|error

  explicit Report(const std::vector<std::string>& lines) {
    static const std::regex line_format(R"(^(\d{1,3}(?:\.\d{1,3}){3}):(up|down|error)$)");
    for (const std::string& line : lines) {
      std::smatch match;
      if (std::regex_match(line, match, line_format))
        statuses_by_host[match[1]].push_back(match[2]);
      else
        malformed.push_back(line);
    }
  }

  /// The status of `host` when it was reported exactly once, else "".
  std::string StatusOf(const std::string& host) const {
    auto it = statuses_by_host.find(host);
    return it != statuses_by_host.end() && it->second.size() == 1 ? it->second[0] : "";
  }
};

/// Asserts that stdout holds one well-formed line per host of `expected`, and nothing else.
testing::AssertionResult EachHostReportedOnce(const std::vector<std::string>& lines,
                                              const std::vector<std::string>& expected) {
  Report report(lines);
  std::ostringstream problems;
  for (const std::string& line : report.malformed)
    problems << "\n  a line that is not HOST:up|down|error: '" << line << "'";
  std::set<std::string> expected_set(expected.begin(), expected.end());
  for (const std::string& host : expected) {
    size_t times = report.statuses_by_host.count(host) ? report.statuses_by_host[host].size() : 0;
    if (times != 1) problems << "\n  " << host << " reported " << times << " times, not once";
  }
  for (const auto& [host, statuses] : report.statuses_by_host)
    if (!expected_set.count(host)) problems << "\n  " << host << " reported but not a target";
  if (problems.str().empty()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "stdout does not report each of the " << expected.size()
                                     << " hosts exactly once:" << problems.str();
}

/// Whether `err` holds a usage message ("Usage: ..." from CLI11, "usage: ..." from argparse).
bool ShowsUsage(std::string err) {
  std::transform(err.begin(), err.end(), err.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return err.find("usage") != std::string::npos;
}

/// A test of the lab under test, with a scratch directory for the fake ping's log.
class Ping : public testing::Test {
 protected:
  /// One sweep: the targets and how the fake ping behaves.
  struct Sweep {
    std::vector<std::string> targets{};
    std::vector<std::string> options{};  // e.g. {"--jobs", "4"}
    std::string up = "all";              // FAKE_PING_UP
    int latency_ms = 100;                // FAKE_PING_LATENCY_MS
    std::string slow{};                  // FAKE_PING_SLOW, hosts that take slow_ms instead
    int slow_ms = 0;
    std::optional<std::string> ping_cmd{};  // default: the fake ping with "-c 1"
  };

  void SetUp() override {
    // The fake ping, run by the program under test, writes its log here.
    dir_ = MakeProgramScratchDir("forklab-ping");
    log_ = dir_ / "fake-ping.log";
  }

  void TearDown() override {
    // Whatever the program left behind was adopted by the suite (a subreaper): clean it up so
    // that the next test starts from nothing.
    ReapAdopted(/*kill_live=*/true);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  SpawnOptions OptionsFor(const Sweep& sweep) const {
    SpawnOptions options;
    options.args = sweep.options;
    options.args.push_back("--ping-cmd");
    options.args.push_back(sweep.ping_cmd.value_or(FakePing() + " -c 1"));
    options.args.insert(options.args.end(), sweep.targets.begin(), sweep.targets.end());
    options.env["FAKE_PING_UP"] = sweep.up;
    options.env["FAKE_PING_LATENCY_MS"] = std::to_string(sweep.latency_ms);
    options.env["FAKE_PING_LOG"] = log_.string();
    if (!sweep.slow.empty()) {
      options.env["FAKE_PING_SLOW"] = sweep.slow;
      options.env["FAKE_PING_SLOW_MS"] = std::to_string(sweep.slow_ms);
    } else {
      options.unset_env = {"FAKE_PING_SLOW", "FAKE_PING_SLOW_MS"};
    }
    return options;
  }

  RunResult RunSweep(const Sweep& sweep, milliseconds timeout = milliseconds(30'000)) {
    return forklab::Run(ExeUnderTest(), OptionsFor(sweep), timeout);
  }

  std::unique_ptr<Subprocess> StartSweep(const Sweep& sweep) {
    return Subprocess::Start(ExeUnderTest(), OptionsFor(sweep));
  }

  /// Waits for `program` to exit, calling `sample` every few milliseconds meanwhile.
  /// Returns nullopt when it is still running after `timeout`.
  static std::optional<ExitStatus> WatchUntilExit(Subprocess& program, milliseconds timeout,
                                                  const std::function<void()>& sample) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (auto status = program.Wait(milliseconds(15))) return status;
      sample();
    }
    return std::nullopt;
  }

  /// The fake ping's log, parsed; a malformed record fails the test.
  std::vector<LogRecord> ReadLog() const {
    std::vector<LogRecord> records;
    std::ifstream in(log_);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string kind;
      LogRecord record;
      fields >> kind >> record.host >> record.pid >> record.ns;
      record.start = kind == "start";
      if (!record.start) fields >> record.result;
      EXPECT_TRUE(fields && (kind == "start" || kind == "end")) << "bad log record: " << line;
      records.push_back(record);
    }
    return records;
  }

  int PingsStarted() const {
    auto records = ReadLog();
    return static_cast<int>(
        std::count_if(records.begin(), records.end(), [](const LogRecord& r) { return r.start; }));
  }

  /// Sweeps 127.0.0.1-N, every host up, under the failure points of `profile` (libfiu; see
  /// harness/faults.h and fixtures/faults/).
  RunResult RunUnderFaults(const FaultProfile& profile, int hosts) {
    SpawnOptions options =
        OptionsFor({.targets = {"127.0.0.1-" + std::to_string(hosts)}, .latency_ms = 50});
    ApplyFaults(profile.plan, "", &options);
    return forklab::Run(ExeUnderTest(), options, milliseconds(60'000));
  }

  /// Some `call`s fail with EAGAIN: every host is still reported once, up (all are up) or,
  /// when its retries ran out, error. EAGAIN is temporary, so retries keep errors rare.
  void ExpectFailuresRetried(const FaultProfile& profile, const std::string& call) {
    const int kHosts = 40;
    RunResult run = RunUnderFaults(profile, kHosts);
    ASSERT_FALSE(run.timed_out()) << "under " << profile.Explain() << "\nstill running after 60 s";
    ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, kHosts)))
        << "under " << profile.Explain();
    Report report(run.Lines());
    int errors = 0;
    for (const std::string& host : Hosts("127.0.0.", 1, kHosts)) {
      std::string status = report.StatusOf(host);
      EXPECT_NE(status, "down") << host << " is up: when " << call << " fails, the host could "
                                << "not be checked, which is HOST:error, not down";
      errors += status == "error";
    }
    EXPECT_LE(errors, kHosts / 10)
        << errors << " of " << kHosts << " hosts ended in HOST:error under " << profile.Explain()
        << "\nEAGAIN means \"try again\": retry " << call << " a few times, after a growing "
        << "pause, before giving up on a host";
    EXPECT_TRUE(run.status->ExitedWith(errors > 0 ? 1 : 0))
        << "with " << errors << " HOST:error line(s) the exit status must be "
        << (errors > 0 ? 1 : 0) << ", got " << run.status->Describe();
    if (errors > 0) {
      EXPECT_FALSE(run.err.empty()) << "the reason for HOST:error goes on stderr";
    }
    EXPECT_TRUE(ReapAdopted(/*kill_live=*/true).empty())
        << "processes of the program outlived it under " << profile.Explain();
  }

  /// Every `call` fails: no check can start, so every host is HOST:error and the exit is 1.
  void ExpectErrorsWhenFailingForGood(const FaultProfile& profile, const std::string& call) {
    const int kHosts = 4;
    RunResult run = RunUnderFaults(profile, kHosts);
    ASSERT_FALSE(run.timed_out()) << "under " << profile.Explain() << "\nstill running after 60 s";
    if (PingsStarted() > 0)
      GTEST_SKIP() << "the pings started although every " << call << " failed: the program "
                   << "does not go through it (vfork, posix_spawn, clone), out of libfiu's reach";
    ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, kHosts)))
        << "under " << profile.Explain() << "\nstderr:\n"
        << run.err;
    Report report(run.Lines());
    for (const std::string& host : Hosts("127.0.0.", 1, kHosts))
      EXPECT_EQ(report.StatusOf(host), "error")
          << "every " << call << " fails, so no check of " << host << " could start";
    EXPECT_TRUE(run.status->ExitedWith(1))
        << "any HOST:error makes the exit status 1, got " << run.status->Describe();
    EXPECT_FALSE(run.err.empty()) << "the reason for HOST:error goes on stderr";
  }

  std::filesystem::path dir_;
  std::filesystem::path log_;
};

// ---- Results -------------------------------------------------------------------------------

TEST_F(Ping, EveryHostReportedOnce) {
  auto hosts = Hosts("127.0.0.", 1, 20);
  RunResult run = RunSweep({.targets = {"127.0.0.1-20"}, .up = "odd"});
  ASSERT_FALSE(run.timed_out()) << "the sweep of 20 hosts did not finish in 30 s";
  EXPECT_TRUE(EachHostReportedOnce(run.Lines(), hosts));
  EXPECT_EQ(PingsStarted(), 20) << "the fake ping should run once per host";
}

TEST_F(Ping, UpAndDownFollowTheFakePingTable) {
  const std::string table = "127.0.0.2,127.0.0.5-7,127.0.1.0/29";
  auto hosts = Hosts("127.0.0.", 1, 10);
  auto block = Hosts("127.0.1.", 1, 14);  // 127.0.1.0/28
  hosts.insert(hosts.end(), block.begin(), block.end());
  RunResult run = RunSweep({.targets = {"127.0.0.1-10", "127.0.1.0/28"}, .up = table});
  ASSERT_FALSE(run.timed_out());
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), hosts));
  std::set<std::string> up{"127.0.0.2", "127.0.0.5", "127.0.0.6", "127.0.0.7"};
  for (const std::string& host : Hosts("127.0.1.", 1, 6)) up.insert(host);  // /29, hosts only
  Report report(run.Lines());
  for (const std::string& host : hosts)
    EXPECT_EQ(report.StatusOf(host), up.count(host) ? "up" : "down")
        << host << " with FAKE_PING_UP=" << table << " (the ping exits 0 for up, 1 for down)";
  for (const LogRecord& record : ReadLog()) {
    if (record.start) continue;
    EXPECT_EQ(report.StatusOf(record.host), record.result)
        << "the ping of " << record.host << " (pid " << record.pid << ") answered "
        << record.result;
  }
}

TEST_F(Ping, LineFormatIsHostColonStatus) {
  RunResult run = RunSweep({.targets = {"127.0.0.1", "127.0.0.2"}, .up = "127.0.0.1"});
  ASSERT_FALSE(run.timed_out());
  std::vector<std::string> lines = run.Lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"127.0.0.1:up", "127.0.0.2:down"}))
      << "each line is exactly HOST:up or HOST:down, nothing around it; stdout was:\n"
      << run.out;
}

TEST_F(Ping, PingOutputIsDiscarded) {
  // The fake ping prints ping-like chatter on stdout, and a complaint on stderr when down.
  RunResult run = RunSweep({.targets = {"127.0.0.1-6"}, .up = "even"});
  ASSERT_FALSE(run.timed_out());
  Report report(run.Lines());
  EXPECT_TRUE(report.malformed.empty())
      << "stdout must hold only HOST:status lines; the ping's own output leaked through:\n"
      << Join(report.malformed, "\n");
  EXPECT_EQ(run.err.find("fake ping"), std::string::npos)
      << "the ping's stderr must be discarded too; stderr was:\n"
      << run.err;
  EXPECT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 6)));
}

TEST_F(Ping, ExitsZeroWhenEveryHostWasChecked) {
  // Down is a result, not an error: only hosts that could not be checked make exit 1.
  RunResult run = RunSweep({.targets = {"127.0.0.1-4"}, .up = "127.0.0.1"});
  ASSERT_FALSE(run.timed_out());
  EXPECT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 4)));
  ASSERT_TRUE(run.status->ExitedWith(0))
      << "with every host checked (one up, three down) the exit status must be 0, got "
      << run.status->Describe() << "; stderr:\n"
      << run.err;
}

TEST_F(Ping, UnexecutablePingCommandIsAnError) {
  std::filesystem::path not_executable = dir_ / "not-executable";
  std::ofstream(not_executable) << "#!/bin/sh\nexit 0\n";
  std::filesystem::permissions(
      not_executable, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  for (const std::string& command :
       {(dir_ / "no-such-ping").string() + " -c 1", not_executable.string() + " -c 1"}) {
    SCOPED_TRACE("--ping-cmd \"" + command + "\"");
    RunResult run = RunSweep({.targets = {"127.0.0.1-3"}, .ping_cmd = command});
    ASSERT_FALSE(run.timed_out());
    ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 3)));
    Report report(run.Lines());
    for (const std::string& host : Hosts("127.0.0.", 1, 3))
      EXPECT_EQ(report.StatusOf(host), "error")
          << "the ping command cannot be executed, so " << host
          << " could not be checked: HOST:error, not a guess";
    EXPECT_TRUE(run.status->ExitedWith(1))
        << "any HOST:error makes the exit status 1, got " << run.status->Describe();
    EXPECT_FALSE(run.err.empty()) << "the reason for HOST:error belongs on stderr";
  }
}

TEST_F(Ping, DefaultPingCommandIsPingFromPath) {
  // Without --ping-cmd the program runs `ping -c 2 -W 1 HOST`, found through PATH: put the
  // fake ping first in PATH, under the name ping. (No real ping is installed to fall back on.)
  std::filesystem::create_directory(dir_ / "bin");
  std::filesystem::create_symlink(FakePing(), dir_ / "bin" / "ping");
  SpawnOptions options = OptionsFor({.up = "127.0.0.2"});
  options.args = {"127.0.0.1-3"};
  const char* path = std::getenv("PATH");
  options.env["PATH"] = (dir_ / "bin").string() + ":" + (path ? path : "/usr/bin:/bin");
  RunResult run = forklab::Run(ExeUnderTest(), options, milliseconds(30'000));
  ASSERT_FALSE(run.timed_out());
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 3)));
  Report report(run.Lines());
  EXPECT_EQ(report.StatusOf("127.0.0.1"), "down");
  EXPECT_EQ(report.StatusOf("127.0.0.2"), "up");
  EXPECT_EQ(PingsStarted(), 3) << "the default command must be `ping` found through PATH";
}

// ---- Targets -------------------------------------------------------------------------------

TEST_F(Ping, RangeTargetIsExpanded) {
  RunResult run = RunSweep({.targets = {"127.0.0.1-3"}});
  ASSERT_FALSE(run.timed_out());
  EXPECT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 3)));
}

TEST_F(Ping, CidrTargetsExpandToHostsOnly) {
  struct Case {
    std::string target;
    std::vector<std::string> hosts;
  };
  std::vector<Case> cases = {
      {"127.0.2.0/30", {"127.0.2.1", "127.0.2.2"}},  // network and broadcast left out
      {"127.0.3.6/31", {"127.0.3.6", "127.0.3.7"}},  // a point-to-point pair: both
      {"127.0.4.9/32", {"127.0.4.9"}},               // a single host
      {"127.0.5.77/29", Hosts("127.0.5.", 73, 78)},  // host bits in the address ignored
      {"127.0.6.0/24", Hosts("127.0.6.", 1, 254)}};
  for (const Case& c : cases) {
    SCOPED_TRACE("target " + c.target);
    RunResult run = RunSweep({.targets = {c.target}, .latency_ms = 20});
    ASSERT_FALSE(run.timed_out());
    EXPECT_TRUE(EachHostReportedOnce(run.Lines(), c.hosts));
  }
}

TEST_F(Ping, SeveralTargetsAreAllSwept) {
  RunResult run = RunSweep({.targets = {"127.0.0.9", "127.0.1.1-2", "127.0.2.0/30"}});
  ASSERT_FALSE(run.timed_out());
  EXPECT_TRUE(EachHostReportedOnce(
      run.Lines(), {"127.0.0.9", "127.0.1.1", "127.0.1.2", "127.0.2.1", "127.0.2.2"}));
}

TEST_F(Ping, BadTargetsAreRejectedBeforeAnythingRuns) {
  // Control: the valid target alone is swept, so exit 2 below is the bad target's doing.
  RunResult control = RunSweep({.targets = {"127.0.0.1"}});
  ASSERT_FALSE(control.timed_out());
  ASSERT_TRUE(EachHostReportedOnce(control.Lines(), {"127.0.0.1"}));
  std::filesystem::remove(log_);

  // 1.2.3.4/8 and 127.0.0.0/15 would be millions of hosts if accepted: --jobs 2 keeps a
  // program that wrongly accepts them from flooding the machine before the timeout.
  for (const std::string bad :
       {"localhost", "example.com", "256.1.1.1", "127.0.0.5-2", "", "127.0.0", "127.0.0.1.1",
        "127.0.0.1/33", "1.2.3.4/8", "127.0.0.0/15", "127.0.0.1-300", "-127.0.0.1", "0x7f.0.0.1",
        "127.0.0.1 ", "127.0.0.1-"}) {
    SCOPED_TRACE("bad target '" + bad + "' after a good one");
    RunResult run =
        RunSweep({.targets = {"127.0.0.1", bad}, .options = {"--jobs", "2"}}, milliseconds(5000));
    ASSERT_FALSE(run.timed_out()) << "a bad target must end the program at once";
    EXPECT_TRUE(run.status->ExitedWith(2))
        << "a bad target is a usage error (exit 2), got " << run.status->Describe();
    EXPECT_EQ(PingsStarted(), 0)
        << "targets are all checked before anything runs: the good one was pinged anyway";
    EXPECT_TRUE(run.Lines().empty()) << "nothing is reported for a rejected command line:\n"
                                     << run.out;
    EXPECT_FALSE(run.err.empty()) << "say on stderr what is wrong with the target";
    std::filesystem::remove(log_);
  }
}

TEST_F(Ping, ShellInjectionTargetIsRejected) {
  std::filesystem::path touched = dir_ / "INJECTED";
  const std::string injection = "127.0.0.1;touch " + touched.string();
  for (const std::string& target : {injection, "127.0.0.1$(touch " + touched.string() + ")",
                                    "127.0.0.1 && touch " + touched.string()}) {
    SCOPED_TRACE("target '" + target + "'");
    RunResult run = RunSweep({.targets = {target}}, milliseconds(5000));
    ASSERT_FALSE(run.timed_out());
    EXPECT_FALSE(std::filesystem::exists(touched))
        << "the target reached a shell, which ran the injected command";
    EXPECT_TRUE(run.status->ExitedWith(2)) << "got " << run.status->Describe();
    EXPECT_EQ(PingsStarted(), 0) << "the fake ping ran for a target that is not an address";
  }
  // Control: the same program does sweep a valid target.
  RunResult control = RunSweep({.targets = {"127.0.0.1"}});
  EXPECT_TRUE(EachHostReportedOnce(control.Lines(), {"127.0.0.1"}));
}

TEST_F(Ping, PingCommandIsNotRunThroughAShell) {
  // The ping command's words go straight to exec. A program path with a quote in it is fine
  // for exec, and a syntax error for any shell: through `sh -c`, every host would be down.
  std::filesystem::path quoted = dir_ / "fake'ping";
  std::filesystem::create_symlink(FakePing(), quoted);
  RunResult run = RunSweep({.targets = {"127.0.0.1-3"}, .ping_cmd = quoted.string() + " -c 1"});
  ASSERT_FALSE(run.timed_out());
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 3)));
  Report report(run.Lines());
  for (const std::string& host : Hosts("127.0.0.", 1, 3))
    EXPECT_EQ(report.StatusOf(host), "up")
        << "every host is up, yet " << host << " was not: was the command run by a shell?";
  EXPECT_EQ(PingsStarted(), 3);
}

// ---- Options -------------------------------------------------------------------------------

TEST_F(Ping, UnknownOptionIsAUsageError) {
  RunResult run =
      RunSweep({.targets = {"127.0.0.1"}, .options = {"--bogus-option"}}, milliseconds(5000));
  ASSERT_FALSE(run.timed_out());
  EXPECT_TRUE(run.status->ExitedWith(2)) << "got " << run.status->Describe();
  EXPECT_TRUE(run.Lines().empty()) << "nothing is swept with a bad command line:\n" << run.out;
  EXPECT_TRUE(ShowsUsage(run.err)) << "a usage message belongs on stderr; it was:\n" << run.err;
  EXPECT_EQ(PingsStarted(), 0);
  // Control: without the unknown option, the same sweep works.
  RunResult control = RunSweep({.targets = {"127.0.0.1"}});
  EXPECT_TRUE(EachHostReportedOnce(control.Lines(), {"127.0.0.1"}));
}

TEST_F(Ping, BadJobsValueIsAUsageError) {
  for (const std::string bad : {"0", "-1", "abc", "2x", ""}) {
    SCOPED_TRACE("--jobs '" + bad + "'");
    RunResult run =
        RunSweep({.targets = {"127.0.0.1"}, .options = {"--jobs", bad}}, milliseconds(5000));
    ASSERT_FALSE(run.timed_out());
    EXPECT_TRUE(run.status->ExitedWith(2)) << "got " << run.status->Describe();
    EXPECT_TRUE(ShowsUsage(run.err)) << "a usage message belongs on stderr; it was:\n" << run.err;
    EXPECT_EQ(PingsStarted(), 0);
    std::filesystem::remove(log_);
  }
  // Control: a good value works.
  RunResult control = RunSweep({.targets = {"127.0.0.1"}, .options = {"--jobs", "1"}});
  EXPECT_TRUE(EachHostReportedOnce(control.Lines(), {"127.0.0.1"}));
}

TEST_F(Ping, MissingTargetIsAUsageError) {
  RunResult run = RunSweep({.targets = {}}, milliseconds(5000));
  ASSERT_FALSE(run.timed_out());
  EXPECT_TRUE(run.status->ExitedWith(2)) << "got " << run.status->Describe();
  EXPECT_TRUE(ShowsUsage(run.err)) << "a usage message belongs on stderr; it was:\n" << run.err;
  RunResult control = RunSweep({.targets = {"127.0.0.1"}});
  EXPECT_TRUE(EachHostReportedOnce(control.Lines(), {"127.0.0.1"}));
}

// ---- Concurrency ---------------------------------------------------------------------------

TEST_F(Ping, SweepIsConcurrent) {
  // Serially, 60 pings of latency L take 60 L; concurrently about L, plus the time it takes
  // this (2-core, busy) machine to start 60 processes.
  const int kHosts = 60, kLatencyMs = 1000;
  RunResult run = RunSweep({.targets = {"127.0.0.1-60"}, .latency_ms = kLatencyMs},
                           milliseconds(15 * kLatencyMs));
  ASSERT_FALSE(run.timed_out()) << kHosts << " pings of " << kLatencyMs
                                << " ms each did not finish in 15 latencies: they ran one "
                                   "after another (serially that is "
                                << kHosts << " latencies)";
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, kHosts)));
  double latencies = run.wall_time.count() * 1000 / kLatencyMs;
  EXPECT_LT(latencies, 10) << "the sweep took " << latencies << " ping latencies; run "
                           << "concurrently it takes about 1, serially " << kHosts;
  // How many overlap also depends on how fast processes start here, so the bar is set far
  // above what a serial sweep or a small fixed pool reaches, and well below 60.
  int overlap = MaxOverlap(ReadLog());
  EXPECT_GE(overlap, kHosts / 6) << "at most " << overlap << " of " << kHosts
                                 << " pings were running at once; without --jobs all overlap";
}

TEST_F(Ping, JobsCapIsRespected) {
  const int kHosts = 12, kLatencyMs = 150;
  for (int jobs : {1, 3}) {
    SCOPED_TRACE("--jobs " + std::to_string(jobs));
    RunResult run = RunSweep({.targets = {"127.0.0.1-12"},
                              .options = {"--jobs", std::to_string(jobs)},
                              .latency_ms = kLatencyMs});
    ASSERT_FALSE(run.timed_out());
    ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, kHosts)));
    auto records = ReadLog();
    ASSERT_EQ(records.size(), 2u * kHosts) << "every ping has a start and an end record";
    int overlap = MaxOverlap(records);
    EXPECT_LE(overlap, jobs) << overlap << " pings ran at once with --jobs " << jobs;
    if (jobs > 1) {
      EXPECT_GT(overlap, 1) << "--jobs " << jobs << " allows concurrency, but pings ran one at "
                            << "a time";
    }
    std::filesystem::remove(log_);
  }
}

TEST_F(Ping, LinesArriveAsSoonAsPrinted) {
  // Four fast hosts and a slow last one: the fast lines must reach the pipe while the slow
  // ping still runs. A line held in a stdio buffer shows up only at exit.
  const int kSlowMs = 4000;
  auto program = StartSweep(
      {.targets = {"127.0.0.1-5"}, .latency_ms = 50, .slow = "127.0.0.5", .slow_ms = kSlowMs});
  std::optional<std::string> first = program->ReadLine(milliseconds(kSlowMs / 2));
  ASSERT_TRUE(first.has_value()) << "no line on stdout within " << kSlowMs / 2
                                 << " ms although 4 of 5 hosts answer in 50 ms: output is "
                                    "held in a buffer (or the results wait for the slowest)";
  EXPECT_FALSE(program->Wait(milliseconds(0)).has_value())
      << "the program exited before the slow host could answer";
  ASSERT_TRUE(program->Wait(milliseconds(3 * kSlowMs)).has_value());
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, 5)));
}

// ---- Processes -----------------------------------------------------------------------------

TEST_F(Ping, NoProcessOutlivesTheProgram) {
  const int kHosts = 20;
  auto program = StartSweep({.targets = {"127.0.0.1-20"}, .latency_ms = 300});
  pid_t pid = program->pid();
  auto status = program->Wait(milliseconds(30'000));
  ASSERT_TRUE(status.has_value()) << "the sweep did not end";
  // Checked at the moment of exit: the suite is a subreaper, so anything the program left
  // running or unreaped is now a child of ours.
  std::vector<pid_t> leftovers;
  for (pid_t child : ChildrenOf(getpid()))
    if (child != pid) leftovers.push_back(child);
  std::vector<std::string> lines = program->StdoutLines();
  EXPECT_TRUE(leftovers.empty()) << leftovers.size() << " process(es) of the program outlived "
                                 << "it (every child must be waited for before exit), e.g. "
                                 << Join(Cmdline(leftovers[0]));
  EXPECT_TRUE(EachHostReportedOnce(lines, Hosts("127.0.0.", 1, kHosts)))
      << "the program must not exit before every result is printed";
  auto records = ReadLog();
  int starts = static_cast<int>(
      std::count_if(records.begin(), records.end(), [](const LogRecord& r) { return r.start; }));
  EXPECT_EQ(starts, kHosts);
  EXPECT_EQ(records.size(), 2u * starts) << "some pings had not finished when the program exited";
  EXPECT_TRUE(ReapAdopted(/*kill_live=*/true).empty()) << "orphans were left to the suite";
}

TEST_F(Ping, NoZombieLingersDuringTheSweep) {
  // One slow host first and nineteen fast ones: a program that waits for its children in
  // order, or only at the end, leaves the fast ones as zombies while the slow one runs.
  const int kSlowMs = 2500;
  const milliseconds kLinger(500);
  auto program = StartSweep(
      {.targets = {"127.0.0.1-20"}, .latency_ms = 50, .slow = "127.0.0.1", .slow_ms = kSlowMs});
  pid_t pid = program->pid();
  std::map<pid_t, Clock::time_point> first_seen;
  std::set<pid_t> lingering;
  auto status = WatchUntilExit(*program, milliseconds(6 * kSlowMs), [&] {
    auto now = Clock::now();
    for (pid_t zombie : ZombieChildrenOf(pid)) {
      auto [it, inserted] = first_seen.emplace(zombie, now);
      if (now - it->second >= kLinger) lingering.insert(zombie);
    }
  });
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(lingering.empty()) << lingering.size() << " child(ren) stayed zombies for over "
                                 << kLinger.count() << " ms: reap each child as soon as it "
                                 << "ends (waitpid for any child), not in order or at the end";
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, 20)));
}

TEST_F(Ping, ForkFailureIsRetried) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "fork-eagain-share");
  ExpectFailuresRetried(profile, "fork()");
}

TEST_F(Ping, ForkThatKeepsFailingIsAnError) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "fork-eagain");
  ExpectErrorsWhenFailingForGood(profile, "fork()");
}

// ---- Variant-only checks -------------------------------------------------------------------

TEST_F(Ping, ForkVariantRunsOneChildPerHost) {
  if (!ForkVariant()) GTEST_SKIP() << LabUnderTest() << " uses threads, not a child per host";
  const int kHosts = 20;
  auto program = StartSweep({.targets = {"127.0.0.1-20"}, .latency_ms = 1500});
  pid_t pid = program->pid();
  size_t most_children = 0;
  auto status = WatchUntilExit(*program, milliseconds(30'000), [&] {
    most_children = std::max(most_children, ChildrenOf(pid).size());
  });
  ASSERT_TRUE(status.has_value());
  EXPECT_GE(most_children, size_t{kHosts})
      << "at most " << most_children << " children of the program were seen at once; with "
      << kHosts << " hosts and no --jobs cap there is one child process per host";
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, kHosts)));
}

TEST_F(Ping, ThreadVariantIsMultiThreaded) {
  if (ForkVariant()) GTEST_SKIP() << LabUnderTest() << " uses processes, not threads";
  const int kHosts = 20;
  auto program = StartSweep({.targets = {"127.0.0.1-20"}, .latency_ms = 1500});
  pid_t pid = program->pid();
  int most_threads = 0;
  auto status = WatchUntilExit(*program, milliseconds(30'000),
                               [&] { most_threads = std::max(most_threads, ThreadCount(pid)); });
  ASSERT_TRUE(status.has_value());
  EXPECT_GT(most_threads, 1) << "the program never had more than one thread";
  EXPECT_GE(most_threads, kHosts) << "at most " << most_threads << " threads were seen; with "
                                  << kHosts << " hosts and no --jobs cap there is one thread "
                                  << "per host";
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, kHosts)));
}

TEST_F(Ping, ThreadVariantRunsNoChildButPingCommands) {
  if (ForkVariant()) GTEST_SKIP() << LabUnderTest() << " forks a child per host by design";
  // Every child must be the ping command itself. A child that still shows the program's own
  // command line has not exec'd yet; that lasts an instant, not most of a ping.
  Sweep sweep{.targets = {"127.0.0.1-20"}, .latency_ms = 1500};
  const milliseconds kLongestBeforeExec(300);
  auto program = StartSweep(sweep);
  pid_t pid = program->pid();
  std::vector<std::string> own_cmdline = Cmdline(pid);  // what a child shows until it execs
  std::map<pid_t, Clock::time_point> unexeced_since;
  std::set<std::string> strangers;
  auto status = WatchUntilExit(*program, milliseconds(30'000), [&] {
    auto now = Clock::now();
    for (pid_t child : ChildrenOf(pid)) {
      std::vector<std::string> cmdline = Cmdline(child);
      if (cmdline.empty() || cmdline[0] == FakePing()) continue;  // gone, or the ping itself
      if (cmdline == own_cmdline) {
        auto [it, inserted] = unexeced_since.emplace(child, now);
        if (now - it->second < kLongestBeforeExec) continue;
      }
      strangers.insert(Join(cmdline));
    }
  });
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(strangers.empty()) << "children other than the ping command (no shell, no worker "
                                    "processes: the threads do the work):\n  "
                                 << Join(std::vector<std::string>(strangers.begin(),
                                                                  strangers.end()),
                                         "\n  ");
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, 20)));
}

TEST_F(Ping, ThreadVariantLinesStayWellFormedWith254Hosts) {
  if (ForkVariant()) GTEST_SKIP() << LabUnderTest() << " has no threads to interleave";
  // 254 threads finishing within moments of each other: lines written in pieces (a
  // std::cout << chain) interleave; one write(2) per line never does.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round + 1));
    RunResult run = RunSweep({.targets = {"127.0.0.0/24"}, .up = "odd", .latency_ms = 300});
    ASSERT_FALSE(run.timed_out());
    ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 254)));
    Report report(run.Lines());
    for (int octet = 1; octet <= 254; ++octet) {
      std::string host = "127.0.0." + std::to_string(octet);
      ASSERT_EQ(report.StatusOf(host), octet % 2 ? "up" : "down") << host;
    }
    std::filesystem::remove(log_);
  }
}

TEST_F(Ping, ThreadVariantThreadCreationFailureIsRetried) {
  if (ForkVariant()) GTEST_SKIP() << LabUnderTest() << " creates no threads";
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "thread-eagain-share");
  ExpectFailuresRetried(profile, "thread creation (std::thread, pthread_create)");
}

TEST_F(Ping, ThreadVariantThreadCreationThatKeepsFailingIsAnError) {
  if (ForkVariant()) GTEST_SKIP() << LabUnderTest() << " creates no threads";
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile, "thread-eagain");
  ExpectErrorsWhenFailingForGood(profile, "thread creation (std::thread, pthread_create)");
}

}  // namespace
}  // namespace forklab
