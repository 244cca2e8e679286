#include "grading/fault_note.h"

#include "harness/fault_profile.h"
#include "i18n/messages.h"

namespace forklab {

void NoteInjectedFault(const RubricEntry& entry, CheckResult* result) {
  if (entry.profile.empty() || result->outcome == Outcome::kPassed ||
      result->outcome == Outcome::kSkipped)
    return;
  FaultProfile profile = LoadFaultProfile(entry.profile);
  // The plain description is for every student; the failure points and seed only with --verbose.
  const std::string explained = profile.Explain();
  const std::string plain = profile.Describe();
  result->fault_points = profile.PointsAndSeed();
  for (size_t at; (at = result->detail.find(explained)) != std::string::npos;)
    result->detail.replace(at, explained.size(), plain);
  if (result->detail.find(plain) == std::string::npos)
    result->detail = Tr("injected: {}", plain) + "\n" + result->detail;
}

}  // namespace forklab
