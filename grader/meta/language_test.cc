// The report in the student's language: each of the eight labs graded in Chinese (its stub, a
// mutant and its reference, a few checks each) leaves no English sentence in what a student
// reads, in any format, technical tokens aside; LANG chooses the language and --lang overrides
// it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "i18n/english_text.h"
#include "meta/forklab_run.h"

namespace forklab {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// The English sentences of `text`, each on a line: where: "sentence".
std::string EnglishIn(const std::string& where, const std::string& text) {
  std::string found;
  for (const std::string& sentence : EnglishSentences(text))
    found += "  " + where + ": \"" + sentence + "\"\n";
  return found;
}

/// The English sentences in every key and string of `json`.
std::string EnglishInJson(const std::string& where, const nlohmann::json& json) {
  std::string found;
  if (json.is_string()) return EnglishIn(where, json.get<std::string>());
  if (json.is_object())
    for (const auto& [key, value] : json.items())
      found += EnglishIn(where, key) + EnglishInJson(where + "." + key, value);
  if (json.is_array())
    for (const auto& value : json) found += EnglishInJson(where, value);
  return found;
}

/// What the student reads about every check of `result`, forklab's own JSON: every title,
/// and the detail and hint of every check that did not pass, with each English sentence found
/// in it.
std::string EnglishInResult(const nlohmann::json& result) {
  std::string found;
  for (const auto& lab : result["labs"])
    for (const auto& check : lab["checks"]) {
      std::vector<const char*> fields = {"title"};
      if (check["outcome"] != "passed") fields.insert(fields.end(), {"detail", "hint"});
      for (const char* field : fields) {
        std::string where = check.value("test", "?") + " " + field;
        std::string text = check.value(field, "");
        found += EnglishIn(where, text);
        // GoogleTest's report escapes UTF-8 byte by byte; read back wrongly it shows as
        // Latin-1 letters (U+0080..U+00FF), whose UTF-8 starts with 0xC2 or 0xC3.
        if (text.find('\xC2') != std::string::npos || text.find('\xC3') != std::string::npos ||
            text.find("\xEF\xBF\xBD") != std::string::npos)
          found += "  " + where + ": garbled: " + text + "\n";
      }
    }
  return found;
}

/// A JUnit report's text, its test names and failure messages included.
std::string JunitText(const std::string& xml) {
  static const std::regex attribute(R"#(\b(?:name|message)="([^"]*)")#");
  return HtmlText(
      std::regex_replace(std::regex_replace(xml, attribute, ">$1<"), std::regex("&apos;"), "'"));
}

/// Every file format a student may read, besides the terminal text and forklab's JSON.
const std::vector<std::string> kFileFormats = {"markdown",  "html",  "gradescope", "prairielearn",
                                               "classroom", "junit", "autolab"};

/// The English left in each file `format` of a grading, written to `file`.
std::string EnglishInFile(const std::string& format, const fs::path& file) {
  std::string text = Slurp(file);
  if (format == "html") return EnglishIn(format, HtmlText(text));
  if (format == "junit") return EnglishIn(format, JunitText(text));
  if (format == "autolab") {
    // The summary, then Autolab's feedback and scores as a JSON line each.
    std::string found;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      found += line.starts_with("{") ? EnglishInJson(format, nlohmann::json::parse(line))
                                     : EnglishIn(format, line);
    return found;
  }
  if (format == "markdown") return EnglishIn(format, text);
  return EnglishInJson(format, nlohmann::json::parse(text));
}

/// One grading in Chinese: a lab's program (its stub, a mutant or its reference) on a few of
/// its checks, each of which fails (or, for the reference, passes).
struct ChineseGrading {
  std::string name;  // the test's
  std::string lab;
  fs::path exe;
  std::vector<std::string> checks;
  bool passes = false;
};

std::ostream& operator<<(std::ostream& out, const ChineseGrading& grading) {
  return out << grading.name;
}

/// Per lab: the stub on checks that fail at once, a mutant on checks it fails, the reference
/// on checks that pass. The checks are few and quick; together they meet the sandbox's notes,
/// exit statuses, fault checks, zombies, usage errors and timelines.
std::vector<ChineseGrading> EveryLab() {
  struct Lab {
    std::string lab;
    std::vector<std::string> stub_checks;
    std::string mutant;
    std::vector<std::string> mutant_checks;
    std::vector<std::string> reference_checks;
  };
  const std::vector<Lab> labs = {
      {"fork_basics",
       {"ForkBasics.LinesInOrder", "ForkBasics.BadOptionsExitTwo"},
       "fork_basics_never_exits",
       {"ForkBasics.ExitsZero", "ForkBasics.BadOptionsExitTwo"},
       {"ForkBasics.LinesInOrder", "ForkBasics.ExitsZero"}},
      {"fork_echo_server",
       {"EchoServer.ReplyFormat", "ForkEchoServer.ChildDoesNotHoldListener"},
       "fork_echo_child_keeps_listener",
       {"ForkEchoServer.ChildDoesNotHoldListener"},
       {"EchoServer.ReplyFormat"}},
      {"fork_ping",
       {"Ping.LineFormatIsHostColonStatus", "Ping.MissingTargetIsAUsageError"},
       "fork_ping_system_shell",
       {"Ping.PingCommandIsNotRunThroughAShell", "Ping.UnexecutablePingCommandIsAnError"},
       {"Ping.LineFormatIsHostColonStatus"}},
      {"fork_sum",
       {"Sum.SumsAreRight", "Sum.BadOptionsExitTwo"},
       "fork_sum_leaves_workers_unreaped_on_fork_failure",
       {"Sum.WorkerStartFailureIsReported"},
       {"Sum.SumsAreRight"}},
      {"thread_echo_server",
       {"EchoServer.ReplyFormat", "ThreadEchoServer.ThreadCountReturnsToBaseline"},
       "thread_echo_lets_system_error_escape",
       {"ThreadEchoServer.ThreadCreationFailureClosesConnectionAndKeepsServing"},
       {"EchoServer.ReplyFormat"}},
      {"thread_ping",
       {"Ping.LineFormatIsHostColonStatus", "Ping.ThreadVariantIsMultiThreaded"},
       "thread_ping_serial",
       {"Ping.ThreadVariantIsMultiThreaded"},
       {"Ping.LineFormatIsHostColonStatus"}},
      // No mutant is thread_ping_functor's own: thread_ping's is graded as it (one suite).
      {"thread_ping_functor",
       {"Ping.LineFormatIsHostColonStatus", "Ping.UnknownOptionIsAUsageError"},
       "thread_ping_lets_system_error_escape",
       {"Ping.ThreadVariantThreadCreationFailureIsRetried"},
       {"Ping.LineFormatIsHostColonStatus"}},
      {"thread_sum",
       {"Sum.SumsAreRight", "Sum.WorkIsReallyDone"},
       "thread_sum_closed_form",
       {"Sum.WorkIsReallyDone"},
       {"Sum.SumsAreRight"}},
  };
  std::vector<ChineseGrading> gradings;
  for (const Lab& lab : labs) {
    gradings.push_back({lab.lab + "_stub", lab.lab, kBuild / "labs" / lab.lab, lab.stub_checks});
    gradings.push_back({lab.lab + "_mutant", lab.lab, kBuild / "fixtures" / "mutants" / lab.mutant,
                        lab.mutant_checks});
    gradings.push_back({lab.lab + "_reference", lab.lab, kBuild / "reference" / lab.lab,
                        lab.reference_checks, true});
  }
  return gradings;
}

class ChineseReport : public testing::TestWithParam<ChineseGrading> {};

TEST_P(ChineseReport, HasNoEnglishSentenceInAnyFormat) {
  const ChineseGrading& want = GetParam();
  std::vector<std::string> args = {"grade", "--lang",         "zh", "--lab", want.lab,
                                   "--exe", want.exe.string()};
  for (const std::string& check : want.checks) args.insert(args.end(), {"--check", check});
  fs::path scratch = fs::temp_directory_path() / ("forklab-zh-" + std::to_string(getpid()));
  fs::create_directories(scratch);
  for (const std::string& format : kFileFormats)
    args.insert(args.end(), {"--format", format, "--output", (scratch / format).string()});
  Grading grading = Forklab(args);
  ASSERT_TRUE(grading.result.is_object()) << grading.run.out << grading.run.err;

  // Every check ran and failed (or passed, for the reference): the failing text was read.
  std::vector<std::string> outcomes;
  for (const auto& lab : grading.result["labs"])
    for (const auto& check : lab["checks"]) outcomes.push_back(check["outcome"]);
  EXPECT_EQ(outcomes.size(), want.checks.size()) << grading.run.out;
  for (const std::string& outcome : outcomes)
    EXPECT_EQ(outcome == "passed", want.passes) << grading.run.out;

  std::string english = EnglishIn("text", grading.run.out) + EnglishIn("stderr", grading.run.err) +
                        EnglishInResult(grading.result);
  for (const std::string& format : kFileFormats) english += EnglishInFile(format, scratch / format);
  EXPECT_EQ(english, "");
  fs::remove_all(scratch);
}

INSTANTIATE_TEST_SUITE_P(EveryLab, ChineseReport, testing::ValuesIn(EveryLab()),
                         [](const auto& info) { return info.param.name; });

TEST(Chinese, MutantReportUsesTheLessonsTerms) {
  // fork_basics_no_wait never waits: a zombie during the after-sleep.
  Grading grading = Forklab({"grade", "--lang", "zh", "--lab", "fork_basics", "--exe",
                             (kBuild / "fixtures" / "mutants" / "fork_basics_no_wait").string(),
                             "--check", "ForkBasics.NoZombieDuringAfterSleep"});
  ASSERT_TRUE(grading.result.is_object()) << grading.run.out << grading.run.err;
  EXPECT_EQ(grading.result["earned"], 0) << grading.run.out;
  EXPECT_EQ(EnglishInResult(grading.result), "");
  EXPECT_NE(grading.run.out.find("僵尸进程"), std::string::npos) << grading.run.out;
  EXPECT_NE(grading.run.out.find("提示："), std::string::npos) << grading.run.out;
}

/// Every title and hint of every shipped rubric, as written (in English).
std::vector<std::string> RubricTexts() {
  std::vector<fs::path> rubrics;
  for (const auto& lab : fs::directory_iterator(kSource / "labs"))
    if (fs::exists(lab.path() / "rubric.toml")) rubrics.push_back(lab.path() / "rubric.toml");
  for (const auto& shared : fs::directory_iterator(kSource / "labs" / "common" / "rubrics"))
    rubrics.push_back(shared.path());
  std::vector<std::string> texts;
  for (const fs::path& path : rubrics) {
    toml::table rubric = toml::parse_file(path.string());
    if (const toml::array* entries = rubric["test"].as_array())
      for (const auto& entry : *entries) {
        const toml::table& table = *entry.as_table();
        for (const char* key : {"title", "hint"})
          if (auto text = table[key].value<std::string>()) texts.push_back(*text);
        if (const toml::table* hints = table["hints"].as_table())
          for (const auto& [key, text] : *hints) texts.push_back(text.value_or(std::string()));
      }
  }
  return texts;
}

TEST(Chinese, TheDetectorWouldCatchAnyUntranslatedTitleOrHint) {
  // Were a translation missing, its English would show: the detector must see each one.
  std::vector<std::string> texts = RubricTexts();
  ASSERT_GT(texts.size(), 100u);
  for (const std::string& text : texts)
    EXPECT_NE(EnglishSentences(text), std::vector<std::string>{}) << text;
}

TEST(Chinese, EveryLabsChecksAreListedInChinese) {
  // `forklab list` shows every title of the eight labs and every fault profile's description.
  Grading listed = Forklab({"list", "--lang", "zh"}, false);
  ASSERT_TRUE(listed.run.status && listed.run.status->ExitedWith(0)) << listed.run.err;
  EXPECT_EQ(EnglishIn("list", listed.run.out), "");
}

// `forklab args...` with LANG set to `lang` (and neither LC_ALL nor LC_MESSAGES).
RunResult ForklabUnder(const std::string& lang, std::vector<std::string> args) {
  SpawnOptions options;
  options.args = std::move(args);
  options.env["LANG"] = lang;
  options.env["NO_COLOR"] = "1";
  options.unset_env = {"LC_ALL", "LC_MESSAGES"};
  return forklab::Run((kBuild / "grader" / "forklab").string(), options, std::chrono::seconds(60));
}

// `forklab list --lab fork_basics` with `args`, under LANG=`lang`.
RunResult ListWith(const std::string& lang, std::vector<std::string> args) {
  args.insert(args.begin(), {"list", "--lab", "fork_basics"});
  return ForklabUnder(lang, args);
}

TEST(Chinese, LangChoosesTheLanguageAndTheOptionOverridesIt) {
  const std::string english = "starting, in child, reaped, done: in that order";
  const std::string chinese = "依次打印 starting、in child、reaped、done";
  RunResult zh = ListWith("zh_CN.UTF-8", {});
  EXPECT_NE(zh.out.find(chinese), std::string::npos) << zh.out << zh.err;
  RunResult en = ListWith("zh_CN.UTF-8", {"--lang", "en"});
  EXPECT_NE(en.out.find(english), std::string::npos) << en.out << en.err;
  RunResult c = ListWith("C.UTF-8", {});
  EXPECT_NE(c.out.find(english), std::string::npos) << c.out << c.err;
}

TEST(Chinese, LangChoosesTheGradesLanguageAndTheOptionOverridesIt) {
  // The stub fails its one check at once.
  std::vector<std::string> grade = {"grade",
                                    "--lab",
                                    "fork_basics",
                                    "--exe",
                                    (kBuild / "labs" / "fork_basics").string(),
                                    "--check",
                                    "ForkBasics.LinesInOrder"};
  RunResult zh = ForklabUnder("zh_CN.UTF-8", grade);
  EXPECT_NE(zh.out.find("汇总"), std::string::npos) << zh.out << zh.err;
  EXPECT_EQ(EnglishIn("text", zh.out), "");
  grade.insert(grade.end(), {"--lang", "en"});
  RunResult en = ForklabUnder("zh_CN.UTF-8", grade);
  EXPECT_NE(en.out.find("Summary"), std::string::npos) << en.out << en.err;
  EXPECT_EQ(en.out.find("汇总"), std::string::npos) << en.out;
}

TEST(Chinese, UsageErrorsSpeakIt) {
  RunResult run = ForklabUnder(
      "C.UTF-8", {"grade", "--lang", "zh", "--lab", "fork_basics", "--exe", "/no/such/file"});
  ASSERT_TRUE(run.status && run.status->ExitedWith(2)) << run.err;
  EXPECT_NE(run.err.find("文件不存在：/no/such/file"), std::string::npos) << run.err;
  EXPECT_EQ(EnglishIn("stderr", run.err), "");
}

TEST(Chinese, HelpAndCli11sOwnUsageErrorsSpeakIt) {
  for (std::vector<std::string> help :
       {std::vector<std::string>{"--help"}, {"grade", "--help"}, {"batch", "--help"}}) {
    help.insert(help.end(), {"--lang", "zh"});
    RunResult run = ForklabUnder("C.UTF-8", help);
    ASSERT_TRUE(run.status && run.status->ExitedWith(0)) << run.err;
    EXPECT_NE(run.out.find("用法"), std::string::npos) << run.out;
    EXPECT_EQ(EnglishIn(help.front() + " --help", run.out), "");
  }
  for (std::vector<std::string> wrong : {std::vector<std::string>{"grade", "--jobs", "0"},
                                         {"grade", "--lab", "no_such_lab"},
                                         {"grade", "--frobnicate"},
                                         {"batch", "/"},
                                         {}}) {
    wrong.insert(wrong.end(), {"--lang", "zh"});
    RunResult run = ForklabUnder("C.UTF-8", wrong);
    ASSERT_TRUE(run.status && run.status->ExitedWith(2)) << run.err;
    EXPECT_EQ(EnglishIn("stderr", run.err), "");
  }
}

TEST(Chinese, AMissingCatalogueIsSaidOnceAndEnglishStays) {
  RunResult run = ListWith("fr_FR.UTF-8", {});
  ASSERT_TRUE(run.status && run.status->ExitedWith(0)) << run.err;
  EXPECT_NE(run.err.find("no fr catalogue"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("starting, in child, reaped, done: in that order"), std::string::npos);
}

}  // namespace
}  // namespace forklab
