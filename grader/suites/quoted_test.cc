#include "suites/quoted.h"

#include <gtest/gtest.h>

#include <string>

namespace forklab {
namespace {

TEST(Quoted, KeepsUtf8AsItIs) {
  EXPECT_EQ(Quoted("你好，世界 ✓ 😀 héllo"), "\"你好，世界 ✓ 😀 héllo\"");
}

TEST(Quoted, EscapesControlBytesAndBytesThatAreNotUtf8) {
  EXPECT_EQ(Quoted("a\n\r\t\x01\x7f"), R"("a\n\r\t\x01\x7f")");
  // A stray continuation byte, a cut-short sequence, an overlong encoding of '/'.
  EXPECT_EQ(Quoted("\x80 \xe4\xbd \xc0\xaf"), R"("\x80 \xe4\xbd \xc0\xaf")");
}

TEST(Quoted, CutsAtACharacterAndSaysTheSize) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "你";  // 3 bytes each
  // 60 bytes are 20 characters: the cut falls between two.
  std::string shown;
  for (int i = 0; i < 20; ++i) shown += "你";
  EXPECT_EQ(Quoted(text), "\"" + shown + "\"... (90 bytes)");
  EXPECT_EQ(Quoted("ab" + text, 4), "\"ab你\"... (92 bytes)");
}

TEST(QuotedStderr, ShowsTheEndWhereTheCauseIs) {
  EXPECT_EQ(QuotedStderr(""), "nothing on stderr");
  EXPECT_EQ(QuotedStderr("accept: Interrupted system call\n"),
            R"(stderr: "accept: Interrupted system call\n")");
  std::string err = std::string(1000, '.') + "accept: Interrupted system call\n";
  std::string quoted = QuotedStderr(err);
  EXPECT_EQ(quoted.rfind("stderr (its last 600 of 1032 bytes): \"", 0), 0u) << quoted;
  EXPECT_NE(quoted.find(R"(accept: Interrupted system call\n")"), std::string::npos) << quoted;
}

}  // namespace
}  // namespace forklab
