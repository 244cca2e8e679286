#include "grading/fault_note.h"

#include "harness/fault_profile.h"

namespace forklab {

void NoteInjectedFault(const RubricEntry& entry, CheckResult* result) {
  if (entry.profile.empty() || result->outcome == Outcome::kPassed ||
      result->outcome == Outcome::kSkipped)
    return;
  FaultProfile profile = LoadFaultProfile(entry.profile);
  // Explain() is "fault profile NAME (DESCRIPTION: POINTS, seed N); expected: EXPECT".
  const std::string explained = profile.Explain();
  const std::string head = "fault profile " + profile.name + " (" + profile.description;
  const std::string tail = "); expected: " + profile.expect;
  const std::string plain = head + tail;
  if (explained.starts_with(head + ": ") && explained.ends_with(tail))
    result->fault_points =
        explained.substr(head.size() + 2, explained.size() - head.size() - 2 - tail.size());
  for (size_t at; (at = result->detail.find(explained)) != std::string::npos;)
    result->detail.replace(at, explained.size(), plain);
  if (result->detail.find(plain) == std::string::npos)
    result->detail = "injected: " + plain + "\n" + result->detail;
}

}  // namespace forklab
