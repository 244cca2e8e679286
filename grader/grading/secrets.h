// What the program under test must not see: the references and the hidden tests.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "grading/layout.h"

namespace forklab {

/// The directories a run keeps out of the program's sight: the references (their sources and
/// their builds, those that exist) and the instructor's hidden tests, when given.
std::vector<std::filesystem::path> SecretDirs(
    const Layout& layout, const std::optional<std::filesystem::path>& hidden_dir);

/// Of `secrets`, those a check of `exe` hides: all but the one `exe` lives in (a reference
/// graded as itself runs from there).
std::vector<std::string> SecretsHiddenFrom(const std::string& exe,
                                           const std::vector<std::filesystem::path>& secrets);

}  // namespace forklab
