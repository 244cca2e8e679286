#include "labkit/options.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

// argv as Parse() gets it from main: the program name first, then the words.
class Argv {
 public:
  explicit Argv(std::vector<std::string> words) : words_(std::move(words)) {
    words_.insert(words_.begin(), "prog");
    for (std::string& word : words_) pointers_.push_back(word.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(words_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<char*> pointers_;
};

// The options of an echo server and of a ping sweep together: one of each kind.
struct Parsed {
  std::string host = "127.0.0.1";
  uint16_t port = 12345;
  std::string command = "ping -c 2";
  int jobs = 0;
  unsigned workers = 2;
  uint64_t n = 50;
  double seconds = 10;
  std::vector<std::string> targets;
};

void ParseInto(Parsed* parsed, std::vector<std::string> words) {
  labkit::Options options("prog", "A program with every kind of option.");
  options.Ipv4("--host", &parsed->host, "address");
  options.Port("--port", &parsed->port, "port");
  options.Text("--cmd", &parsed->command, "command");
  options.Integer("--jobs", &parsed->jobs, 1, 8, "jobs (default: all)", labkit::Default::kHidden);
  options.Integer("--workers", &parsed->workers, 1, 256, "workers");
  options.Integer("--n", &parsed->n, 1, 4'294'967'295, "n");
  options.Seconds("--sleep", &parsed->seconds, "seconds");
  options.Arguments("targets", &parsed->targets, "targets");
  Argv argv(std::move(words));
  options.Parse(argv.argc(), argv.argv());
}

TEST(Options, DefaultsStayWhenOnlyTheArgumentsAreGiven) {
  Parsed parsed;
  ParseInto(&parsed, {"a"});
  EXPECT_EQ(parsed.host, "127.0.0.1");
  EXPECT_EQ(parsed.port, 12345);
  EXPECT_EQ(parsed.command, "ping -c 2");
  EXPECT_EQ(parsed.jobs, 0);
  EXPECT_EQ(parsed.workers, 2u);
  EXPECT_EQ(parsed.n, 50u);
  EXPECT_EQ(parsed.seconds, 10);
  EXPECT_EQ(parsed.targets, std::vector<std::string>{"a"});
}

TEST(Options, EveryKindIsParsedIntoItsVariable) {
  Parsed parsed;
  ParseInto(&parsed, {"--host", "10.0.0.1", "--port", "0", "--cmd", "fping -q", "--jobs=8",
                      "--workers", "256", "--n", "4294967295", "--sleep", "0.25", "a", "b"});
  EXPECT_EQ(parsed.host, "10.0.0.1");
  EXPECT_EQ(parsed.port, 0);
  EXPECT_EQ(parsed.command, "fping -q");
  EXPECT_EQ(parsed.jobs, 8);
  EXPECT_EQ(parsed.workers, 256u);
  EXPECT_EQ(parsed.n, 4'294'967'295u);
  EXPECT_EQ(parsed.seconds, 0.25);
  EXPECT_EQ((parsed.targets), (std::vector<std::string>{"a", "b"}));
}

// The labs' contract for a bad command line: exit 2 with the usage on stderr. (A death test
// sees only stderr; the suites check that stdout stays empty.)
void ExpectUsageError(std::vector<std::string> words) {
  EXPECT_EXIT(
      {
        Parsed parsed;
        ParseInto(&parsed, words);
      },
      testing::ExitedWithCode(2), "Usage:")
      << testing::PrintToString(words);
}

TEST(Options, BadCommandLinesExitTwoWithTheUsage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ExpectUsageError({});                            // the arguments are required
  ExpectUsageError({"--bogus", "a"});              // unknown option
  ExpectUsageError({"a", "--port"});               // missing value
  ExpectUsageError({"--host", "localhost", "a"});  // not an IPv4 address
  ExpectUsageError({"--port", "65536", "a"});
  ExpectUsageError({"--port", "-1", "a"});
  ExpectUsageError({"--jobs", "0", "a"});  // the hidden default is not a valid value
  ExpectUsageError({"--jobs", "9", "a"});
  ExpectUsageError({"--workers", "257", "a"});
  ExpectUsageError({"--n", "0", "a"});
  ExpectUsageError({"--n", "4294967296", "a"});
  ExpectUsageError({"--sleep", "-1", "a"});
  ExpectUsageError({"--sleep", "nan", "a"});
  ExpectUsageError({"--sleep", "1e10", "a"});
  ExpectUsageError({"--sleep", "1s", "a"});
}

TEST(Options, HelpExitsZero) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Parsed parsed;
        ParseInto(&parsed, {"--help"});
      },
      testing::ExitedWithCode(0), "");
}

TEST(Options, TheUsageShowsDefaultsAndRangesButNoHiddenDefault) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // Through stderr, where a death test can read it.
  EXPECT_EXIT(
      {
        Parsed parsed;
        ParseInto(&parsed, {});
      },
      testing::ExitedWithCode(2),
      "prog: targets is required.*"
      "--port UINT:INT in \\[0 - 65535\\]=12345.*"
      "--jobs INT:INT in \\[1 - 8\\] +jobs \\(default: all\\).*"
      "--n UINT:UINT in \\[1 - 4294967295\\]=50.*"
      "--sleep FLOAT:SEC=10 ");
}

}  // namespace
