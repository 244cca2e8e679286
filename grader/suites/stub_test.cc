// Every student stub, given valid options, exits 3 at once with "<lab>: not implemented", so
// grading a fresh checkout scores 0 quickly and never hangs.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "grading/labs.h"
#include "grading/layout.h"
#include "grading/rubric.h"
#include "harness/subprocess.h"
#include "paths/build_paths.h"

namespace forklab {
namespace {

/// A lab and options it accepts, from its rubric's sample_args. Nothing there may touch the
/// network beyond loopback: ping targets are in 127.0.0.0/8 and the ping command is
/// /bin/false, servers take --port 0.
struct StubCase {
  std::string lab;
  std::vector<std::string> args;
};

// Every lab of the one list (grading/labs.h).
std::vector<StubCase> StubCases() {
  std::vector<StubCase> stubs;
  for (const std::string& lab : Labs())
    stubs.push_back(
        {lab, LoadRubric(Layout{build_paths::kSourceDir, ""}.rubric(lab), "").sample_args});
  return stubs;
}

// GoogleTest shows a failing parameter by its lab name rather than as raw bytes.
void PrintTo(const StubCase& stub, std::ostream* out) {
  *out << stub.lab;
}

class Stub : public testing::TestWithParam<StubCase> {};

TEST_P(Stub, ExitsThreeNotImplemented) {
  const StubCase& stub = GetParam();
  SpawnOptions options;
  options.args = stub.args;
  RunResult result = forklab::Run(std::string(build_paths::kBuildDir) + "/labs/" + stub.lab,
                                  options, std::chrono::seconds(5));
  ASSERT_FALSE(result.timed_out()) << stub.lab << " stub still running after 5 s";
  EXPECT_TRUE(result.status->ExitedWith(3))
      << stub.lab << " stub: expected exit 3, got " << result.status->Describe() << "\nstderr:\n"
      << result.err;
  EXPECT_EQ(result.err, stub.lab + ": not implemented\n");
  EXPECT_EQ(result.out, "");
}

INSTANTIATE_TEST_SUITE_P(Labs, Stub, testing::ValuesIn(StubCases()),
                         [](const testing::TestParamInfo<StubCase>& info) {
                           return info.param.lab;
                         });

}  // namespace
}  // namespace forklab
