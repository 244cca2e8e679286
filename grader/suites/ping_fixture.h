// The ping sweep suite's fixture (fork_ping, thread_ping, thread_ping_functor): sweeps run
// against the fake ping, its log, and the program's report, read back for the checks.
//
// Every run uses the fake ping (fixtures/ping) through --ping-cmd and targets in 127.0.0.0/8:
// the fake ping decides up or down from FAKE_PING_UP, sleeps a latency the test chooses, and
// logs each start and end, from which concurrency and the --jobs cap are measured. Times are
// only ever compared with that latency, never asserted in absolute terms.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/fault_profile.h"
#include "harness/subprocess.h"
#include "harness/watch.h"
#include "suites/suite.h"

namespace forklab {

/// "127.0.0.{from..to}": the hosts a test expects, written out rather than computed by the
/// code under test's own helpers.
std::vector<std::string> Hosts(const std::string& prefix, int from, int to);

std::string Join(const std::vector<std::string>& items, const std::string& separator = " ");

/// One record of the fake ping's log (see fixtures/ping/fake_ping.cc).
struct LogRecord {
  bool start = false;
  std::string host;
  pid_t pid = 0;
  long long ns = 0;
  std::string result;  // "up" or "down" on end records
};

/// The most pings whose start..end intervals overlap at one instant.
int MaxOverlap(std::vector<LogRecord> records);

/// Whether `records`, read while a sweep runs, already prove it serial: kSerialPings pings
/// ended, over kSerialSpan at least, and none ever overlapped another. A sweep without a cap
/// starts its pings side by side: however slowly a loaded machine starts processes, it does
/// not start each one only once the previous has ended, ping after ping, for seconds.
bool RanOneAtATime(const std::vector<LogRecord>& records);
constexpr int kSerialPings = 5;
constexpr std::chrono::seconds kSerialSpan{5};

/// The program's stdout, sorted into hosts and statuses.
struct Report {
  std::map<std::string, std::vector<std::string>> statuses_by_host;
  std::vector<std::string> malformed;  // lines that are not HOST:up|down|error

  explicit Report(const std::vector<std::string>& lines);

  /// The status of `host` when it was reported exactly once, else "".
  std::string StatusOf(const std::string& host) const;
};

/// Asserts that stdout holds one well-formed line per host of `expected`, and nothing else.
testing::AssertionResult EachHostReportedOnce(const std::vector<std::string>& lines,
                                              const std::vector<std::string>& expected);

/// A test of the lab under test, with a scratch directory for the fake ping's log.
class Ping : public ProgramTest {
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
    std::string hold{};  // FAKE_PING_HOLD: pings wait for this file before their latency
    // Preload output_race_preload.cc: a line printed in several pieces (std::cout << a << b)
    // without a lock is interleaved with other threads' lines every time, not by chance.
    bool race_output = false;
    // The check needs the pings side by side (no --jobs): once the log proves the sweep
    // serial (RanOneAtATime), it is ended there, unfinished, not waited for until its limit.
    bool side_by_side = false;
  };

  void SetUp() override;
  void TearDown() override;

  SpawnOptions OptionsFor(const Sweep& sweep) const;
  RunResult RunSweep(const Sweep& sweep,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000));
  std::unique_ptr<Subprocess> StartSweep(const Sweep& sweep);

  /// Watches `program`, which sweeps `sweep`, as Watch does, ending the watch before `limit`
  /// once the fake ping's log has the verdict: no ping started within kFirstPingLimit, or,
  /// for a sweep side_by_side, the pings ran one at a time. Unfinished then says which.
  Watched WatchSweep(Subprocess& program, const Sweep& sweep, std::chrono::milliseconds limit,
                     Observer observer = {}) const;
  /// A program that has started no ping by then never will: it is every other sweep's whole
  /// limit, and a program starts its first ping long before a loaded machine starts 254.
  static constexpr std::chrono::seconds kFirstPingLimit{30};

  /// The fake ping's log, parsed; a malformed record fails the test. A last line still
  /// without its newline is a record being written, left for the next read.
  std::vector<LogRecord> ReadLog() const;
  int PingsStarted() const;
  /// Empties the log, for the next sweep of a test that makes several.
  void ClearLog() const;

  /// Sweeps kSlowSweepHosts hosts whose pings are held until every one has started (or
  /// kLongestHold has passed: a program that caps its pings never starts them all), reading
  /// `count(pid of the program)` all along, and checks the report. Returns the most it read,
  /// or nullopt when the sweep did not end. Holding, not a long latency, keeps the pings
  /// overlapping however slowly a loaded machine starts processes. The pings are released
  /// early when no new one has started for kLongestStall: the program waits for one of them
  /// before starting the next, so the rest would never start while they are held.
  std::optional<int> MostDuringSlowSweep(const std::function<int(pid_t)>& count);
  static constexpr int kSlowSweepHosts = 20;
  static constexpr std::chrono::seconds kLongestHold{20};
  static constexpr std::chrono::seconds kLongestStall{10};
  /// How long a sweep of 254 hosts may take: only a bound for a hung program, since a loaded
  /// machine (other checks beside, other work) starts 254 processes slowly.
  static constexpr std::chrono::milliseconds kLongSweepLimit{90'000};
  /// How long a sweep whose pings all take `latency_ms` may take: ten latencies, where a
  /// concurrent sweep takes about one (and a serial one of 20 hosts twenty).
  static std::chrono::milliseconds SweepLimit(int latency_ms);

  /// Why a sweep of `hosts` hosts had not ended `seconds` into it, from its stdout `lines`
  /// and the fake ping's log: how many hosts were reported and how many pings ran at once
  /// ("after 15.0 s, 9 of 20 hosts reported, one at a time: the sweep is serial").
  std::string Unfinished(double seconds, const std::vector<std::string>& lines, int hosts) const;

  /// The usage-error claim (suites/claims.h) for `sweep`, and that no ping ran for it.
  void ExpectUsageErrorSweeping(const Sweep& sweep);
  /// The control of a rejection: the same program, given one valid target (and `options`),
  /// sweeps it, so what it refused was the bad part of the command line.
  void ExpectOneValidTargetSwept(const std::vector<std::string>& options = {});

  /// Sweeps 127.0.0.1-N, every host up, under the failure points of `profile` (libfiu; see
  /// harness/faults.h and fixtures/faults/).
  RunResult RunUnderFaults(const FaultProfile& profile, int hosts);
  /// Some `call`s fail with EAGAIN: every host is still reported once, up (all are up) or,
  /// when its retries ran out, error. EAGAIN is temporary, so retries keep errors rare.
  void ExpectFailuresRetried(const FaultProfile& profile, const std::string& call);
  /// Every `call` fails: no check can start, so every host is HOST:error and the exit is 1.
  void ExpectErrorsWhenFailingForGood(const FaultProfile& profile, const std::string& call);

  std::filesystem::path dir_;
  std::filesystem::path log_;
};

}  // namespace forklab
