#include "suites/claims.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "suites/suite.h"

namespace forklab {

std::string CommandLine(const std::vector<std::string>& args) {
  std::string line = LabUnderTest();
  for (const std::string& arg : args) line += " " + arg;
  return line;
}

bool ShowsUsage(std::string_view err) {
  std::string lower(err);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("usage") != std::string::npos;
}

RunResult ExpectUsageError(const std::vector<std::string>& args, std::chrono::milliseconds limit,
                           std::string_view ran) {
  return ExpectUsageErrorWith(ProgramOptions(args), limit, ran);
}

RunResult ExpectUsageErrorWith(const SpawnOptions& options, std::chrono::milliseconds limit,
                               std::string_view ran) {
  const std::string command = CommandLine(options.args);
  RunResult result = Run(ExeUnderTest(), options, limit);
  if (result.timed_out()) {
    ADD_FAILURE() << command << ": still running after " << limit.count()
                  << " ms; a bad command line must be refused at once with exit 2";
    return result;
  }
  EXPECT_TRUE(result.status->ExitedWith(2))
      << command << ": expected exit 2 (a usage error), got " << result.status->Describe();
  EXPECT_TRUE(ShowsUsage(result.err)) << command << ": expected a usage message on stderr, got:\n"
                                      << result.err;
  if (ran.empty()) {
    EXPECT_EQ(result.out, "") << command << " must not run; stdout was:\n" << result.out;
  } else {
    EXPECT_EQ(result.out.find(ran), std::string::npos)
        << command << " must not run, but printed '" << ran << "':\n"
        << result.out;
  }
  return result;
}

}  // namespace forklab
