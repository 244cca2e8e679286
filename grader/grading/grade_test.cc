#include "grading/grade.h"

#include <gtest/gtest.h>

#include "grading/selection.h"
#include "paths/build_paths.h"

namespace forklab {
namespace {

// Requests that cannot be carried out fail before any check runs, naming the reason; nothing
// here reaches the sandbox, whose build tree "/no/build" does not exist.
const Layout kLayout{build_paths::kSourceDir, "/no/build"};

std::string ErrorOf(const GradeRequest& request) {
  bool told = false;
  GradeProgress progress;
  progress.warning = [&](const std::string&) { told = true; };
  progress.lab_started = [&](const std::string&) { told = true; };
  try {
    Grade(kLayout, request, progress);
  } catch (const GradeRequestError& e) {
    EXPECT_FALSE(told) << "progress was reported before the request was refused";
    return e.what();
  }
  return "(no error)";
}

TEST(Grade, ASubmissionWithoutLabsIsRefused) {
  GradeRequest request;
  request.labs = {"fork_basics"};
  request.submission = "/usr";
  EXPECT_EQ(ErrorOf(request), "no labs/ directory in /usr");
}

TEST(Grade, AFilterMatchingNothingIsRefused) {
  GradeRequest request;
  request.reference = true;
  request.checks = {"NoSuchSuite.*"};
  EXPECT_EQ(ErrorOf(request), "no check matches --check NoSuchSuite.*");
}

}  // namespace
}  // namespace forklab
