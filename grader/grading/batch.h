// Grading a whole class: every submission in its own `forklab grade` run, results stored as
// they finish, a rerun going on where the last one stopped.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "grading/layout.h"
#include "grading/shard.h"
#include "grading/stored_result.h"
#include "grading/submissions.h"

namespace forklab {

/// What to grade and where the results go. Every grading is `forklab grade --submission`
/// with `grade_options` (limits, --timeout) added, so each submission gets the grade a single
/// `forklab grade` gives it, built in its own build tree, each check in its own sandbox.
struct BatchRequest {
  std::filesystem::path submissions;  // a folder, a Gradescope export or a CSV (submissions.h)
  std::filesystem::path out;
  int jobs = 1;  // submissions graded at once
  Shard shard;
  std::vector<std::string> labs;     // empty: every lab
  std::vector<std::string> checks;   // test-name wildcards; empty: every check
  std::vector<std::string> regrade;  // student ids regraded whatever their stored result
  std::string hidden;                // an instructor's hidden rubrics and suites, or empty
  std::vector<std::string> grade_options;
};

/// Where a batch stands, for a progress display.
struct BatchCounts {
  size_t total = 0;       // submissions of this shard
  size_t done = 0;        // finished, this run or before
  size_t resumed = 0;     // of `done`: nothing to regrade
  size_t graded_now = 0;  // of `done`: graded (or found ungradable) in this run
  std::chrono::duration<double> elapsed{};
};

/// What a caller is told as the batch goes on; any member may be empty. Calls never overlap.
struct BatchProgress {
  std::function<void(const BatchCounts& counts, const std::string& student_id)> started;
  std::function<void(const BatchCounts& counts, const StoredResult& stored)> finished;
};

/// How a batch ended: every submission of the shard, in id order (those an interruption left
/// ungraded have no `result`), and whether it was interrupted.
struct BatchOutcome {
  std::vector<StoredResult> results;
  bool interrupted = false;
};

/// Grades `request`'s shard of the class into `request.out`:
///   submissions/<id>/record.json   the stored result (written atomically after each grading)
///   submissions/<id>/<format file> forklab's JSON and every platform format (platforms.h)
///   submissions/<id>/grade.log     what forklab grade printed
///   submissions/<id>/sources/      each lab's C++ sources, concatenated (for similarity)
///   work/<id>/                     an unpacked archive or copied labs/
///   batch.json                     the class, the shard and its ids (merge reads it)
/// A stored result is kept when the submission, the grader and a check's rubric entry, suite,
/// profile and reference are unchanged; only the checks whose hashes changed are regraded.
/// With `jobs` > 1 the checks that time CPU work (rubric `exclusive`) run afterwards, one
/// submission at a time (SplitTimed), so no other grading shares the cores with them. Throws
/// SubmissionsError, GradeRequestError when the class or the rubrics cannot be read.
BatchOutcome RunBatch(const Layout& layout, const BatchRequest& request,
                      const BatchProgress& progress);

/// The smallest share (percent) of each other's code, beyond the starter code, for which two
/// submissions are listed as similar.
constexpr int kSimilarityThreshold = 80;

/// Writes the class's files into `dir` from `results`: gradebook.csv, gradebook.json, and
/// summary.html with the similar pairs of each lab (compared from `dir`/submissions/<id>/
/// sources/<lab>.cc, the starter code from `layout`'s labs/) and their side-by-side pages.
void WriteClassFiles(const Layout& layout, const std::filesystem::path& dir,
                     const std::vector<StoredResult>& results,
                     int similarity_threshold = kSimilarityThreshold);

/// Merges the outputs of a batch's N shards into `out`: their submission folders, one
/// gradebook and summary of the whole class, and a batch.json of shard 1/1. Throws MergeError
/// (shard.h) when they are not all the shards of one class, each once and finished.
std::vector<StoredResult> MergeShards(const Layout& layout,
                                      const std::vector<std::filesystem::path>& dirs,
                                      const std::filesystem::path& out);

/// Stops a batch: the gradings in progress are interrupted (their finished checks are kept),
/// no new one starts (async-signal-safe: for a SIGINT handler).
void InterruptBatch();

/// The hashes of what a grading reads besides the submission, computed once per batch.
struct GraderHashes {
  std::string grader;                        // forklab, its sandbox, the options given
  std::map<std::string, std::string> check;  // "lab/test" -> its entry, suite, profile, reference
};

/// The checks of one submission to grade, by lab.
using CheckPlan = std::map<std::string, std::vector<std::string>>;

/// The checks of `rubrics` that `stored` lacks, made with other hashes or left inconclusive
/// (the machine was too busy to decide them: a rerun decides them later); every check when
/// there is no stored result, the submission or the grader changed, or `forced`.
CheckPlan PlanRegrade(const std::vector<Rubric>& rubrics, const GraderHashes& hashes,
                      const std::optional<StoredResult>& stored, const std::string& submission_hash,
                      bool forced);

/// Splits `plan` into {the rest, the checks `rubrics` mark `exclusive`}: those time work, so
/// their points depend on the cores being free.
std::pair<CheckPlan, CheckPlan> SplitTimed(const CheckPlan& plan,
                                           const std::vector<Rubric>& rubrics);

/// File name under which `format` (a name of platforms.h) is written in a submission's folder.
std::string FormatFileName(const std::string& format);

}  // namespace forklab
