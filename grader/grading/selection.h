// Which checks a grading run runs: the labs' rubrics, an instructor's hidden rubrics merged
// into them, and an optional filter on the test names.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "grading/layout.h"
#include "grading/rubric.h"

namespace forklab {

/// A grading request that cannot be carried out (an unknown fault profile, a filter that
/// matches nothing, no labs/ to build): what() is one line for the user.
struct GradeRequestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The rubrics of `labs`, in that order, each with the hidden rubrics of `hidden_dir` that
/// name its lab (those of labs not graded this time are not run). Each fault check's profile
/// is resolved to its file and read now, so a bad one stops grading before any check runs:
/// throws GradeRequestError (or RubricError, FaultProfileError for a bad file).
std::vector<Rubric> LoadRubrics(const Layout& layout, const std::vector<std::string>& labs,
                                const std::optional<std::filesystem::path>& hidden_dir);

/// Keeps the entries whose test name matches one of `patterns` (shell wildcards). Throws
/// GradeRequestError when no entry of any rubric matches.
void KeepChecks(const std::vector<std::string>& patterns, std::vector<Rubric>* rubrics);

}  // namespace forklab
