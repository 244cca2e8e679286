#include "suites/ping_fixture.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "harness/confinement.h"
#include "harness/faults.h"
#include "harness/proc.h"
#include "harness/watch.h"
#include "i18n/messages.h"
#include "paths/build_paths.h"
#include "suites/claims.h"
#include "suites/required_wait.h"

namespace forklab {

using std::chrono::milliseconds;

std::vector<std::string> Hosts(const std::string& prefix, int from, int to) {
  std::vector<std::string> hosts;
  for (int octet = from; octet <= to; ++octet) hosts.push_back(prefix + std::to_string(octet));
  return hosts;
}

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : separator) + item;
  return joined;
}

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

bool RanOneAtATime(const std::vector<LogRecord>& records) {
  int ended = 0;
  long long first_start = std::numeric_limits<long long>::max(), last_end = 0;
  for (const LogRecord& record : records) {
    if (record.start) {
      first_start = std::min(first_start, record.ns);
    } else {
      ++ended;
      last_end = std::max(last_end, record.ns);
    }
  }
  return ended >= kSerialPings &&
         last_end - first_start >= std::chrono::nanoseconds(kSerialSpan).count() &&
         MaxOverlap(records) == 1;
}

Report::Report(const std::vector<std::string>& lines) {
  static const std::regex line_format(R"(^(\d{1,3}(?:\.\d{1,3}){3}):(up|down|error)$)");
  for (const std::string& line : lines) {
    std::smatch match;
    if (std::regex_match(line, match, line_format))
      statuses_by_host[match[1]].push_back(match[2]);
    else
      malformed.push_back(line);
  }
}

std::string Report::StatusOf(const std::string& host) const {
  auto it = statuses_by_host.find(host);
  return it != statuses_by_host.end() && it->second.size() == 1 ? it->second[0] : "";
}

testing::AssertionResult EachHostReportedOnce(const std::vector<std::string>& lines,
                                              const std::vector<std::string>& expected) {
  Report report(lines);
  std::ostringstream problems;
  for (const std::string& line : report.malformed)
    problems << "\n  " << Tr("a line that is not HOST:up|down|error: '{}'", line);
  std::set<std::string> expected_set(expected.begin(), expected.end());
  for (const std::string& host : expected) {
    size_t times = report.statuses_by_host.count(host) ? report.statuses_by_host[host].size() : 0;
    if (times != 1) problems << "\n  " << Tr("{} reported {} times, not once", host, times);
  }
  for (const auto& [host, statuses] : report.statuses_by_host)
    if (!expected_set.count(host)) problems << "\n  " << Tr("{} reported but not a target", host);
  if (problems.str().empty()) return testing::AssertionSuccess();
  return testing::AssertionFailure()
         << Tr("stdout does not report each of the {} hosts exactly once:", expected.size())
         << problems.str();
}

void Ping::SetUp() {
  // The fake ping, run by the program under test, writes its log here.
  dir_ = MakeProgramScratchDir("forklab-ping");
  log_ = dir_ / "fake-ping.log";
}

void Ping::TearDown() {
  ProgramTest::TearDown();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

SpawnOptions Ping::OptionsFor(const Sweep& sweep) const {
  SpawnOptions options = ProgramOptions(sweep.options);
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
  if (!sweep.hold.empty())
    options.env["FAKE_PING_HOLD"] = sweep.hold;
  else
    options.unset_env.push_back("FAKE_PING_HOLD");
  if (sweep.race_output) {
    std::string& preload = options.env["LD_PRELOAD"];
    preload = build_paths::kOutputRacePreload + (preload.empty() ? "" : ":" + preload);
  }
  return options;
}

namespace {

// A sweep lasts at least its slowest ping (`latency_ms`, or `slow_ms` for the slow hosts), all
// of them running at once.
void RequireSlowestPing(int latency_ms, int slow_ms) {
  RequireWait(milliseconds(std::max(latency_ms, slow_ms)));
}

}  // namespace

RunResult Ping::RunSweep(const Sweep& sweep, milliseconds timeout) {
  std::unique_ptr<Subprocess> program = StartSweep(sweep);
  std::optional<ExitStatus> status = WatchSweep(*program, sweep, timeout).status;
  if (!status) program->KillTree();
  return ResultOf(*program, status);
}

std::unique_ptr<Subprocess> Ping::StartSweep(const Sweep& sweep) {
  RequireSlowestPing(sweep.latency_ms, sweep.slow.empty() ? 0 : sweep.slow_ms);
  return Subprocess::Start(ExeUnderTest(), OptionsFor(sweep));
}

Watched Ping::WatchSweep(Subprocess& program, const Sweep& sweep, milliseconds limit,
                         Observer observer) const {
  // The log is read a few times a second: a verdict a moment later changes nothing.
  constexpr double kReadPeriod = 0.25;  // seconds
  double read_at = -kReadPeriod;
  observer.until = [&](double at) {
    if (at - read_at < kReadPeriod) return false;
    read_at = at;
    std::vector<LogRecord> records = ReadLog();
    if (records.empty()) return at >= static_cast<double>(kFirstPingLimit.count());
    return sweep.side_by_side && RanOneAtATime(records);
  };
  return Watch(program, limit, observer);
}

std::vector<LogRecord> Ping::ReadLog() const {
  std::vector<LogRecord> records;
  std::ifstream in(log_);
  std::string line;
  while (std::getline(in, line) && !in.eof()) {
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

int Ping::PingsStarted() const {
  auto records = ReadLog();
  return static_cast<int>(
      std::count_if(records.begin(), records.end(), [](const LogRecord& r) { return r.start; }));
}

void Ping::ClearLog() const {
  std::filesystem::remove(log_);
}

milliseconds Ping::SweepLimit(int latency_ms) {
  return milliseconds(10 * latency_ms);
}

std::string Ping::Unfinished(double seconds, const std::vector<std::string>& lines,
                             int hosts) const {
  std::vector<LogRecord> records = ReadLog();
  size_t reported = Report(lines).statuses_by_host.size();
  int overlap = MaxOverlap(records);
  size_t ended = std::count_if(records.begin(), records.end(),
                               [](const LogRecord& record) { return !record.start; });
  if (records.empty())
    return fmt::format("after {:.1f} s, {} of {} hosts reported, and no ping had started", seconds,
                       reported, hosts);
  if (overlap == 1 && ended >= 2)
    return fmt::format(
        "after {:.1f} s, {} of {} hosts reported, one at a time: the sweep is serial (each ping "
        "ended before the next one started)",
        seconds, reported, hosts);
  return fmt::format(
      "after {:.1f} s, {} of {} hosts reported, with at most {} pings running at once, and the "
      "sweep had not ended",
      seconds, reported, hosts, overlap);
}

std::optional<int> Ping::MostDuringSlowSweep(const std::function<int(pid_t)>& count) {
  const std::filesystem::path release = dir_ / "release";
  const Sweep held{.targets = {"127.0.0.1-20"}, .latency_ms = 100, .hold = release.string()};
  auto program = StartSweep(held);
  const pid_t pid = program->pid();
  int most = 0, started = 0;
  double started_at = 0;  // when `started` last grew
  bool released = false;
  Watched sweep =
      WatchSweep(*program, held, kLongestHold + milliseconds(30'000), {.sample = [&](double at) {
        most = std::max(most, count(pid));
        if (released) return;
        if (int now = PingsStarted(); now > started) {
          started = now;
          started_at = at;
        }
        bool stalled = started > 0 && at - started_at >= kLongestStall.count();
        if (started == kSlowSweepHosts || at >= kLongestHold.count() || stalled) {
          most = std::max(most, count(pid));  // all started, or no more will: the peak
          std::ofstream{release};
          released = true;
        }
      }});
  if (!sweep.status) {
    ADD_FAILURE() << Unfinished(sweep.ended_at, program->StdoutLines(), kSlowSweepHosts);
    return std::nullopt;
  }
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, kSlowSweepHosts)));
  return most;
}

void Ping::ExpectUsageErrorSweeping(const Sweep& sweep) {
  ExpectUsageErrorWith(OptionsFor(sweep), milliseconds(5000));
  EXPECT_EQ(PingsStarted(), 0) << Tr("nothing is pinged with a bad command line");
  ClearLog();
}

void Ping::ExpectOneValidTargetSwept(const std::vector<std::string>& options) {
  RunResult control = RunSweep({.targets = {"127.0.0.1"}, .options = options});
  EXPECT_TRUE(EachHostReportedOnce(control.Lines(), {"127.0.0.1"}))
      << Tr("the control: the same program, given one valid target, must sweep it");
}

RunResult Ping::RunUnderFaults(const FaultProfile& profile, int hosts) {
  SpawnOptions options =
      OptionsFor({.targets = {"127.0.0.1-" + std::to_string(hosts)}, .latency_ms = 50});
  ApplyFaults(profile.plan, "", &options);
  return forklab::Run(ExeUnderTest(), options, milliseconds(60'000));
}

void Ping::ExpectFailuresRetried(const FaultProfile& profile, const std::string& call) {
  const int kHosts = 40;
  RunResult run = RunUnderFaults(profile, kHosts);
  ASSERT_FALSE(run.timed_out()) << Tr("under {}", profile.Explain()) << "\n"
                                << Tr("still running after 60 s");
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, kHosts)))
      << Tr("under {}", profile.Explain());
  Report report(run.Lines());
  int errors = 0;
  for (const std::string& host : Hosts("127.0.0.", 1, kHosts)) {
    std::string status = report.StatusOf(host);
    EXPECT_NE(status, "down") << Tr(
        "{} is up: when {} fails, the host could not be checked, "
        "which is HOST:error, not down",
        host, call);
    errors += status == "error";
  }
  EXPECT_LE(errors, kHosts / 10)
      << Tr("{} of {} hosts ended in HOST:error under {}", errors, kHosts, profile.Explain())
      << "\n"
      << Tr("EAGAIN means \"try again\": retry {} a few times, after a growing pause, before "
            "giving up on a host",
            call);
  EXPECT_TRUE(run.status->ExitedWith(errors > 0 ? 1 : 0))
      << Tr("with {} HOST:error line(s) the exit status must be {}, got {}", errors,
            errors > 0 ? 1 : 0, run.status->Describe());
  if (errors > 0) {
    EXPECT_FALSE(run.err.empty()) << Tr("the reason for HOST:error goes on stderr");
  }
  EXPECT_TRUE(ReapAdopted(/*kill_live=*/true).empty())
      << Tr("processes of the program outlived it under {}", profile.Explain());
}

void Ping::ExpectErrorsWhenFailingForGood(const FaultProfile& profile, const std::string& call) {
  const int kHosts = 4;
  RunResult run = RunUnderFaults(profile, kHosts);
  ASSERT_FALSE(run.timed_out()) << Tr("under {}", profile.Explain()) << "\n"
                                << Tr("still running after 60 s");
  if (PingsStarted() > 0)
    GTEST_SKIP() << Tr(
        "the pings started although every {} failed: the program does not go "
        "through it (vfork, clone), out of libfiu's reach",
        call);
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, kHosts)))
      << Tr("under {}", profile.Explain()) << "\nstderr:\n"
      << run.err;
  Report report(run.Lines());
  for (const std::string& host : Hosts("127.0.0.", 1, kHosts))
    EXPECT_EQ(report.StatusOf(host), "error")
        << Tr("every {} fails, so no check of {} could start", call, host);
  EXPECT_TRUE(run.status->ExitedWith(1))
      << Tr("any HOST:error makes the exit status 1, got {}", run.status->Describe());
  EXPECT_FALSE(run.err.empty()) << Tr("the reason for HOST:error goes on stderr");
}

}  // namespace forklab
