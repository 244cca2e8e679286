// Rubrics: the declarative points table of a lab, read from TOML.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace forklab {

/// One graded check: a GoogleTest test of a suite, with its points and how it is shown.
/// A hidden check is run and scored, but the student report withholds its details.
struct RubricEntry {
  std::string test;   // "Suite.Name" as GoogleTest names it
  std::string title;  // what the student reads
  double points = 0;
  bool hidden = false;
  std::string hint;  // the lesson behind the check, shown when it fails
  std::chrono::seconds timeout{60};
  std::filesystem::path suite;  // the suite executable that holds the test
  std::string profile;          // a fault check's profile: a name, resolved to its file
  bool exclusive = false;       // it measures time: runs with no other check beside it
  // Hints for causes the check tells apart, by key (`hints = { stale = "..." }`); the check
  // picks one by what it observed, and `hint` stays the default.
  std::map<std::string, std::string> hints{};
  // The check's deadline: the longest it waits on a program that never answers (the
  // contract's startup, reply, sleep and sweep times, and its own margin) before it concludes
  // with what it saw. Below `timeout`; 0 when not declared. Last, so that brace-initialised
  // entries need not name it.
  std::chrono::seconds deadline{0};

  /// The hint for what the check observed: hints[key], else the default `hint`.
  const std::string& HintFor(const std::string& key) const;
};

/// A lab's rubric: the checks that earn its points, in report order, and options the lab
/// accepts that reach nothing beyond loopback (the stub test runs the student stub with them).
struct Rubric {
  std::string lab;
  std::vector<RubricEntry> entries;
  std::vector<std::string> sample_args;
  // A fault check its injection cannot reach (a static binary, another language's runtime)
  // is skipped rather than failed: an instructor's choice, as --skip-unreachable-faults.
  bool skip_unreachable_faults = false;
  // ContentHash of labs/<lab>/main.cc as handed out (empty: not known). A submission whose
  // main.cc still hashes to it is not started: its checks fail without being run.
  std::string stub{};

  double total() const;
};

/// A rubric that cannot be used; what() is one line naming the file and the reason.
struct RubricError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Reads a rubric file:
///   lab = "fork_basics"
///   suite = "fork_basics_suite"      # resolved against `suite_dir`
///   include = ["../common/rubrics/ping.toml"]   # optional: [[test]] lists shared by labs
///   sample_args = ["--child-sleep", "0"]         # optional: valid options, loopback only
///   unreachable_faults = "skip"      # optional: "fail" (the default) or "skip"
///   stub = "0123456789abcdef"        # optional: ContentHash of the handed-out main.cc
///   [[test]]
///   name = "ForkBasics.LinesInOrder"
///   title = "..."; points = 2; hidden = false; timeout = 60; hint = "..."
///   deadline = 20                    # optional: the contract's deadline (a top-level
///                                    # `deadline` is the default of the file's entries)
///   hints = { stale = "...", utc = "..." }   # optional: hints the check picks by cause
///   profile = "fork-eagain"          # fault checks: the fault profile to run under
///   exclusive = true                 # timing checks: nothing else runs beside it
/// `hidden` forces every entry hidden (an instructor's hidden-tests directory).
Rubric LoadRubric(const std::filesystem::path& path, const std::filesystem::path& suite_dir,
                  bool hidden = false);

/// Appends the entries of `extra` (same lab) to `rubric`, and its choice to skip unreachable
/// fault checks; the same test of the same suite listed twice is an error.
void MergeRubric(Rubric* rubric, const Rubric& extra);

}  // namespace forklab
