#include "i18n/messages.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace forklab {
namespace {

/// Every test leaves Tr() in English, as the next one expects it.
class Messages : public testing::Test {
 protected:
  void TearDown() override { UseLanguage("en"); }
};

TEST_F(Messages, EnglishIsTheSourceText) {
  EXPECT_EQ(CurrentLanguage(), "en");
  EXPECT_EQ(Tr("hint: "), "hint: ");
  EXPECT_EQ(Tr("{} was {}, expected {}", "lines", 3, 4), "lines was 3, expected 4");
}

TEST_F(Messages, NumbersReadAsTheyDidWhenStreamed) {
  EXPECT_EQ(Tr("still running after {} ms", 1.4799320309999997), "still running after 1.47993 ms");
  EXPECT_EQ(Tr("score {:.1f}% is under --fail-under {}", 77.77, 80.0),
            "score 77.8% is under --fail-under 80");
  EXPECT_EQ(Tr("exit {}", 3), "exit 3");
}

TEST_F(Messages, ChineseComesFromTheBuiltCatalogue) {
  ASSERT_EQ(UseLanguage("zh"), std::nullopt);
  EXPECT_EQ(CurrentLanguage(), "zh");
  EXPECT_EQ(Tr("hint: "), "提示：");
  EXPECT_EQ(Tr("{} was {}, expected {}", "lines", 3, 4), "lines 为 3，应为 4");
  // A sentence the catalogue does not hold (an instructor's hidden rubric) stays English.
  EXPECT_EQ(Tr("a title no catalogue has"), "a title no catalogue has");
  ASSERT_EQ(UseLanguage("en"), std::nullopt);
  EXPECT_EQ(Tr("hint: "), "hint: ");
}

TEST_F(Messages, AMissingCatalogueIsSaidAndEnglishStays) {
  std::optional<std::string> why = UseLanguage("fr");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("fr/LC_MESSAGES/forklab.mo"), std::string::npos) << *why;
  EXPECT_EQ(CurrentLanguage(), "en");
  EXPECT_EQ(Tr("hint: "), "hint: ");
  EXPECT_TRUE(UseLanguage("zh", std::filesystem::temp_directory_path() / "no-such-locale-dir"));
  EXPECT_EQ(Tr("hint: "), "hint: ");
}

TEST(CatalogueLanguage, NamesTheCatalogue) {
  EXPECT_EQ(CatalogueLanguage("zh"), "zh");
  EXPECT_EQ(CatalogueLanguage("zh_CN"), "zh");
  EXPECT_EQ(CatalogueLanguage("zh_CN.UTF-8"), "zh");
  EXPECT_EQ(CatalogueLanguage("en_US.UTF-8"), "en");
  EXPECT_EQ(CatalogueLanguage("C.UTF-8"), "en");
  EXPECT_EQ(CatalogueLanguage("POSIX"), "en");
  EXPECT_EQ(CatalogueLanguage(""), "en");
}

/// Sets the locale variables for one test and puts them back.
class Environment : public testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kNames)
      if (const char* value = getenv(name)) saved_.emplace_back(name, value);
    for (const char* name : kNames) unsetenv(name);
  }
  void TearDown() override {
    for (const char* name : kNames) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }
  static constexpr const char* kNames[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(Environment, FollowsPosixPrecedence) {
  EXPECT_EQ(LanguageFromEnvironment(), "en");
  setenv("LANG", "zh_CN.UTF-8", 1);
  EXPECT_EQ(LanguageFromEnvironment(), "zh");
  setenv("LC_MESSAGES", "en_US.UTF-8", 1);
  EXPECT_EQ(LanguageFromEnvironment(), "en");
  setenv("LC_ALL", "zh_TW.UTF-8", 1);
  EXPECT_EQ(LanguageFromEnvironment(), "zh");
}

}  // namespace
}  // namespace forklab
