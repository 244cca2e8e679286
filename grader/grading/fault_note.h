// Every failed fault check says which fault it ran under.
#pragma once

#include "grading/check.h"
#include "grading/rubric.h"

namespace forklab {

/// When a fault check (an `entry` with a profile file) did not pass and was not skipped, says in
/// plain words which fault it ran under: the detail names the profile, what it does and what was
/// expected ("injected: ..." first, unless the suite said it), and the profile's internals (its
/// failure points, probabilities and seed) move to `fault_points`, for --verbose. Other checks are
/// left as they are. Throws FaultProfileError when the profile cannot be read.
void NoteInjectedFault(const RubricEntry& entry, CheckResult* result);

}  // namespace forklab
