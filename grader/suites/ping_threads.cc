// The thread variants of the ping sweep (thread_ping, thread_ping_functor): a thread per
// host, no child but the ping command, and whole lines however the threads interleave.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/proc.h"
#include "harness/watch.h"
#include "i18n/messages.h"
#include "suites/ping_fixture.h"

namespace forklab {
namespace {

using std::chrono::milliseconds;

TEST_F(Ping, ThreadVariantIsMultiThreaded) {
  FORKLAB_ONLY_FOR(Variant::kThreads);
  std::optional<int> most_threads = MostDuringSlowSweep(ThreadCount);
  if (!most_threads) return;  // the sweep did not end: failed, saying why
  EXPECT_GT(*most_threads, 1) << Tr("the program never had more than one thread");
  EXPECT_GE(*most_threads, kSlowSweepHosts)
      << Tr("at most {} threads were seen; with {} hosts and no --jobs cap there is one thread "
            "per host",
            *most_threads, kSlowSweepHosts);
}

TEST_F(Ping, ThreadVariantRunsNoChildButPingCommands) {
  FORKLAB_ONLY_FOR(Variant::kThreads);
  // Every child must be the ping command itself. A child that still shows the program's own
  // command line has not exec'd yet; that lasts an instant, not most of a ping, and it has no
  // child of its own (a worker process would start the ping). The instant is generous: a
  // loaded machine (other checks beside, other work) can take a few hundred ms to exec.
  const double kLongestBeforeExec = 1.0;  // seconds, of a 1.5 s ping
  constexpr int kLatencyMs = 1500;
  const Sweep sweep20{.targets = {"127.0.0.1-20"}, .latency_ms = kLatencyMs, .side_by_side = true};
  auto program = StartSweep(sweep20);
  pid_t pid = program->pid();
  std::vector<std::string> own_cmdline = Cmdline(pid);  // what a child shows until it execs
  std::map<pid_t, double> unexeced_since;               // seconds into the sweep
  std::set<std::string> strangers;
  Watched sweep = WatchSweep(*program, sweep20, SweepLimit(kLatencyMs), {.sample = [&](double now) {
    for (pid_t child : ChildrenOf(pid)) {
      std::vector<std::string> cmdline = Cmdline(child);
      if (cmdline.empty() || cmdline[0] == FakePing()) continue;  // gone, or the ping itself
      if (cmdline == own_cmdline) {
        auto [it, inserted] = unexeced_since.emplace(child, now);
        if (now - it->second < kLongestBeforeExec && ChildrenOf(child).empty()) continue;
      }
      strangers.insert(Join(cmdline));
    }
  }});
  ASSERT_TRUE(sweep.status.has_value()) << Unfinished(sweep.ended_at, program->StdoutLines(), 20);
  EXPECT_TRUE(strangers.empty())
      << Tr("children other than the ping command (no shell, no "
            "worker processes: the threads do the work):")
      << "\n  " << Join(std::vector<std::string>(strangers.begin(), strangers.end()), "\n  ");
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, 20)));
}

TEST_F(Ping, ThreadVariantLinesStayWellFormedWith254Hosts) {
  FORKLAB_ONLY_FOR(Variant::kThreads);
  // 254 threads finishing within moments of each other: lines written in pieces (a
  // std::cout << chain) interleave, every time under the output race preload (about half of
  // the lines come out broken: one sweep is enough); one write(2) per line never does.
  // Serially the pings take 254 latencies, 152 s: well past the limit, so a serial sweep is
  // told apart (and named) however loaded the machine, as soon as its log shows it.
  constexpr int kHosts = 254, kLatencyMs = 600;
  // Starting 254 threads and their pings takes a busy machine many seconds (half a minute
  // under a load of 20 on two cores); serially they take 254 latencies.
  RunResult run = RunSweep({.targets = {"127.0.0.0/24"},
                            .up = "odd",
                            .latency_ms = kLatencyMs,
                            .race_output = true,
                            .side_by_side = true},
                           kLongSweepLimit);
  ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), kHosts);
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, 254)));
  Report report(run.Lines());
  for (int octet = 1; octet <= 254; ++octet) {
    std::string host = "127.0.0." + std::to_string(octet);
    ASSERT_EQ(report.StatusOf(host), octet % 2 ? "up" : "down") << host;
  }
}

}  // namespace
}  // namespace forklab
