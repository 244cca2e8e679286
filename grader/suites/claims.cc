#include "suites/claims.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "harness/watch.h"
#include "i18n/messages.h"
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
    ADD_FAILURE() << Tr(
        "{}: still running after {} ms; a bad command line must be refused at "
        "once with exit 2",
        command, limit.count());
    return result;
  }
  EXPECT_TRUE(result.status->ExitedWith(2))
      << Tr("{}: expected exit 2 (a usage error), got {}", command, result.status->Describe());
  EXPECT_TRUE(ShowsUsage(result.err))
      << Tr("{}: expected a usage message on stderr, got:", command) << "\n"
      << result.err;
  if (ran.empty()) {
    EXPECT_TRUE(result.out.empty()) << Tr("{} must not run; stdout was:", command) << "\n"
                                    << result.out;
  } else {
    EXPECT_EQ(result.out.find(ran), std::string::npos)
        << Tr("{} must not run, but printed '{}':", command, ran) << "\n"
        << result.out;
  }
  return result;
}

testing::AssertionResult StillRunning(Subprocess& program, std::string_view who,
                                      std::string_view after) {
  // A moment more: a program whose fate is sealed (its fatal signal on its way, its exit
  // under way) must not pass for alive.
  constexpr std::chrono::milliseconds kSettle(250);
  std::optional<ExitStatus> status = Watch(program, kSettle, Observer{}).status;
  if (!status) return testing::AssertionSuccess();
  char when[32];
  std::snprintf(when, sizeof when, "%.1f s", program.wall_time().count());
  return testing::AssertionFailure()
         << Tr("{} exited ({}) {} after it started, {}: it must keep running, so nothing here "
               "could be checked; {}",
               who, status->Describe(), when, after, QuotedStderr(program.stderr_text()));
}

// The keys are the grader's (grading/check.cc reads them from GoogleTest's report).
void UseHint(std::string_view key) {
  testing::Test::RecordProperty("hint", std::string(key));
}

void NotMeasuredBecause(std::string_view check) {
  testing::Test::RecordProperty("precondition", std::string(check));
}

namespace {

testing::AssertionResult StillOpen(std::chrono::milliseconds timeout, const WhyOpen& why_open) {
  testing::AssertionResult failure = testing::AssertionFailure();
  failure << Tr("the connection was still open {} ms later (no EOF)", timeout.count());
  if (why_open) failure << ": " << why_open();
  return failure;
}

}  // namespace

testing::AssertionResult ClosesSilently(LineClient& client, std::chrono::milliseconds timeout,
                                        const WhyOpen& why_open) {
  std::string data;
  switch (client.WaitForClose(timeout, &data)) {
    case LineClient::Closed::kEof:
      return testing::AssertionSuccess();
    case LineClient::Closed::kData:
      return testing::AssertionFailure()
             << Tr("expected the connection to close without a reply, but got {}", Quoted(data));
    case LineClient::Closed::kTimeout:
      break;
  }
  return StillOpen(timeout, why_open);
}

testing::AssertionResult Closes(LineClient& client, std::chrono::milliseconds timeout,
                                const WhyOpen& why_open) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point deadline = Clock::now() + timeout;
  auto remaining = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  };
  LineClient::Closed closed;
  while ((closed = client.WaitForClose(remaining())) == LineClient::Closed::kData) {
  }
  if (closed == LineClient::Closed::kEof) return testing::AssertionSuccess();
  return StillOpen(timeout, why_open);
}

}  // namespace forklab
