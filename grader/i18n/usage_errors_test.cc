#include "i18n/usage_errors.h"

#include <gtest/gtest.h>

#include "i18n/english_text.h"
#include "i18n/messages.h"

namespace forklab {
namespace {

/// Every test leaves Tr() in English, as the next one expects it.
class UsageErrors : public testing::Test {
 protected:
  void TearDown() override { UseLanguage("en"); }
};

TEST_F(UsageErrors, StayAsCli11WroteThemInEnglish) {
  for (const char* english :
       {"--jobs: Value 0 not in range 1 to 64", "The following argument was not expected: -x",
        "--out is required", "A subcommand is required", "something else entirely"})
    EXPECT_EQ(TranslatedUsageError(english), english);
}

TEST_F(UsageErrors, SpeakChineseKeepingTheOptionsAndValues) {
  ASSERT_EQ(UseLanguage("zh"), std::nullopt);
  EXPECT_EQ(TranslatedUsageError("--jobs: Value 0 not in range 1 to 64"),
            "--jobs：0 不在 1 到 64 的范围内");
  EXPECT_EQ(TranslatedUsageError("--lab: fork_bases not in {fork_basics,fork_sum}"),
            "--lab：fork_bases 不在可选范围 {fork_basics,fork_sum} 之内");
  EXPECT_EQ(TranslatedUsageError("The following arguments were not expected: --frob 3"),
            "无法识别的参数：--frob 3");
  EXPECT_EQ(TranslatedUsageError("--out is required"), "必须给出 --out");
  EXPECT_EQ(TranslatedUsageError("--submission excludes --exe"),
            "--submission 与 --exe 不能同时使用");
  EXPECT_EQ(TranslatedUsageError("--hidden: Directory does not exist: /nowhere"),
            "--hidden：目录不存在：/nowhere");
  // forklab's own messages come translated already.
  EXPECT_EQ(TranslatedUsageError("--exe: 文件不存在：/no/such/file"),
            "--exe: 文件不存在：/no/such/file");
}

TEST_F(UsageErrors, LeaveNoEnglishSentenceInAnyShapeTheyKnow) {
  ASSERT_EQ(UseLanguage("zh"), std::nullopt);
  for (const char* english :
       {"A subcommand is required", "Requires at least 2 subcommands",
        "The following argument was not expected: grade", "--shard requires --out",
        "The value x is not an allowed value for --impl", "Could not convert: --jobs = many",
        "--lab: 1 required TEXT missing", "Expected exactly 1 arguments to --out, got 0",
        "--frob not found", "--memory: Value lots could not be converted",
        "--fail-under: Failed parsing x as a FLOAT", "SUBMISSIONS: Path does not exist: /x",
        "--exe: File is actually a directory: /tmp",
        "--out: Directory is actually a file: /etc/passwd", "--pass: File does not exist: /x"})
    EXPECT_EQ(EnglishSentences(TranslatedUsageError(english)), std::vector<std::string>{})
        << english << " -> " << TranslatedUsageError(english);
}

}  // namespace
}  // namespace forklab
