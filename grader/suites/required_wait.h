// The waits a check's contract imposes, reported to the grader for the run's floor.
#pragma once

#include <chrono>

namespace forklab {

/// Adds `wait` to the time the current check cannot do without: a sleep the contract makes the
/// program take (fork_basics' --child-sleep), a timeout the check proves (an idle connection
/// closed after 2 s), a measurement that takes its own time (a timed run of the workload).
/// Waits the check merely allows (patience for a slow machine) are not counted. The total is the
/// check's kRequiredWaitProperty, from which the grader computes the floor of a run
/// (GradeReport::floor_seconds). Call it where the check waits, with what the contract asks for.
void RequireWait(std::chrono::duration<double> wait);

/// The waits RequireWait has counted for the current check so far.
std::chrono::duration<double> RequiredWaitSoFar();

}  // namespace forklab
