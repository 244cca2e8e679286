// The report in the student's language: fork_basics graded in Chinese (its stub, a mutant and
// its reference) leaves no English sentence in what a student reads, technical tokens aside;
// LANG chooses the language and --lang overrides it.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "meta/forklab_run.h"

namespace forklab {
namespace {

// Whether `line` holds a Chinese character or full-width punctuation (U+3000..U+9FFF, U+FF00..).
bool HasChinese(const std::string& line) {
  for (size_t i = 0; i + 2 < line.size(); ++i) {
    unsigned char lead = static_cast<unsigned char>(line[i]);
    if ((lead >= 0xE3 && lead <= 0xE9) || lead == 0xEF) return true;
  }
  return false;
}

// A word of an English sentence: letters only, lowercase after an optional capital. Anything
// else is a technical token: calls (waitpid()), options (--jobs), paths, errno and signal names
// (EAGAIN, SIGCHLD), names with digits or underscores (fork_basics), numbers.
bool IsEnglishWord(std::string token) {
  static const std::regex punctuation(R"(^[,.;:!?()\[\]]+|[,.;:!?()\[\]]+$)");
  static const std::regex word(R"([A-Za-z][a-z]*)");
  if (token.find("()") != std::string::npos) return false;
  token = std::regex_replace(token, punctuation, "");
  return token.size() > 1 && std::regex_match(token, word);
}

/// The English sentences left in `text`: every run of three or more English words in a row.
/// Not read: what the program printed (the lines after "stdout:" or "stderr:", up to the next
/// line in Chinese), and text in backticks or quotes, which quotes the program or the contract.
std::vector<std::string> EnglishSentences(const std::string& text) {
  static const std::regex quoted(R"(`[^`]*`|'[^']*'|"[^"]*")");
  std::vector<std::string> sentences;
  std::istringstream lines(text);
  bool program_output = false;
  for (std::string line; std::getline(lines, line);) {
    std::string trimmed = line.substr(std::min(line.size(), line.find_first_not_of(' ')));
    if (trimmed.starts_with("stdout:") || trimmed.starts_with("stderr:")) {
      program_output = true;
      continue;
    }
    if (program_output && !HasChinese(line)) continue;
    program_output = false;
    std::istringstream tokens(std::regex_replace(line, quoted, " | "));
    std::vector<std::string> run;
    auto end_run = [&] {
      if (run.size() >= 3) {
        std::string sentence;
        for (const std::string& word : run) sentence += (sentence.empty() ? "" : " ") + word;
        sentences.push_back(sentence);
      }
      run.clear();
    };
    for (std::string token; tokens >> token;) {
      if (!HasChinese(token) && IsEnglishWord(token)) {
        run.push_back(token);
      } else {
        end_run();
      }
    }
    end_run();
  }
  return sentences;
}

TEST(EnglishSentences, FindsEnglishAndLetsTechnicalTokensBe) {
  EXPECT_EQ(EnglishSentences("the parent never waited for it"),
            std::vector<std::string>{"the parent never waited for it"});
  EXPECT_EQ(EnglishSentences("子进程 4 作为僵尸进程（状态 Z）存在了 1.3 秒：请调用 waitpid()"),
            std::vector<std::string>{});
  EXPECT_EQ(EnglishSentences("提示：fork() returns -1 and sets errno (EAGAIN when out)"),
            std::vector<std::string>{"and sets errno"});
  EXPECT_EQ(EnglishSentences("应为 'reaped <pid> <status>'，`kill -s TERM its pid` /usr/bin/ping"),
            std::vector<std::string>{});
  EXPECT_EQ(EnglishSentences("stdout:\n  [0.1 s] in child now\nstderr: fork_basics: not now\n"
                             "退出：exit 0\nbut this one is English"),
            std::vector<std::string>{"but this one is English"});
  EXPECT_EQ(EnglishSentences("Sleeps never end early."),
            std::vector<std::string>{"Sleeps never end early."});
}

/// What the student reads about every check of `result` that did not pass, and every title,
/// with each English sentence found in it.
std::string EnglishInReport(const nlohmann::json& result) {
  std::string found;
  for (const auto& lab : result["labs"])
    for (const auto& check : lab["checks"]) {
      std::vector<const char*> fields = {"title"};
      if (check["outcome"] != "passed") fields.insert(fields.end(), {"detail", "hint"});
      for (const char* field : fields) {
        std::string text = check.value(field, "");
        for (const std::string& sentence : EnglishSentences(text))
          found += "  " + check.value("test", "?") + " " + field + ": \"" + sentence + "\" in:\n" +
                   text + "\n";
        // GoogleTest's report escapes UTF-8 byte by byte; read back wrongly it shows as
        // Latin-1 letters (U+0080..U+00FF), whose UTF-8 starts with 0xC2 or 0xC3.
        if (text.find('\xC2') != std::string::npos || text.find('\xC3') != std::string::npos ||
            text.find("\xEF\xBF\xBD") != std::string::npos)
          found += "  " + check.value("test", "?") + " " + field + ": garbled: " + text + "\n";
      }
    }
  return found;
}

// Grades fork_basics in Chinese with `exe` (the checks matching `checks`).
Grading GradeInChinese(const std::filesystem::path& exe, const std::vector<std::string>& checks) {
  std::vector<std::string> args = {"grade",       "--lang", "zh",        "--lab",
                                   "fork_basics", "--exe",  exe.string()};
  for (const std::string& check : checks) args.insert(args.end(), {"--check", check});
  return Forklab(args);
}

TEST(Chinese, StubReportHasNoEnglishSentence) {
  // The stub exits at once: every check fails, quickly.
  Grading grading = GradeInChinese(kBuild / "labs" / "fork_basics", {});
  ASSERT_TRUE(grading.result.is_object()) << grading.run.out << grading.run.err;
  EXPECT_EQ(grading.result["earned"], 0);
  EXPECT_EQ(EnglishInReport(grading.result), "");
}

TEST(Chinese, MutantReportHasNoEnglishSentence) {
  // fork_basics_no_wait never waits: a zombie during the after-sleep, an orphan at the end.
  Grading grading = GradeInChinese(kBuild / "fixtures" / "mutants" / "fork_basics_no_wait",
                                   {"ForkBasics.NoZombieDuringAfterSleep",
                                    "ForkBasics.NothingOutlivesProgram", "ForkBasics.ExitsZero"});
  ASSERT_TRUE(grading.result.is_object()) << grading.run.out << grading.run.err;
  EXPECT_EQ(grading.result["earned"], 1) << grading.run.out;
  EXPECT_EQ(EnglishInReport(grading.result), "");
  // The terminal report says it in Chinese too, with the lesson's term.
  EXPECT_NE(grading.run.out.find("僵尸进程"), std::string::npos) << grading.run.out;
  EXPECT_NE(grading.run.out.find("提示："), std::string::npos) << grading.run.out;
}

TEST(Chinese, ReferenceReportHasNoEnglishSentence) {
  Grading grading = GradeInChinese(kBuild / "reference" / "fork_basics",
                                   {"ForkBasics.LinesInOrder", "ForkBasics.ExitsZero"});
  ASSERT_TRUE(grading.result.is_object()) << grading.run.out << grading.run.err;
  EXPECT_EQ(grading.result["earned"], grading.result["total"]) << grading.run.out;
  EXPECT_EQ(EnglishInReport(grading.result), "");
  EXPECT_NE(grading.run.out.find("汇总"), std::string::npos) << grading.run.out;
}

// `forklab args...` with LANG set to `lang` (and neither LC_ALL nor LC_MESSAGES).
RunResult ForklabUnder(const std::string& lang, std::vector<std::string> args) {
  SpawnOptions options;
  options.args = std::move(args);
  options.env["LANG"] = lang;
  options.unset_env = {"LC_ALL", "LC_MESSAGES"};
  return forklab::Run((kBuild / "grader" / "forklab").string(), options, std::chrono::seconds(30));
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

TEST(Chinese, UsageErrorsSpeakIt) {
  RunResult run = ForklabUnder(
      "C.UTF-8", {"grade", "--lang", "zh", "--lab", "fork_basics", "--exe", "/no/such/file"});
  ASSERT_TRUE(run.status && run.status->ExitedWith(2)) << run.err;
  EXPECT_NE(run.err.find("文件不存在：/no/such/file"), std::string::npos) << run.err;
  EXPECT_EQ(EnglishSentences(run.err), std::vector<std::string>{}) << run.err;
}

TEST(Chinese, AMissingCatalogueIsSaidOnceAndEnglishStays) {
  RunResult run = ListWith("fr_FR.UTF-8", {});
  ASSERT_TRUE(run.status && run.status->ExitedWith(0)) << run.err;
  EXPECT_NE(run.err.find("no fr catalogue"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("starting, in child, reaped, done: in that order"), std::string::npos);
}

}  // namespace
}  // namespace forklab
