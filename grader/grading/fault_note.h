// Every failed fault check says which fault it ran under.
#pragma once

#include "grading/check.h"
#include "grading/rubric.h"

namespace forklab {

/// When a fault check (an `entry` with a profile file) did not pass and was not skipped, and
/// its detail does not already explain the fault (the suite may have), prefixes
/// "injected: <the profile's explanation>" to the detail. Other checks are left as they are.
/// Throws FaultProfileError when the profile cannot be read.
void NoteInjectedFault(const RubricEntry& entry, CheckResult* result);

}  // namespace forklab
