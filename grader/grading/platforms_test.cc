#include "grading/platforms.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/subprocess.h"
#include "paths/build_paths.h"

namespace forklab {
namespace {

namespace fs = std::filesystem;

CheckReport Check(const std::string& test, double points, Outcome outcome, double fraction,
                  const std::string& detail, bool hidden = false) {
  RubricEntry entry{test,         "title of " + test,      points, hidden,
                    "the lesson", std::chrono::seconds(1), "/s",   ""};
  return {entry, {outcome, fraction, detail, std::chrono::milliseconds(250)}};
}

/// Every case a platform must carry: full, none, partial, skipped, hidden, a crash, a lab that
/// did not build, and program output that is hostile to each format (invalid UTF-8, control
/// bytes, XML and Markdown metacharacters, Autolab's `word:` pattern).
GradeReport SampleReport() {
  LabReport sum{"fork_sum", "/x/fork_sum", "", {}};
  sum.checks = {
      Check("Sum.A", 2, Outcome::kPassed, 1, ""),
      Check("Sum.B", 3, Outcome::kFailed, 0, "expected: 5050\nobserved: 5049 <&> | \"q\" score: 9"),
      Check("Sum.C", 4, Outcome::kPassed, 0.5, "speedup 1.4 of 2"),
      Check("Sum.D", 5, Outcome::kSkipped, 0, "one CPU core"),
      Check("Sum.E", 1, Outcome::kCrashed, 0, "killed by SIGSEGV \x01\xff\xfe"),
      Check("Sum.Secret", 1, Outcome::kFailed, 0, "secret detail", /*hidden=*/true)};
  sum.checks[2].result.speedup = SpeedupMeasurement{"the reference", {1, 2}, {1, 1.4}, {1, 1.9}};
  LabReport basics{"fork_basics", "/x/fork_basics", "main.cc:3: error: expected ';'", {}};
  basics.checks = {Check("ForkBasics.A", 2, Outcome::kNotBuilt, 0, "")};
  return {"student", true, "namespaces", {"a warning"}, {sum, basics}};
}

class Platforms : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("forklab-platforms-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(Format format) {
    fs::path file = dir_ / FormatName(format);
    std::ofstream(file) << Render(report_, format, /*show_hidden=*/false);
    return file;
  }

  /// Validates `file` against the schema; the validator's own lines are the failure message.
  void ExpectValid(const std::string& schema, const fs::path& file) {
    SpawnOptions options;
    fs::path schemas = fs::path(build_paths::kSourceDir) / "grader" / "schemas";
    options.args = {(schemas / "validate.py").string(), (schemas / schema).string(), file.string()};
    RunResult result = forklab::Run("/usr/bin/python3", options, std::chrono::seconds(60));
    ASSERT_TRUE(result.status) << "validator hung";
    EXPECT_TRUE(result.status->ExitedWith(0)) << schema << ":\n" << result.out << result.err;
  }

  static nlohmann::json Parse(const fs::path& file) {
    return nlohmann::json::parse(std::ifstream(file));
  }

  GradeReport report_ = SampleReport();
  fs::path dir_;
};

TEST_F(Platforms, EveryFormatHasANameThatParsesBack) {
  for (Format format : AllFormats()) EXPECT_EQ(ParseFormat(FormatName(format)), format);
  EXPECT_FALSE(ParseFormat("csv"));
}

TEST_F(Platforms, ForklabJsonMatchesItsSchema) {
  ExpectValid("forklab-result.schema.json", Write(Format::kJson));
}

TEST_F(Platforms, GradescopeSumsToTheSameGradeAndHidesHiddenChecks) {
  fs::path file = Write(Format::kGradescope);
  ExpectValid("gradescope-results.schema.json", file);
  nlohmann::json results = Parse(file);
  double score = 0, max_score = 0;
  for (const nlohmann::json& test : results["tests"]) {
    score += test["score"].get<double>();
    max_score += test["max_score"].get<double>();
  }
  EXPECT_DOUBLE_EQ(score, report_.earned());
  EXPECT_DOUBLE_EQ(max_score, report_.total());
  EXPECT_EQ(results["tests"][5]["visibility"], "hidden");
  EXPECT_EQ(results.dump().find("secret detail"), std::string::npos);
  EXPECT_NE(results["tests"][6]["output"].get<std::string>().find("expected ';'"),
            std::string::npos)
      << "a lab that did not build shows the compiler's message";
  ASSERT_EQ(results["leaderboard"].size(), 1u) << "the speedups measured, one per lab";
  EXPECT_EQ(results["leaderboard"][0]["name"], "fork_sum: speedup with 2 workers");
  EXPECT_DOUBLE_EQ(results["leaderboard"][0]["value"].get<double>(), 1.4);
  EXPECT_EQ(results["leaderboard"][0]["order"], "desc");
}

TEST_F(Platforms, PrairieLearnScoresFromZeroToOne) {
  fs::path file = Write(Format::kPrairieLearn);
  ExpectValid("prairielearn-results.schema.json", file);
  nlohmann::json results = Parse(file);
  EXPECT_DOUBLE_EQ(results["score"].get<double>(), report_.earned() / report_.total());
  EXPECT_LT(fs::file_size(file), 1u << 20);
}

TEST_F(Platforms, ClassroomReporterSumsTheScores) {
  fs::path file = Write(Format::kClassroom);
  ExpectValid("classroom-result.schema.json", file);
  nlohmann::json result = Parse(file);
  double score = 0;
  for (const nlohmann::json& test : result["tests"]) score += test["score"].get<double>();
  EXPECT_DOUBLE_EQ(score, report_.earned());
  EXPECT_DOUBLE_EQ(result["max_score"].get<double>(), report_.total());
  EXPECT_EQ(result["status"], "fail");
  EXPECT_EQ(result["tests"][4]["status"], "error") << "a crash is an error, not a wrong answer";
}

TEST_F(Platforms, AutolabLastLineSurvivesItsRewriteWithOneProblemPerLab) {
  fs::path file = Write(Format::kAutolab);
  ExpectValid("autolab-scores.schema.json", file);
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line)) last = line;
  nlohmann::json scores = nlohmann::json::parse(last)["scores"];
  EXPECT_DOUBLE_EQ(scores["fork_sum"].get<double>(), report_.labs[0].earned());
  EXPECT_DOUBLE_EQ(scores["fork_basics"].get<double>(), 0);
}

TEST_F(Platforms, JunitIsWellFormedWithOneCasePerCheck) {
  fs::path file = Write(Format::kJunit);
  SpawnOptions options;
  options.args = {"--noout", file.string()};
  RunResult lint = forklab::Run("/usr/bin/xmllint", options, std::chrono::seconds(60));
  ASSERT_TRUE(lint.status);
  EXPECT_TRUE(lint.status->ExitedWith(0)) << lint.err;
  std::string xml = Render(report_, Format::kJunit, false);
  EXPECT_NE(xml.find("<testsuite name=\"fork_sum\" tests=\"6\" failures=\"3\" errors=\"1\" "
                     "skipped=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("file=\"labs/fork_sum/main.cc\""), std::string::npos);
  EXPECT_NE(xml.find("&lt;&amp;&gt;"), std::string::npos);
}

TEST_F(Platforms, MarkdownListsWhatToFixWithoutBreakingTheTable) {
  std::string md = Render(report_, Format::kMarkdown, false);
  EXPECT_NE(md.find("| fork_sum | 4/11 |"), std::string::npos) << md;
  EXPECT_NE(md.find("title of Sum.B"), std::string::npos);
  EXPECT_NE(md.find("hint: the lesson"), std::string::npos);
  EXPECT_EQ(md.find("title of Sum.A"), std::string::npos) << "passed checks are not listed";
  EXPECT_EQ(md.find("secret detail"), std::string::npos);
}

}  // namespace
}  // namespace forklab
