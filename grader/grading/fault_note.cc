#include "grading/fault_note.h"

#include "harness/fault_profile.h"
#include "i18n/messages.h"

namespace forklab {

void NoteInjectedFault(const RubricEntry& entry, CheckResult* result) {
  if (entry.profile.empty() || result->outcome == Outcome::kPassed ||
      result->outcome == Outcome::kSkipped)
    return;
  std::string explained = LoadFaultProfile(entry.profile).Explain();
  if (result->detail.find(explained) == std::string::npos)
    result->detail = Tr("injected: {}", explained) + "\n" + result->detail;
}

}  // namespace forklab
