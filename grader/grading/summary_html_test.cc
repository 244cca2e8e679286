#include "grading/summary_html.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "harness/subprocess.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

nlohmann::json Check(const std::string& test, const std::string& outcome, double earned,
                     const std::string& detail = "") {
  nlohmann::json check = {{"test", test},       {"title", "title of " + test},
                          {"outcome", outcome}, {"earned", earned},
                          {"points", 2},        {"detail", detail}};
  if (outcome != "passed") check["hint"] = "the lesson of " + test;
  return check;
}

StoredResult Graded(const std::string& id, double speedup, bool zombie_free) {
  nlohmann::json sum = {
      {"lab", "fork_sum"},
      {"earned", zombie_free ? 4 : 2},
      {"total", 4},
      {"checks",
       {Check("Sum.WorkersAreReaped", zombie_free ? "passed" : "failed", zombie_free ? 2 : 0),
        Check("SumSpeedup.MatchesReference", "passed", 2,
              fmt::format("speedup with 2 workers: {:.2f}x (N = 1 per worker)", speedup))}}};
  return {id, "/class/" + id, true, "", "", "", {}, {{"labs", {sum}}}};
}

std::vector<StoredResult> ClassOfFour() {
  return {Graded("amy", 1.95, true),
          Graded("bob", 1.02, false),
          Graded("cy", 1.90, false),
          {"dan", "/class/dan.zip", false, "The archive is empty.", "", "", {}, nullptr}};
}

TEST(SummaryHtml, HistogramsMostFailedWithTheLessonSpeedupsAndTheUngraded) {
  std::string html = SummaryHtml(ClassOfFour(), {});
  EXPECT_NE(html.find("3 of 4 submissions were graded."), std::string::npos);
  EXPECT_NE(html.find("The archive is empty."), std::string::npos);
  EXPECT_NE(html.find("fork_sum: submissions per score"), std::string::npos);
  EXPECT_NE(html.find("<td>2 of 3</td><td>fork_sum</td><td>title of Sum.WorkersAreReaped"),
            std::string::npos);
  EXPECT_NE(html.find("the lesson of Sum.WorkersAreReaped"), std::string::npos);
  EXPECT_NE(html.find("submissions per measured speedup"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "nothing is fetched";
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(SummaryHtml, SimilarPairsLinkTheirSideBySidePage) {
  SimilarPair pair{"fork_basics", "amy", "bob", 97, 95, {{{3, 9}, {4, 10}}}};
  std::string html = SummaryHtml(ClassOfFour(), {pair});
  EXPECT_NE(html.find("97% of amy's code is in bob's"), std::string::npos);
  EXPECT_NE(html.find("href=\"similarity/fork_basics-amy-bob.html\""), std::string::npos);
  std::string side = SideBySideHtml(pair, "a\nb\nc\nd\n", "1 < 2\n");
  EXPECT_NE(side.find("<span class=\"match\">   3 c</span>"), std::string::npos);
  EXPECT_NE(side.find("1 &lt; 2"), std::string::npos);
}

TEST(MeasuredSpeedup, FromTheSpeedupChecksDetail) {
  EXPECT_DOUBLE_EQ(MeasuredSpeedup("speedup with 2 workers: 1.93x (N = 5 per worker); ..."), 1.93);
  EXPECT_DOUBLE_EQ(MeasuredSpeedup("2 个工作者的加速比：1.93 倍（每个工作者 N = 5）；..."), 1.93);
  EXPECT_LT(MeasuredSpeedup("one CPU core: no speedup is possible here"), 0);
}

/// The page as a browser lays it out: headless Chromium loads it, and its DOM has every
/// histogram's bars. Skipped where Chromium is not installed.
TEST(SummaryHtml, RendersInHeadlessChromium) {
  std::string chromium;
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (access(candidate, X_OK) == 0) chromium = candidate;
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed";
  fs::path dir = fs::temp_directory_path() / ("forklab-summary-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "summary.html") << SummaryHtml(ClassOfFour(), {});
  SpawnOptions options;
  options.args = {"--headless",    "--no-sandbox",
                  "--disable-gpu", "--user-data-dir=" + (dir / "profile").string(),
                  "--dump-dom",    "file://" + (dir / "summary.html").string()};
  RunResult run = forklab::Run(chromium, options, std::chrono::seconds(120));
  fs::remove_all(dir);
  ASSERT_TRUE(run.status && run.status->ExitedWith(0)) << run.err;
  size_t bars = 0;
  for (size_t at = 0; (at = run.out.find("<rect class=\"bar\"", at)) != std::string::npos; ++at)
    ++bars;
  EXPECT_EQ(bars, 20u) << "a score histogram and a speedup histogram of 10 bars each";
  EXPECT_NE(run.out.find("id=\"most-failed\""), std::string::npos);
}

}  // namespace
}  // namespace forklab
