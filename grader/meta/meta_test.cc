// Meta-tests: proof that the grader grades right. The references score 100%, the stubs 0
// without hanging, every mutant fails exactly the checks it declares, every alternative
// (correct, but written differently) scores 100%, and the CLI honours its own contract. A
// mutant's and a stub's report is read as a student reads it: the words a mutant declares
// (`says` somewhere, `each_says` in each check it fails), no GoogleTest wording, no garbled
// UTF-8.
#include <fnmatch.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "grading/labs.h"
#include "grading/rubric.h"
#include "harness/subprocess.h"
#include "meta/forklab_run.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

// Which checks passed, which did not, and which the machine could not decide (skipped, or
// inconclusive: a timing check on a machine too busy to measure it).
struct Verdicts {
  std::set<std::string> passed, not_passed, skipped;
};

Verdicts VerdictsOf(const nlohmann::json& result) {
  Verdicts verdicts;
  for (const auto& lab : result["labs"])
    for (const auto& check : lab["checks"]) {
      std::string name = check.value("test", "?");
      // Partial credit (a speedup short of the reference's) does not count as passing.
      if (check["outcome"] == "passed" && check["earned"] == check["points"])
        verdicts.passed.insert(name);
      else if (check["outcome"] == "skipped" || check["outcome"] == "inconclusive")
        verdicts.skipped.insert(name);
      else
        verdicts.not_passed.insert(name);
    }
  return verdicts;
}

// Every check of `grading` earned its points, but those the machine left inconclusive after
// the regrades (GradeDecided), which are listed for the skip.
void ExpectFullMarksOrUndecided(const Grading& grading) {
  std::string undecided, failures;
  for (const auto& lab : grading.result["labs"])
    for (const auto& check : lab["checks"]) {
      std::string line = "  " + check.value("test", "?") + " [" +
                         check["outcome"].get<std::string>() + "]: " + check.value("detail", "") +
                         "\n";
      if (check["outcome"] == "inconclusive")
        undecided += line;
      else if (check["outcome"] != "skipped" && check["earned"] != check["points"])
        failures += line;
    }
  EXPECT_EQ(failures, "") << "checks short of full marks";
  if (!undecided.empty()) GTEST_SKIP() << "the machine was too busy to decide:\n" << undecided;
}

// A check's failure as a student reads it: its outcome, detail and hint.
std::string FailureText(const nlohmann::json& check) {
  return "  " + check.value("test", "?") + " [" + check["outcome"].get<std::string>() +
         "]: " + check.value("detail", "") + "\n  hint: " + check.value("hint", "") + "\n";
}

std::string Failures(const nlohmann::json& result) {
  std::string text;
  for (const auto& lab : result["labs"])
    for (const auto& check : lab["checks"])
      if (check["outcome"] != "passed" || check["earned"] != check["points"])
        text += FailureText(check);
  return text;
}

// Where a report shows GoogleTest's own wording, or UTF-8 garbled (replaced, or escaped byte
// by byte as "\xE4\xBD\xA0"), instead of text written for students; empty when it has none.
// A bare assertion put in plain words ("client was false, expected true") names a variable of
// the suite's, not a cause: it counts as GoogleTest's wording too.
std::string UnreadableParts(const nlohmann::json& result) {
  static const std::regex gtest_wording(
      R"(Value of:|Actual:|Expected equality of these values|Which is:|)"
      R"((was|is) (false|true), expected (true|false))");
  static const std::regex escaped_utf8(R"((\\x[89a-fA-F][0-9a-fA-F]){2,})");
  std::string found;
  for (const auto& lab : result["labs"])
    for (const auto& check : lab["checks"])
      for (const char* field : {"title", "detail", "hint"}) {
        std::string text = check.value(field, "");
        if (std::regex_search(text, gtest_wording) || std::regex_search(text, escaped_utf8) ||
            text.find("\xEF\xBF\xBD") != std::string::npos)
          found += "  " + check.value("test", "?") + " " + field + ": " + text + "\n";
      }
  return found;
}

// `check` concluded by its deadline (its rubric's `deadline`) plus a few seconds: the suite's
// own margin for a busy machine (5 s at most), then starting the sandbox, diagnosing, killing
// and reaping (up to 5 s more at a load of 18 on two cores). It stopped waiting once the
// deadline had passed.
void ExpectWithinDeadline(const nlohmann::json& check) {
  constexpr double kDiagnosisSeconds = 10;
  std::string name = check.value("test", "?");
  if (!check.contains("deadline")) {
    ADD_FAILURE() << "the rubric declares no deadline for " << name;
    return;
  }
  EXPECT_LE(check["seconds"].get<double>(), check["deadline"].get<double>() + kDiagnosisSeconds)
      << name << " waited past its contract's deadline of " << check["deadline"] << " s";
}

/// A fixture program of fixtures/<kind>/<name> and its manifest.
struct FixtureProgram {
  std::string name;
  std::string lab;
  std::set<std::string> fails;         // mutants: the checks it must fail
  std::set<std::string> may_fail;      // mutants: checks (or wildcards) its bug fails only at times
  std::set<std::string> says;          // mutants: words the report of its failures must use
  std::set<std::string> each_says;     // mutants: words each of its declared failures must use
  std::set<std::string> each_says_in;  // mutants: ...each of these, when given (not all fails)
  std::vector<std::string> checks;     // mutants: grade only these (empty: the whole lab)
  bool within_deadlines = false;       // mutants: each check ends by its rubric deadline + slack
  bool diagnosed = false;              // mutants: no check times out, each says what it saw
  std::string cause;  // mutants: the one check naming the cause; the others "not measured"
};

std::vector<FixtureProgram> FixturePrograms(const std::string& kind, const std::string& manifest) {
  std::vector<FixtureProgram> programs;
  for (const auto& [name, table] : FixtureManifests(kind, manifest)) {
    FixtureProgram program;
    program.name = name;
    program.lab = table["lab"].value_or(std::string());
    ManifestStrings(table, "fails", std::inserter(program.fails, program.fails.end()));
    ManifestStrings(table, "may_fail", std::inserter(program.may_fail, program.may_fail.end()));
    ManifestStrings(table, "says", std::inserter(program.says, program.says.end()));
    ManifestStrings(table, "each_says", std::inserter(program.each_says, program.each_says.end()));
    ManifestStrings(table, "each_says_in",
                    std::inserter(program.each_says_in, program.each_says_in.end()));
    ManifestStrings(table, "checks", std::back_inserter(program.checks));
    program.within_deadlines = table["within_deadlines"].value_or(false);
    program.diagnosed = table["diagnosed"].value_or(false);
    program.cause = table["cause"].value_or(std::string());
    programs.push_back(std::move(program));
  }
  return programs;
}

std::string LabName(const testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// The checks of `lab` that `wanted` accepts (every check by default), from its rubric, in
// report order.
std::vector<std::string> ChecksOf(
    const std::string& lab, const std::function<bool(const RubricEntry&)>& wanted =
                                [](const RubricEntry&) { return true; }) {
  std::vector<std::string> checks;
  for (const RubricEntry& entry : LoadRubric(kSource / "labs" / lab / "rubric.toml", "").entries)
    if (wanted(entry)) checks.push_back(entry.test);
  return checks;
}

// Whether `check` times CPU work (FORKLAB_TIMED_CHECKS, the suites' SERIAL filters): a grading
// that runs it must have the machine to itself (ctest RUN_SERIAL).
bool IsTimed(const std::string& check) {
  std::stringstream patterns(FORKLAB_TIMED_CHECKS);
  for (std::string pattern; std::getline(patterns, pattern, ':');)
    if (fnmatch(pattern.c_str(), check.c_str(), 0) == 0) return true;
  return false;
}

/// One meta-test's grading: a program and the checks of its lab it is graded on. A lab with
/// timed checks is graded in two: its timed checks (a test that runs alone) and the others
/// (a test that runs beside other tests), so only what measures time waits for a quiet machine.
struct Graded {
  FixtureProgram program;           // a reference or stub: only its name and lab
  std::vector<std::string> checks;  // --check filters (empty: every check of the lab)
  bool timed = false;               // checks has timed checks: ctest runs it alone
  bool split = false;               // the program's other checks are another test's
};

// Test output names the program instead of dumping its bytes.
void PrintTo(const Graded& graded, std::ostream* out) {
  *out << graded.program.name << (graded.timed ? " (timed checks)" : "");
}

std::string ProgramName(const testing::TestParamInfo<Graded>& info) {
  return info.param.program.name;
}

// Whether `program` is a mutant whose bug may show in a timed check (one it fails or may fail).
bool TimingIsItsBug(const FixtureProgram& program) {
  for (const std::string& check : ChecksOf(program.lab)) {
    if (!IsTimed(check)) continue;
    if (program.fails.count(check)) return true;
    for (const std::string& pattern : program.may_fail)
      if (fnmatch(pattern.c_str(), check.c_str(), 0) == 0) return true;
  }
  return false;
}

// The gradings of `programs` that run timed checks (`timed`), or those that run none. A
// program is graded on `checks` when its manifest names them, else on its whole lab. A mutant
// whose report is read as a whole (`says`, `cause`) is not split. A mutant whose bug is not in
// its timing skips the timed checks: they would time what the reference's and the
// alternatives' timed gradings time, in a test that has the machine to itself.
std::vector<Graded> Gradings(const std::vector<FixtureProgram>& programs, bool timed) {
  std::vector<Graded> gradings;
  for (const FixtureProgram& program : programs) {
    std::vector<std::string> checks =
        program.checks.empty() ? ChecksOf(program.lab) : program.checks;
    std::vector<std::string> graded_on = program.checks;  // empty: the whole lab
    if (!program.fails.empty() && !TimingIsItsBug(program) && std::erase_if(checks, IsTimed) > 0)
      graded_on = checks;
    Graded timed_part{program, {}, true, true}, other_part{program, {}, false, true};
    for (const std::string& check : checks)
      (IsTimed(check) ? timed_part : other_part).checks.push_back(check);
    if (timed_part.checks.empty() || other_part.checks.empty() || !program.says.empty() ||
        !program.cause.empty()) {
      if (timed == !timed_part.checks.empty())
        gradings.push_back({program, graded_on, timed, /*split=*/false});
      continue;
    }
    gradings.push_back(timed ? timed_part : other_part);
  }
  return gradings;
}

std::vector<FixtureProgram> References() {
  std::vector<FixtureProgram> references;
  for (const std::string& lab : Labs()) {
    FixtureProgram reference;
    reference.name = reference.lab = lab;
    references.push_back(std::move(reference));
  }
  return references;
}

std::vector<std::string> CheckOptions(const std::vector<std::string>& checks) {
  std::vector<std::string> options;
  for (const std::string& check : checks) options.insert(options.end(), {"--check", check});
  return options;
}

class ReferenceScoresFull : public testing::TestWithParam<Graded> {};

TEST_P(ReferenceScoresFull, EveryCheckPasses) {
  std::vector<std::string> args = {"grade", "--impl", "reference", "--lab", GetParam().program.lab};
  for (const std::string& option : CheckOptions(GetParam().checks)) args.push_back(option);
  Grading grading = GradeDecided(args);
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  ExpectFullMarksOrUndecided(grading);
}

INSTANTIATE_TEST_SUITE_P(Labs, ReferenceScoresFull,
                         testing::ValuesIn(Gradings(References(), /*timed=*/false)), ProgramName);
INSTANTIATE_TEST_SUITE_P(Timed, ReferenceScoresFull,
                         testing::ValuesIn(Gradings(References(), /*timed=*/true)), ProgramName);

class StubScoresZero : public testing::TestWithParam<std::string> {};

TEST_P(StubScoresZero, EveryCheckFailsWithoutHanging) {
  Grading grading =
      Forklab({"grade", "--lab", GetParam(), "--exe", (kBuild / "labs" / GetParam()).string()});
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  EXPECT_EQ(grading.result["earned"], 0.0) << grading.run.out;
  for (const auto& check : grading.result["labs"][0]["checks"])
    EXPECT_NE(check["outcome"], "timed out") << check.dump();
  // Checks that failed at once waited for nothing: the floor is no more than the time taken.
  EXPECT_LE(grading.result["floor_seconds"].get<double>(), grading.result["seconds"].get<double>())
      << grading.run.out;
  EXPECT_EQ(UnreadableParts(grading.result), "")
      << "a report shows GoogleTest's wording or garbled UTF-8";
}

INSTANTIATE_TEST_SUITE_P(Labs, StubScoresZero, testing::ValuesIn(Labs()), LabName);

class Mutant : public testing::TestWithParam<Graded> {};

TEST_P(Mutant, FailsExactlyItsDeclaredChecks) {
  const FixtureProgram& mutant = GetParam().program;
  ASSERT_FALSE(mutant.fails.empty()) << mutant.name << ": mutant.toml declares no 'fails'";
  // Four checks at once: a mutant's failing checks mostly wait out their limits (a serial
  // sweep, a client that is never answered) and use little CPU meanwhile.
  std::vector<std::string> args = {"grade",
                                   "--lab",
                                   mutant.lab,
                                   "--exe",
                                   (kBuild / "fixtures" / "mutants" / mutant.name).string(),
                                   "--jobs",
                                   "4"};
  for (const std::string& option : CheckOptions(GetParam().checks)) args.push_back(option);
  Grading grading = Forklab(args);
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  if (mutant.within_deadlines) {
    for (const auto& check : grading.result["labs"][0]["checks"]) ExpectWithinDeadline(check);
  }
  for (const auto& check : grading.result["labs"][0]["checks"]) {
    if (!mutant.cause.empty() && check["outcome"] != "passed" && check["test"] != mutant.cause) {
      EXPECT_EQ(check.value("not_measured_because", ""), mutant.cause)
          << "only " << mutant.cause << " may name the cause: " << check.dump();
    }
    if (mutant.diagnosed) {
      EXPECT_NE(check["outcome"], "timed out") << check.dump();
    }
  }
  // Every declared check fails (or could not be measured here), and no other check fails.
  Verdicts verdicts = VerdictsOf(grading.result);
  std::vector<std::string> lab_checks = ChecksOf(mutant.lab);
  std::set<std::string> declared_here;  // the declared checks this grading ran
  for (const std::string& check : mutant.fails) {
    EXPECT_NE(std::find(lab_checks.begin(), lab_checks.end(), check), lab_checks.end())
        << check << " is declared but is not a check of " << mutant.lab;
    if (verdicts.passed.count(check) || verdicts.not_passed.count(check) ||
        verdicts.skipped.count(check))
      declared_here.insert(check);
  }
  for (const std::string& check : declared_here)
    EXPECT_FALSE(verdicts.passed.count(check)) << check << " passed: the grader missed the bug";
  auto may_fail = [&](const std::string& check) {
    return std::any_of(mutant.may_fail.begin(), mutant.may_fail.end(), [&](const std::string& p) {
      return fnmatch(p.c_str(), check.c_str(), 0) == 0;
    });
  };
  for (const std::string& check : verdicts.not_passed)
    EXPECT_TRUE(mutant.fails.count(check) || may_fail(check))
        << check << " failed, but the mutant does not declare it\n"
        << Failures(grading.result);
  bool proven =
      std::any_of(declared_here.begin(), declared_here.end(),
                  [&](const std::string& check) { return verdicts.not_passed.count(check); });
  // A split grading proves only its share: the other share's test may prove the rest.
  if (!proven && GetParam().split) {
    if (!declared_here.empty())
      GTEST_SKIP() << "every declared check of this share was skipped; the other share's test "
                      "must prove the bug";
  } else {
    EXPECT_TRUE(proven) << "every declared check was skipped: nothing was proven";
  }
  std::string report = Failures(grading.result);
  for (const std::string& words : mutant.says)
    EXPECT_NE(report.find(words), std::string::npos)
        << "the report does not say '" << words << "':\n"
        << report;
  // The same cause gets the same words in every check it fails, not only in one of them.
  for (const auto& check : grading.result["labs"][0]["checks"]) {
    const std::set<std::string>& saying =
        mutant.each_says_in.empty() ? mutant.fails : mutant.each_says_in;
    if (!saying.count(check.value("test", "")) || check["outcome"] == "passed" ||
        check["outcome"] == "skipped" || check["outcome"] == "inconclusive")
      continue;
    for (const std::string& words : mutant.each_says)
      EXPECT_NE(FailureText(check).find(words), std::string::npos)
          << check.value("test", "?") << " does not say '" << words << "':\n"
          << FailureText(check);
  }
  EXPECT_EQ(UnreadableParts(grading.result), "")
      << "a report shows GoogleTest's wording or garbled UTF-8";
}

INSTANTIATE_TEST_SUITE_P(Corpus, Mutant,
                         testing::ValuesIn(Gradings(FixturePrograms("mutants", "mutant.toml"),
                                                    /*timed=*/false)),
                         ProgramName);
INSTANTIATE_TEST_SUITE_P(Timed, Mutant,
                         testing::ValuesIn(Gradings(FixturePrograms("mutants", "mutant.toml"),
                                                    /*timed=*/true)),
                         ProgramName);

// A program that prints nothing, ignores SIGTERM and never exits, graded lab by lab: each
// check concludes by its contract's own deadline (the rubric's `deadline`) plus a few seconds
// to start, diagnose, kill and reap, with what it saw; none passes on a program that did
// nothing, none waits for the sandbox's timeout. Its checks mostly wait, so many run at once.
class Unresponsive : public testing::TestWithParam<std::string> {};

// A lab that shares its suite and rubric with one graded in full here is graded on the checks
// of its own only (the shared ones run the same code on the same program): CI stays short.
const std::map<std::string, std::vector<std::string>> kOwnChecks = {
    {"thread_echo_server", {"ThreadEchoServer.*"}},
    {"thread_ping", {"Ping.ThreadVariant*", "Ping.Fork*"}},
    {"thread_ping_functor", {"Ping.ThreadVariantRunsNoChildButPingCommands"}},
    {"thread_sum", {"Sum.NoChildProcesses", "Sum.WorkerStartFailureIsReported"}},
};

TEST_P(Unresponsive, EveryCheckConcludesByItsDeadline) {
  // Its checks only wait, so all of them at once.
  std::vector<std::string> args = {"grade",
                                   "--lab",
                                   GetParam(),
                                   "--exe",
                                   (kBuild / "fixtures" / "unresponsive" / "never_exits").string(),
                                   "--jobs",
                                   "32"};
  if (auto own = kOwnChecks.find(GetParam()); own != kOwnChecks.end())
    for (const std::string& check : own->second) args.insert(args.end(), {"--check", check});
  Grading grading = Forklab(args);
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  for (const auto& check : grading.result["labs"][0]["checks"]) {
    EXPECT_NE(check["outcome"], "timed out") << FailureText(check);
    EXPECT_NE(check["outcome"], "passed")
        << check.value("test", "?") << " passed on a program that did nothing";
    ExpectWithinDeadline(check);
  }
  EXPECT_EQ(UnreadableParts(grading.result), "")
      << "a report shows GoogleTest's wording or garbled UTF-8";
}

INSTANTIATE_TEST_SUITE_P(Labs, Unresponsive,
                         testing::Values("fork_basics", "fork_echo_server", "thread_echo_server",
                                         "fork_ping", "thread_ping", "thread_ping_functor",
                                         "fork_sum", "thread_sum"),
                         LabName);

class Alternative : public testing::TestWithParam<Graded> {};

TEST_P(Alternative, ScoresFull) {
  const FixtureProgram& alternative = GetParam().program;
  std::vector<std::string> args = {
      "grade", "--lab", alternative.lab, "--exe",
      (kBuild / "fixtures" / "alternatives" / alternative.name).string()};
  for (const std::string& option : CheckOptions(GetParam().checks)) args.push_back(option);
  Grading grading = GradeDecided(args);
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  ExpectFullMarksOrUndecided(grading);
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, Alternative,
    testing::ValuesIn(Gradings(FixturePrograms("alternatives", "alternative.toml"), false)),
    ProgramName);
INSTANTIATE_TEST_SUITE_P(
    Timed, Alternative,
    testing::ValuesIn(Gradings(FixturePrograms("alternatives", "alternative.toml"), true)),
    ProgramName);

// Fault checks use fixed seeds: grading them again gives the same outcomes, check by check.
// Only the fault checks are graded (the other checks of a reference are ReferenceScoresFull's).
class FaultChecksRepeat : public testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(FaultChecksRepeat, SameOutcomesEveryRun) {
  auto [lab, exe] = GetParam();
  std::vector<std::string> args = {"grade", "--lab", lab, "--exe", (kBuild / exe).string()};
  std::vector<std::string> fault_checks =
      ChecksOf(lab, [](const RubricEntry& entry) { return !entry.profile.empty(); });
  ASSERT_FALSE(fault_checks.empty()) << lab << " has no fault checks";
  for (const std::string& check : fault_checks) args.insert(args.end(), {"--check", check});
  Grading first = Forklab(args);
  ASSERT_TRUE(first.run.status && first.run.status->ExitedWith(0)) << first.run.err;
  std::map<std::string, std::string> outcomes;
  for (const auto& check : first.result["labs"][0]["checks"])
    outcomes[check["test"]] = check["outcome"];
  ASSERT_EQ(outcomes.size(), fault_checks.size()) << Failures(first.result);
  for (int run = 0; run < 2; ++run) {
    Grading again = Forklab(args);
    ASSERT_TRUE(again.run.status && again.run.status->ExitedWith(0)) << again.run.err;
    std::map<std::string, std::string> repeated;
    for (const auto& check : again.result["labs"][0]["checks"])
      repeated[check["test"]] = check["outcome"];
    EXPECT_EQ(repeated, outcomes) << "run " << run + 2 << " differs: " << Failures(again.result);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultChecksRepeat,
    testing::Values(
        std::pair{"fork_ping", "reference/fork_ping"},
        std::pair{"thread_ping", "reference/thread_ping"},
        std::pair{"fork_ping", "fixtures/mutants/fork_ping_stops_at_first_fork_failure"},
        std::pair{"thread_echo_server", "reference/thread_echo_server"},
        std::pair{"thread_echo_server", "fixtures/mutants/thread_echo_lets_bad_alloc_escape"},
        std::pair{"fork_echo_server", "fixtures/mutants/fork_echo_child_lets_bad_alloc_escape"}),
    [](const auto& info) {
      return info.param.first + "_" + std::filesystem::path(info.param.second).filename().string();
    });

// This checkout's labs/ are the handout's stubs: each is known by its rubric's `stub` hash,
// so its checks fail at once, unrun, and say why.
TEST(Cli, GradesTheCheckoutsLabsByDefault) {
  Grading grading = Forklab({"grade", "--lab", "fork_basics"});
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  EXPECT_EQ(grading.result["implementation"], "student labs/");
  EXPECT_EQ(grading.result["labs"][0]["built"], true);
  EXPECT_EQ(grading.result["earned"], 0.0);
  ASSERT_FALSE(grading.result["labs"][0]["checks"].empty()) << grading.run.out;
  for (const auto& check : grading.result["labs"][0]["checks"])
    EXPECT_NE(check.value("detail", "")
                  .find("not run: labs/fork_basics/main.cc is the handout's "
                        "stub, unchanged"),
              std::string::npos)
        << FailureText(check);
  EXPECT_NE(grading.run.out.find("not started: labs/fork_basics/main.cc"), std::string::npos)
      << grading.run.out;
}

// A stub changed by one byte is a student's work: built and run like any other.
TEST(Cli, AnEditedStubIsBuiltAndRun) {
  fs::path submission =
      fs::temp_directory_path() / ("forklab-meta-edited-stub-" + std::to_string(getpid()));
  fs::remove_all(submission);
  fs::create_directories(submission);
  fs::copy(kSource / "labs", submission / "labs", fs::copy_options::recursive);
  std::ofstream(submission / "labs" / "fork_basics" / "main.cc", std::ios::app) << "\n";
  Grading grading = Forklab({"grade", "--submission", submission.string(), "--lab", "fork_basics",
                             "--check", "ForkBasics.ExitsZero"});
  fs::remove_all(submission);
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  ASSERT_EQ(grading.result["labs"][0]["checks"].size(), 1u) << grading.run.out;
  const auto& check = grading.result["labs"][0]["checks"][0];
  EXPECT_EQ(check.value("detail", "").find("not run:"), std::string::npos) << FailureText(check);
  // What the program itself printed, seen by the check that ran it.
  EXPECT_NE(check.value("detail", "").find("fork_basics: not implemented"), std::string::npos)
      << FailureText(check);
}

// Two claims on one submission, so CI builds one submission's lab kit, not two; each failure
// names its claim. SubmissionBuildsInsideTheSandbox: a submission's CMake code runs at
// configure time and may write only its build tree, and a lab still builds there.
// CompileErrorCostsOnlyThatLab: a lab that does not compile costs its own checks alone.
TEST(Cli, SubmissionBuildsInsideTheSandboxAndCompileErrorCostsOnlyThatLab) {
  const std::string kInSandbox = "SubmissionBuildsInsideTheSandbox: ";
  const std::string kOnlyThatLab = "CompileErrorCostsOnlyThatLab: ";
  fs::path submission =
      fs::temp_directory_path() / ("forklab-meta-submission-" + std::to_string(getpid()));
  fs::path beside_build = kBuild / "submissions" / ("escaped-" + std::to_string(getpid()));
  fs::path in_submission = submission / "escaped";
  fs::remove_all(submission);
  fs::create_directories(submission);
  fs::copy(kSource / "labs", submission / "labs", fs::copy_options::recursive);
  std::ofstream(submission / "labs" / "CMakeLists.txt", std::ios::app)
      << "execute_process(COMMAND sh -c \"echo x > " << beside_build.string() << "; echo x > "
      << in_submission.string() << "\")\n";
  std::ofstream(submission / "labs" / "fork_basics" / "main.cc", std::ios::app)
      << "\nint broken = ;\n";
  Grading grading = Forklab(
      {"grade", "--submission", submission.string(), "--lab", "fork_basics", "--lab", "fork_sum"});
  bool escaped = fs::exists(beside_build) || fs::exists(in_submission);
  fs::remove_all(submission);
  fs::remove(beside_build);
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  EXPECT_FALSE(escaped) << kInSandbox
                        << "the submission's CMakeLists.txt wrote outside its build tree";
  const auto& labs = grading.result["labs"];
  ASSERT_EQ(labs.size(), 2u) << kOnlyThatLab << grading.result.dump();
  EXPECT_EQ(labs[1]["built"], true) << kInSandbox << kOnlyThatLab << labs[1].dump();
  EXPECT_EQ(labs[0]["built"], false) << kOnlyThatLab << labs[0].dump();
  EXPECT_NE(labs[0].value("build_log", "").find("error"), std::string::npos)
      << kOnlyThatLab << labs[0].dump();
  EXPECT_EQ(labs[0]["checks"][0]["outcome"], "did not build") << kOnlyThatLab << labs[0].dump();
  // Graded: the stub fails its checks.
  EXPECT_EQ(labs[1]["checks"][0]["outcome"], "failed") << kOnlyThatLab << labs[1].dump();
}

TEST(Cli, FailUnderMakesALowScoreFail) {
  std::string stub = (kBuild / "labs" / "fork_basics").string();
  Grading grading = Forklab({"grade", "--lab", "fork_basics", "--exe", stub, "--fail-under", "50"});
  ASSERT_TRUE(grading.run.status);
  EXPECT_TRUE(grading.run.status->ExitedWith(1)) << grading.run.status->Describe();
  EXPECT_NE(grading.run.err.find("under --fail-under 50"), std::string::npos) << grading.run.err;
}

TEST(Cli, UsageErrorsExit2WithOneLine) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"grade", "--bogus"},
        {"grade", "--lab", "nope"},
        {"grade", "--exe", "/bin/true"},
        {"grade", "--format", "xml"},
        {"grade", "--fail-under", "101"},
        {"grade", "--exe", "fork_basics=/no/such/file"},
        {"grade", "--lab", "fork_sum", "--exe", "thread_sum=/bin/true"},
        {"grade", "--timeout", "0"},
        {"grade", "--max-processes", "5"},
        {}}) {
    Grading grading = Forklab(args, /*json=*/false);
    ASSERT_TRUE(grading.run.status);
    EXPECT_TRUE(grading.run.status->ExitedWith(2)) << grading.run.status->Describe();
    ASSERT_FALSE(grading.run.err.empty());
    EXPECT_EQ(grading.run.err.rfind("forklab: ", 0), 0u) << grading.run.err;
  }
}

TEST(Cli, ListShowsEveryLabWithItsPoints) {
  Grading grading = Forklab({"list"}, /*json=*/false);
  ASSERT_TRUE(grading.run.status && grading.run.status->ExitedWith(0)) << grading.run.err;
  for (const std::string& lab : Labs())
    EXPECT_NE(grading.run.out.find(lab + " ("), std::string::npos) << lab;
  EXPECT_NE(grading.run.out.find("total "), std::string::npos);
}

}  // namespace
}  // namespace forklab
