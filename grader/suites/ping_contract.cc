// The ping sweep's contract: what it reports, the targets and options it takes, and the
// command lines it refuses. See ping_fixture.h for how a sweep is run and read back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "i18n/messages.h"
#include "suites/ping_fixture.h"

namespace forklab {
namespace {

using std::chrono::milliseconds;

// ---- Results -------------------------------------------------------------------------------

TEST_F(Ping, EveryHostReportedOnce) {
  auto hosts = Hosts("127.0.0.", 1, 20);
  RunResult run = RunSweep({.targets = {"127.0.0.1-20"}, .up = "odd"});
  ASSERT_FALSE(run.timed_out()) << Tr("the sweep of 20 hosts did not finish in 30 s");
  EXPECT_TRUE(EachHostReportedOnce(run.Lines(), hosts));
  EXPECT_EQ(PingsStarted(), 20) << Tr("the fake ping should run once per host");
}

TEST_F(Ping, UpAndDownFollowTheFakePingTable) {
  const std::string table = "127.0.0.2,127.0.0.5-7,127.0.1.0/29";
  auto hosts = Hosts("127.0.0.", 1, 10);
  auto block = Hosts("127.0.1.", 1, 14);  // 127.0.1.0/28
  hosts.insert(hosts.end(), block.begin(), block.end());
  RunResult run = RunSweep({.targets = {"127.0.0.1-10", "127.0.1.0/28"}, .up = table});
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(),
                                              static_cast<int>(hosts.size()));
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), hosts));
  std::set<std::string> up{"127.0.0.2", "127.0.0.5", "127.0.0.6", "127.0.0.7"};
  for (const std::string& host : Hosts("127.0.1.", 1, 6)) up.insert(host);  // /29, hosts only
  Report report(run.Lines());
  for (const std::string& host : hosts)
    EXPECT_EQ(report.StatusOf(host), up.count(host) ? "up" : "down")
        << Tr("{} with FAKE_PING_UP={} (the ping exits 0 for up, 1 for down)", host, table);
  for (const LogRecord& record : ReadLog()) {
    if (record.start) continue;
    EXPECT_EQ(report.StatusOf(record.host), record.result)
        << Tr("the ping of {} (pid {}) answered {}", record.host, record.pid, record.result);
  }
}

TEST_F(Ping, LineFormatIsHostColonStatus) {
  RunResult run = RunSweep({.targets = {"127.0.0.1", "127.0.0.2"}, .up = "127.0.0.1"});
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), 2);
  std::vector<std::string> lines = run.Lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"127.0.0.1:up", "127.0.0.2:down"}))
      << Tr("each line is exactly HOST:up or HOST:down, nothing around it; stdout was:") << "\n"
      << run.out;
}

TEST_F(Ping, PingOutputIsDiscarded) {
  // The fake ping prints ping-like chatter on stdout, and a complaint on stderr when down.
  RunResult run = RunSweep({.targets = {"127.0.0.1-6"}, .up = "even"});
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), 6);
  Report report(run.Lines());
  EXPECT_TRUE(report.malformed.empty())
      << Tr("stdout must hold only HOST:status lines; the ping's own output leaked through:")
      << "\n"
      << Join(report.malformed, "\n");
  EXPECT_EQ(run.err.find("fake ping"), std::string::npos)
      << Tr("the ping's stderr must be discarded too; stderr was:") << "\n"
      << run.err;
  EXPECT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 6)));
}

TEST_F(Ping, ExitsZeroWhenEveryHostWasChecked) {
  // Down is a result, not an error: only hosts that could not be checked make exit 1.
  RunResult run = RunSweep({.targets = {"127.0.0.1-4"}, .up = "127.0.0.1"});
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), 4);
  EXPECT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 4)));
  ASSERT_TRUE(run.status->ExitedWith(0))
      << Tr("with every host checked (one up, three down) the exit status must be 0, got {}",
            run.status->Describe())
      << "; stderr:\n"
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
    ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), 3);
    ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 3)));
    Report report(run.Lines());
    for (const std::string& host : Hosts("127.0.0.", 1, 3))
      EXPECT_EQ(report.StatusOf(host), "error")
          << Tr("the ping command cannot be executed, so {} could not be checked: HOST:error, "
                "not a guess",
                host);
    EXPECT_TRUE(run.status->ExitedWith(1))
        << Tr("any HOST:error makes the exit status 1, got {}", run.status->Describe());
    EXPECT_FALSE(run.err.empty()) << Tr("the reason for HOST:error belongs on stderr");
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
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), 3);
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 3)));
  Report report(run.Lines());
  EXPECT_EQ(report.StatusOf("127.0.0.1"), "down");
  EXPECT_EQ(report.StatusOf("127.0.0.2"), "up");
  EXPECT_EQ(PingsStarted(), 3) << Tr("the default command must be `ping` found through PATH");
}

// ---- Targets -------------------------------------------------------------------------------

TEST_F(Ping, RangeTargetIsExpanded) {
  RunResult run = RunSweep({.targets = {"127.0.0.1-3"}});
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), 3);
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
      // A block up to the octet's end, host bits set: its broadcast is .255. Not the
      // classroom's /24: ThreadVariantLinesStayWellFormedWith254Hosts sweeps 254 hosts, and a
      // fork from a process of that many threads costs tens of milliseconds of CPU here.
      {"127.0.6.200/26", Hosts("127.0.6.", 193, 254)}};
  for (const Case& c : cases) {
    SCOPED_TRACE(Tr("target {}", c.target));
    // A liveness bound, not a timing claim: processes start slowly on a loaded machine.
    RunResult run = RunSweep({.targets = {c.target}, .latency_ms = 20}, kLongSweepLimit);
    ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(),
                                                static_cast<int>(c.hosts.size()));
    EXPECT_TRUE(EachHostReportedOnce(run.Lines(), c.hosts));
  }
}

TEST_F(Ping, SeveralTargetsAreAllSwept) {
  RunResult run = RunSweep({.targets = {"127.0.0.9", "127.0.1.1-2", "127.0.2.0/30"}});
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), 5);
  EXPECT_TRUE(EachHostReportedOnce(
      run.Lines(), {"127.0.0.9", "127.0.1.1", "127.0.1.2", "127.0.2.1", "127.0.2.2"}));
}

TEST_F(Ping, BadTargetsAreRejectedBeforeAnythingRuns) {
  // Control: the valid target alone is swept, so exit 2 below is the bad target's doing.
  RunResult control = RunSweep({.targets = {"127.0.0.1"}});
  ASSERT_FALSE(control.timed_out()) << Unfinished(control.wall_time.count(), control.Lines(), 1);
  ASSERT_TRUE(EachHostReportedOnce(control.Lines(), {"127.0.0.1"}));
  ClearLog();

  // 1.2.3.4/8 and 127.0.0.0/15 would be millions of hosts if accepted: --jobs 2 keeps a
  // program that wrongly accepts them from flooding the machine before the timeout.
  for (const std::string bad :
       {"localhost", "example.com", "256.1.1.1", "127.0.0.5-2", "", "127.0.0", "127.0.0.1.1",
        "127.0.0.1/33", "1.2.3.4/8", "127.0.0.0/15", "127.0.0.1-300", "-127.0.0.1", "0x7f.0.0.1",
        "127.0.0.1 ", "127.0.0.1-"}) {
    SCOPED_TRACE(Tr("bad target '{}' after a good one", bad));
    RunResult run =
        RunSweep({.targets = {"127.0.0.1", bad}, .options = {"--jobs", "2"}}, milliseconds(5000));
    ASSERT_FALSE(run.timed_out()) << Tr("a bad target must end the program at once");
    EXPECT_TRUE(run.status->ExitedWith(2))
        << Tr("a bad target is a usage error (exit 2), got {}", run.status->Describe());
    EXPECT_EQ(PingsStarted(), 0) << Tr(
        "targets are all checked before anything runs: the good one was pinged anyway");
    EXPECT_TRUE(run.Lines().empty())
        << Tr("nothing is reported for a rejected command line:") << "\n"
        << run.out;
    EXPECT_FALSE(run.err.empty()) << Tr("say on stderr what is wrong with the target");
    ClearLog();
  }
}

TEST_F(Ping, ShellInjectionTargetIsRejected) {
  std::filesystem::path touched = dir_ / "INJECTED";
  const std::string injection = "127.0.0.1;touch " + touched.string();
  for (const std::string& target : {injection, "127.0.0.1$(touch " + touched.string() + ")",
                                    "127.0.0.1 && touch " + touched.string()}) {
    SCOPED_TRACE(Tr("target '{}'", target));
    RunResult run = RunSweep({.targets = {target}}, milliseconds(5000));
    ASSERT_FALSE(run.timed_out()) << Tr("a bad target must end the program at once");
    EXPECT_FALSE(std::filesystem::exists(touched))
        << Tr("the target reached a shell, which ran the injected command");
    EXPECT_TRUE(run.status->ExitedWith(2)) << Tr("got {}", run.status->Describe());
    EXPECT_EQ(PingsStarted(), 0) << Tr("the fake ping ran for a target that is not an address");
  }
  ExpectOneValidTargetSwept();
}

TEST_F(Ping, PingCommandIsNotRunThroughAShell) {
  // The ping command's words go straight to exec. A program path with a quote in it is fine
  // for exec, and a syntax error for any shell: through `sh -c`, every host would be down.
  std::filesystem::path quoted = dir_ / "fake'ping";
  std::filesystem::create_symlink(FakePing(), quoted);
  RunResult run = RunSweep({.targets = {"127.0.0.1-3"}, .ping_cmd = quoted.string() + " -c 1"});
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), 3);
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 3)));
  Report report(run.Lines());
  for (const std::string& host : Hosts("127.0.0.", 1, 3))
    EXPECT_EQ(report.StatusOf(host), "up")
        << Tr("every host is up, yet {} was not: was the command run by a shell?", host);
  EXPECT_EQ(PingsStarted(), 3);
}

// ---- Options -------------------------------------------------------------------------------

TEST_F(Ping, UnknownOptionIsAUsageError) {
  ExpectUsageErrorSweeping({.targets = {"127.0.0.1"}, .options = {"--bogus-option"}});
  ExpectOneValidTargetSwept();
}

TEST_F(Ping, BadJobsValueIsAUsageError) {
  for (const std::string bad : {"0", "-1", "abc", "2x", ""}) {
    SCOPED_TRACE("--jobs '" + bad + "'");
    ExpectUsageErrorSweeping({.targets = {"127.0.0.1"}, .options = {"--jobs", bad}});
  }
  ExpectOneValidTargetSwept({"--jobs", "1"});
}

TEST_F(Ping, MissingTargetIsAUsageError) {
  ExpectUsageErrorSweeping({.targets = {}});
  ExpectOneValidTargetSwept();
}

}  // namespace
}  // namespace forklab
