#include "suites/sum_parallelism.h"

#include "harness/watch.h"
#include "suites/suite.h"

namespace forklab {
namespace {

// Overlap (a share of the shorter worker's span): under kSerialOverlap the workers ran one
// after the other; over kParallelOverlap side by side. Sampling every 5 ms blurs a span's ends
// by a sample or two, a few percent of a worker's 0.2 s or more.
constexpr double kSerialOverlap = 0.2;
constexpr double kParallelOverlap = 0.5;
// Cores the two workers used while both ran: over this, more than one core was theirs at once.
constexpr double kParallelCores = 1.15;

}  // namespace

Parallelism WatchedRun::Judged() const {
  double overlap = clocks.Overlap();
  if (overlap < kSerialOverlap) return Parallelism::kSerial;
  if (overlap >= kParallelOverlap && clocks.ParallelRate() >= kParallelCores)
    return Parallelism::kParallel;
  return Parallelism::kUndecided;
}

std::chrono::duration<double> WatchedRun::UnloadedWall() const {
  return result.wall_time - std::chrono::duration<double>(clocks.DelayedByWaits());
}

WatchedRun RunWatchingWorkers(const std::string& exe, const std::vector<std::string>& args,
                              std::chrono::milliseconds limit) {
  WatchedRun run;
  std::unique_ptr<Subprocess> program = Subprocess::Start(exe, ProgramOptions(args));
  const pid_t pid = program->pid();
  Watched watched =
      Watch(*program, limit, {.sample = [&](double at) { run.clocks.Sample(pid, at); }},
            std::chrono::milliseconds(5));
  if (!watched.status) program->KillTree();
  run.result = {program->status(), program->stdout_text(), program->stderr_text(),
                program->wall_time(), program->cpu_time()};
  return run;
}

}  // namespace forklab
