// `forklab batch` and `forklab merge` end to end, on a small class graded on one check: the
// gradebook, the exit status with ungradable submissions, a resumed run regrading nothing, a
// changed rubric entry regrading only its check, an interrupted run finished by the next, and
// three shards run as processes merging into the unsharded gradebook.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/subprocess.h"
#include "harness/watch.h"
#include "meta/forklab_run.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

const fs::path kClass = kBuild / "batch-test" / "class";
const fs::path kOutputs = kBuild / "batch-test" / "out";
const std::vector<std::string> kOneCheck = {"--lab", "fork_basics", "--check",
                                            "ForkBasics.ExitsZero"};

std::string Slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Writes `text` to `file` unless it holds it already, so the checkouts keep their build trees
/// (one per checkout path) and rebuild nothing from one run of this test to the next.
void Keep(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  if (!fs::exists(file) || Slurp(file) != text) std::ofstream(file, std::ios::binary) << text;
}

/// A checkout of the labs with fork_basics/main.cc replaced by `main`.
void Checkout(const fs::path& dir, const fs::path& main) {
  for (const auto& entry : fs::recursive_directory_iterator(kSource / "labs")) {
    if (!entry.is_regular_file()) continue;
    fs::path relative = fs::relative(entry.path(), kSource / "labs");
    Keep(dir / "labs" / relative, Slurp(entry.path()));
  }
  Keep(dir / "labs" / "fork_basics" / "main.cc", Slurp(main));
}

RunResult Forklab(std::vector<std::string> args) {
  SpawnOptions options;
  options.args = std::move(args);
  options.env["NO_COLOR"] = "1";
  return Run((kBuild / "grader" / "forklab").string(), options, std::chrono::minutes(20));
}

RunResult Batch(const fs::path& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"batch", kClass.string(), "--out", out.string()};
  args.insert(args.end(), kOneCheck.begin(), kOneCheck.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return Forklab(args);
}

/// The class: a reference and a stub as checkouts, and an archive that is no archive.
class BatchCli : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    Checkout(kClass / "ada", kSource / "reference" / "fork_basics" / "main.cc");
    Checkout(kClass / "bo", kSource / "labs" / "fork_basics" / "main.cc");
    Keep(kClass / "cy.zip", "this is not a zip archive\n");
    fs::remove_all(kOutputs);
  }
  static void TearDownTestSuite() { fs::remove_all(kOutputs); }
  /// The whole class graded in one batch, into kOutputs/all: once per test process.
  static const RunResult& Unsharded() {
    static const RunResult run = Batch(kOutputs / "all");
    return run;
  }
};

TEST_F(BatchCli, GradesEachSubmissionAndListsTheOnesItCouldNot) {
  const RunResult& run = Unsharded();
  ASSERT_TRUE(run.status && run.status->ExitedWith(1)) << run.out << run.err;
  EXPECT_NE(run.err.find("1 of 3 submissions could not be graded"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("cy: The archive could not be unpacked"), std::string::npos) << run.err;
  EXPECT_EQ(Slurp(kOutputs / "all" / "gradebook.csv"),
            "student_id,status,total,possible,percent,fork_basics,"
            "fork_basics:ForkBasics.ExitsZero\r\n"
            "ada,graded,1.00,1.00,100.00,1.00,1.00\r\n"
            "bo,graded,0.00,1.00,0.00,0.00,0.00\r\n"
            "cy,not graded,,,,,\r\n");
  for (const char* file : {"record.json", "forklab.json", "gradescope.json", "junit.xml"})
    EXPECT_TRUE(fs::exists(kOutputs / "all" / "submissions" / "ada" / file)) << file;
}

TEST_F(BatchCli, ARerunRegradesNothingThatFinished) {
  Unsharded();
  fs::path record = kOutputs / "all" / "submissions" / "ada" / "record.json";
  fs::file_time_type graded_at = fs::last_write_time(record);
  std::string gradebook = Slurp(kOutputs / "all" / "gradebook.csv");
  RunResult rerun = Batch(kOutputs / "all");
  EXPECT_EQ(rerun.out.find("grading ada"), std::string::npos) << rerun.out;
  EXPECT_EQ(rerun.out.find("grading bo"), std::string::npos) << rerun.out;
  EXPECT_EQ(fs::last_write_time(record), graded_at);
  EXPECT_EQ(Slurp(kOutputs / "all" / "gradebook.csv"), gradebook);
  // A forced regrade grades that one again, and only it.
  RunResult forced = Batch(kOutputs / "all", {"--regrade", "bo"});
  EXPECT_NE(forced.out.find("grading bo"), std::string::npos) << forced.out;
  EXPECT_EQ(forced.out.find("grading ada"), std::string::npos) << forced.out;
}

/// The points and the measured duration (a fresh grading measures another) of each check
/// `id` has in `out`.
std::map<std::string, std::pair<double, double>> ChecksOf(const fs::path& out,
                                                          const std::string& id) {
  nlohmann::json record =
      nlohmann::json::parse(Slurp(out / "submissions" / id / "record.json"), nullptr, false);
  std::map<std::string, std::pair<double, double>> checks;
  if (record.is_discarded() || record["result"].is_null()) return checks;
  for (const auto& lab : record["result"]["labs"])
    for (const auto& check : lab["checks"])
      checks[check["test"]] = {check["points"].get<double>(), check["seconds"].get<double>()};
  return checks;
}

TEST_F(BatchCli, AChangedRubricEntryRegradesOnlyItsCheck) {
  // An instructor's hidden rubric (its suite beside it) adds a second check; then its points
  // change, as after a deadline.
  fs::path hidden = kOutputs / "hidden";
  fs::create_directories(hidden);
  fs::copy_file(kBuild / "grader" / "fork_basics_suite", hidden / "fork_basics_suite",
                fs::copy_options::overwrite_existing);
  auto rubric = [&](int points) {
    std::ofstream(hidden / "fork_basics.toml")
        << "lab = \"fork_basics\"\nsuite = \"fork_basics_suite\"\n[[test]]\n"
        << "name = \"ForkBasics.ChildIsSeparateProcess\"\ntitle = \"a separate process\"\n"
        << "points = " << points << "\n";
  };
  const std::string kExtra = "ForkBasics.ChildIsSeparateProcess";
  std::vector<std::string> args = {"--hidden", hidden.string(), "--check", kExtra};
  fs::path out = kOutputs / "rubric-change";
  rubric(1);
  RunResult first = Batch(out, args);
  ASSERT_TRUE(first.status && first.status->ExitedWith(1)) << first.out << first.err;
  auto before = ChecksOf(out, "ada");
  ASSERT_EQ(before.size(), 2u) << first.out;

  rubric(2);
  RunResult second = Batch(out, args);
  ASSERT_TRUE(second.status && second.status->ExitedWith(1)) << second.out << second.err;
  EXPECT_NE(second.out.find("grading ada"), std::string::npos) << second.out;
  auto after = ChecksOf(out, "ada");
  ASSERT_EQ(after.size(), 2u) << second.out;
  EXPECT_EQ(after["ForkBasics.ExitsZero"], before["ForkBasics.ExitsZero"]) << "regraded";
  EXPECT_EQ(after[kExtra].first, 2);
  EXPECT_NE(after[kExtra].second, before[kExtra].second) << "not regraded";
}

TEST_F(BatchCli, ThreeShardsAsProcessesMergeIntoTheUnshardedGradebook) {
  Unsharded();
  std::vector<std::future<RunResult>> shards;
  std::vector<std::string> dirs;
  for (int index = 1; index <= 3; ++index) {
    dirs.push_back((kOutputs / ("shard" + std::to_string(index))).string());
    shards.push_back(std::async(std::launch::async, Batch, dirs.back(),
                                std::vector<std::string>{"--shard", fmt::format("{}/3", index)}));
  }
  for (auto& shard : shards) ASSERT_TRUE(shard.get().status);
  std::vector<std::string> merge = {"merge", "--out", (kOutputs / "merged").string()};
  merge.insert(merge.end(), dirs.begin(), dirs.end());
  RunResult merged = Forklab(merge);
  ASSERT_TRUE(merged.status && merged.status->ExitedWith(0)) << merged.err;
  EXPECT_EQ(Slurp(kOutputs / "merged" / "gradebook.csv"),
            Slurp(kOutputs / "all" / "gradebook.csv"));

  RunResult gap = Forklab({"merge", "--out", (kOutputs / "gap").string(), dirs[0], dirs[2]});
  ASSERT_TRUE(gap.status && gap.status->ExitedWith(1));
  EXPECT_EQ(gap.err, "forklab: shard 2/3 is missing: merge needs all 3 shards\n");
  RunResult twice = Forklab({"merge", "--out", (kOutputs / "twice").string(), dirs[0], dirs[0]});
  ASSERT_TRUE(twice.status && twice.status->ExitedWith(1));
  EXPECT_NE(twice.err.find("shard 1/3 is given twice"), std::string::npos) << twice.err;
}

TEST_F(BatchCli, AnInterruptedBatchIsFinishedByTheNextRun) {
  Unsharded();
  fs::path out = kOutputs / "interrupted";
  SpawnOptions options;
  options.args = {"batch", kClass.string(), "--out", out.string()};
  options.args.insert(options.args.end(), kOneCheck.begin(), kOneCheck.end());
  auto batch = Subprocess::Start((kBuild / "grader" / "forklab").string(), options);
  fs::path first = out / "submissions" / "ada" / "record.json";
  ASSERT_TRUE(Eventually(std::chrono::minutes(10), [&] {
    batch->Wait(std::chrono::milliseconds(0));
    return fs::exists(first) || batch->status();
  }));
  batch->Signal(SIGINT);
  std::optional<ExitStatus> status = batch->Wait(std::chrono::minutes(5));
  ASSERT_TRUE(status);
  // Either it stopped (130) or, on a fast machine, it had finished before the signal came (1).
  EXPECT_TRUE(status->ExitedWith(130) || status->ExitedWith(1)) << status->Describe();
  fs::file_time_type graded_at = fs::last_write_time(first);

  RunResult rerun = Batch(out);
  ASSERT_TRUE(rerun.status && rerun.status->ExitedWith(1)) << rerun.err;
  EXPECT_EQ(rerun.out.find("grading ada"), std::string::npos) << rerun.out;
  EXPECT_EQ(fs::last_write_time(first), graded_at);
  EXPECT_EQ(Slurp(out / "gradebook.csv"), Slurp(kOutputs / "all" / "gradebook.csv"));
}

TEST_F(BatchCli, UsageErrorsExitTwo) {
  RunResult bad_shard = Forklab({"batch", kClass.string(), "--out", "x", "--shard", "4/3"});
  EXPECT_TRUE(bad_shard.status && bad_shard.status->ExitedWith(2)) << bad_shard.err;
  RunResult no_class = Forklab({"batch", "/nonexistent/class", "--out", "x"});
  EXPECT_TRUE(no_class.status && no_class.status->ExitedWith(2)) << no_class.err;
}

}  // namespace
}  // namespace forklab
