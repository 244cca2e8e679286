// The labs forklab knows, from the one list a new lab joins: FORKLAB_LABS in
// labs/CMakeLists.txt. The CLI, the meta-tests, the stub test and the suites' contract tests
// all learn the labs from it; each lab's rubric then says how it is graded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace forklab {

/// Every lab, in the order reports list them.
const std::vector<std::string>& Labs();

/// Whether `name` is one of Labs().
bool IsLab(std::string_view name);

}  // namespace forklab
