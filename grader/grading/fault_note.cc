#include "grading/fault_note.h"

#include "harness/fault_profile.h"

namespace forklab {

void NoteInjectedFault(const RubricEntry& entry, CheckResult* result) {
  if (entry.profile.empty() || result->outcome == Outcome::kPassed ||
      result->outcome == Outcome::kSkipped)
    return;
  std::string explained = LoadFaultProfile(entry.profile).Explain();
  if (result->detail.find(explained) == std::string::npos)
    result->detail = "injected: " + explained + "\n" + result->detail;
}

}  // namespace forklab
