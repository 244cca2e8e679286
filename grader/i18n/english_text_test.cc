#include "i18n/english_text.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

using Sentences = std::vector<std::string>;

TEST(EnglishSentences, FindsAnUntranslatedSentence) {
  EXPECT_EQ(EnglishSentences("the parent never waited for it"),
            Sentences{"the parent never waited for it"});
  EXPECT_EQ(EnglishSentences("Sleeps never end early."), Sentences{"Sleeps never end early."});
  // A label on a line of its own.
  EXPECT_EQ(EnglishSentences("  hidden check\nexit 3\n--host is honoured\n"),
            (Sentences{"hidden check", "is honoured"}));
  // An untranslated hint, technical tokens and all.
  EXPECT_EQ(EnglishSentences("Call waitpid() for each child before exiting, or it stays a "
                             "zombie (state Z)."),
            Sentences{"Call waitpid() for each child before exiting, or it stays a zombie (state"});
  // An exit status described in English, a signal's name inside it.
  EXPECT_EQ(EnglishSentences("killed by SIGTERM after 2 s"), Sentences{"killed by SIGTERM after"});
  // Hyphenated words and apostrophes are English words too.
  EXPECT_EQ(EnglishSentences("the child's well-formed reply isn't"),
            Sentences{"the child's well-formed reply isn't"});
}

TEST(EnglishSentences, FindsEnglishBetweenChineseSentences) {
  EXPECT_EQ(EnglishSentences("提示：fork() returns -1 and sets errno (EAGAIN when out)"),
            Sentences{"returns -1 and sets errno (EAGAIN when out)"});
  EXPECT_EQ(EnglishSentences("退出状态：killed by a signal，之后 exited with 3"),
            Sentences{"killed by a signal"});
}

TEST(EnglishSentences, LetsTechnicalTokensBe) {
  EXPECT_EQ(EnglishSentences("子进程 4 作为僵尸进程（状态 Z）存在了 1.3 秒：请调用 waitpid()"),
            Sentences{});
  EXPECT_EQ(EnglishSentences("ForkBasics.NoZombieDuringAfterSleep SIGCHLD EAGAIN --max-processes "
                             "/usr/bin/ping fork_basics 127.0.0.1:7000 exit 3"),
            Sentences{});
  EXPECT_EQ(EnglishSentences("依次打印 starting、in child、reaped、done"), Sentences{});
}

TEST(EnglishSentences, DoesNotReadQuotes) {
  EXPECT_EQ(EnglishSentences("应为 'reaped <pid> <status>'，`kill -s TERM its pid` 与 "
                             "\"hello there my friend\"、“in the child now”、「in the child」"),
            Sentences{});
  // An apostrophe opens no quote: the English around it is read.
  EXPECT_EQ(EnglishSentences("it's not what the parent's child said"),
            Sentences{"it's not what the parent's child said"});
}

TEST(EnglishSentences, DoesNotReadTheProgramsOutput) {
  EXPECT_EQ(EnglishSentences("stdout:\n  [0.1 s] in child now\nstderr: fork_basics: not now\n"
                             "退出：exit 0\nbut this one is English"),
            Sentences{"but this one is English"});
  EXPECT_EQ(EnglishSentences("说明：\n```\nmake: *** No rule to make target\n```\nand then more "
                             "English"),
            Sentences{"and then more English"});
}

TEST(HtmlText, ShowsTheTextAndTheLabelsAReaderReads) {
  std::string text = HtmlText(
      "<html><head><style>p{color:red} a b c</style><title>forklab 报告</title></head>"
      "<body><p class=\"x\">the <b>whole</b> sentence here</p><code>for each in list</code>"
      "<svg aria-label=\"process timeline\" role=\"img\"><text>client connections</text></svg>"
      "<p>&lt;pid&gt; &amp; &quot;quoted words here&quot;</p></body></html>");
  EXPECT_EQ(EnglishSentences(text),
            (Sentences{"the whole sentence here", "process timeline", "client connections"}))
      << text;
  EXPECT_NE(text.find("<pid> & \"quoted words here\""), std::string::npos) << text;
  EXPECT_EQ(text.find("color"), std::string::npos) << text;
  EXPECT_EQ(text.find("for each"), std::string::npos) << text;
}

}  // namespace
}  // namespace forklab
