#include "grading/batch.h"

#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "grading/content_hash.h"
#include "grading/gradebook.h"
#include "grading/labs.h"
#include "grading/platforms.h"
#include "grading/selection.h"
#include "grading/similarity.h"
#include "grading/summary_html.h"
#include "harness/subprocess.h"
#include "i18n/messages.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

std::atomic<bool> batch_interrupted{false};

GraderHashes HashGrader(const Layout& layout, const BatchRequest& request,
                        const std::vector<Rubric>& rubrics) {
  GraderHashes hashes;
  ContentHash grader;
  grader.AddFile(layout.suites() / "forklab").AddFile(layout.sandbox()).AddFile(layout.fake_ping());
  for (const std::string& option : request.grade_options) grader.Add(option);
  hashes.grader = grader.Hex();
  std::map<fs::path, std::string> file_hashes;
  auto file_hash = [&](const fs::path& path) {
    auto [it, fresh] = file_hashes.emplace(path, "");
    if (fresh) it->second = ContentHash().AddFile(path).Hex();
    return it->second;
  };
  for (const Rubric& rubric : rubrics)
    for (const RubricEntry& entry : rubric.entries) {
      ContentHash check;
      check.Add(entry.test).Add(entry.title).Add(entry.points).Add(entry.hidden ? "hidden" : "");
      check.Add(entry.hint).Add(static_cast<double>(entry.timeout.count()));
      check.Add(file_hash(entry.suite)).Add(file_hash(layout.reference(rubric.lab)));
      if (!entry.profile.empty()) check.Add(file_hash(entry.profile));
      hashes.check[CheckKey(rubric.lab, entry.test)] = check.Hex();
    }
  return hashes;
}

}  // namespace

CheckPlan PlanRegrade(const std::vector<Rubric>& rubrics, const GraderHashes& hashes,
                      const std::optional<StoredResult>& stored, const std::string& submission_hash,
                      bool forced) {
  bool fresh = forced || !stored || stored->submission_hash != submission_hash ||
               stored->grader_hash != hashes.grader;
  // A check the machine was too busy to decide is graded again by the next run.
  std::set<std::string> undecided;
  if (stored && stored->result.contains("labs"))
    for (const auto& lab : stored->result["labs"])
      for (const auto& check : lab.value("checks", nlohmann::json::array()))
        if (check.value("outcome", "") == OutcomeName(Outcome::kInconclusive))
          undecided.insert(CheckKey(lab.value("lab", ""), check.value("test", "")));
  CheckPlan plan;
  for (const Rubric& rubric : rubrics)
    for (const RubricEntry& entry : rubric.entries) {
      std::string key = CheckKey(rubric.lab, entry.test);
      if (fresh || !stored->check_hashes.contains(key) || undecided.contains(key) ||
          stored->check_hashes.at(key) != hashes.check.at(key))
        plan[rubric.lab].push_back(entry.test);
    }
  return plan;
}

std::pair<CheckPlan, CheckPlan> SplitTimed(const CheckPlan& plan,
                                           const std::vector<Rubric>& rubrics) {
  std::set<std::string> exclusive;
  for (const Rubric& rubric : rubrics)
    for (const RubricEntry& entry : rubric.entries)
      if (entry.exclusive) exclusive.insert(CheckKey(rubric.lab, entry.test));
  CheckPlan untimed, timed;
  for (const auto& [lab, tests] : plan)
    for (const std::string& test : tests)
      (exclusive.contains(CheckKey(lab, test)) ? timed : untimed)[lab].push_back(test);
  return {untimed, timed};
}

namespace {

fs::path SubmissionDir(const BatchRequest& request, const std::string& id) {
  return request.out / "submissions" / id;
}

/// Writes `stored` and, when it has a result, every format of it, into its folder.
void Store(const BatchRequest& request, const StoredResult& stored) {
  fs::path dir = SubmissionDir(request, stored.student_id);
  fs::create_directories(dir);
  if (!stored.result.is_null()) {
    GradeReport report = ReportFromJson(stored.result);
    for (Format format : AllFormats())
      WriteFileAtomically(dir / FormatFileName(FormatName(format)),
                          Render(report, format, /*show_hidden=*/false));
  }
  WriteFileAtomically(dir / "record.json", ToJson(stored).dump(1) + "\n");
}

std::string Program(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"})
    if (access((fs::path(dir) / name).c_str(), X_OK) == 0) return fs::path(dir) / name;
  return "";
}

/// The rubrics a batch grades (`selected`: its labs, its checks) and those of every lab, which
/// order a stored result and keep what an earlier batch with other filters graded.
struct BatchRubrics {
  std::vector<Rubric> selected;
  std::vector<Rubric> every;
};

/// Runs `forklab grade` on `root` for the checks of `plan`, and merges what it graded into
/// `stored` (an interrupted grading's finished checks too). It is graded when every selected
/// check has a result.
void GradeChecks(const Layout& layout, const BatchRequest& request, const BatchRubrics& rubrics,
                 const GraderHashes& hashes, const fs::path& root, const CheckPlan& plan,
                 StoredResult* stored) {
  fs::path dir = SubmissionDir(request, stored->student_id);
  fs::create_directories(dir);
  fs::path output = dir / "grading.json.partial";
  fs::remove(output);
  std::vector<std::string> args = {(layout.suites() / "forklab").string(),
                                   "grade",
                                   "--submission",
                                   root.string(),
                                   "--show-hidden",
                                   "--format",
                                   "json",
                                   "--output",
                                   output.string()};
  for (const auto& [lab, tests] : plan) {
    args.insert(args.end(), {"--lab", lab});
    for (const std::string& test : tests) args.insert(args.end(), {"--check", test});
  }
  if (!request.hidden.empty()) args.insert(args.end(), {"--hidden", request.hidden});
  args.insert(args.end(), {"--lang", CurrentLanguage()});  // the batch's language
  args.insert(args.end(), request.grade_options.begin(), request.grade_options.end());

  // setpriv makes the grading die with the batch (a parent-death signal), when it is there.
  std::string setpriv = Program("setpriv");
  std::string exe = args.front();
  SpawnOptions options;
  if (!setpriv.empty()) {
    args.insert(args.begin(), {"--pdeathsig", "TERM", "--"});
    exe = setpriv;
  } else {
    args.erase(args.begin());
  }
  options.args = args;
  options.env.emplace("NO_COLOR", "1");
  std::unique_ptr<Subprocess> grading = Subprocess::Start(exe, options);
  bool signalled = false;
  std::optional<ExitStatus> status;
  while (!(status = grading->Wait(std::chrono::milliseconds(200))))
    if (batch_interrupted && !signalled) {
      grading->Signal(SIGINT);
      signalled = true;
    }
  {
    std::ofstream log(dir / "grade.log", std::ios::app);
    log << grading->stdout_text() << grading->stderr_text();
  }

  std::ifstream in(output);
  nlohmann::json graded = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  if (graded.is_discarded() || graded.is_null()) {
    if (batch_interrupted) return;
    std::vector<std::string> lines = SplitLines(grading->stderr_text());
    std::string why = lines.empty() ? status->Describe() : lines.back();
    stored->graded = false;
    stored->problem = Tr("forklab grade could not grade it: {}", why);
    return;
  }
  fs::remove(output);
  GradeReport update, base;
  try {  // one result that cannot be read must not stop the batch
    update = ReportFromJson(graded);
    if (!stored->result.is_null()) base = ReportFromJson(stored->result);
  } catch (const std::exception& error) {
    stored->graded = false;
    stored->problem = Tr("its result could not be read: {}", error.what());
    return;
  }
  GradeReport merged = MergeReports(base, update, rubrics.every);
  for (const LabReport& lab : update.labs)
    for (const CheckReport& check : lab.checks) {
      std::string key = CheckKey(lab.lab, check.entry.test);
      if (hashes.check.contains(key)) stored->check_hashes[key] = hashes.check.at(key);
    }
  stored->result = ToJson(merged, /*show_hidden=*/true);
  std::set<std::string> present;
  for (const LabReport& lab : merged.labs)
    for (const CheckReport& check : lab.checks) present.insert(CheckKey(lab.lab, check.entry.test));
  stored->graded = true;
  for (const Rubric& rubric : rubrics.selected)
    for (const RubricEntry& entry : rubric.entries)
      stored->graded = stored->graded && present.contains(CheckKey(rubric.lab, entry.test));
  stored->problem =
      stored->graded ? std::string() : Tr("The grading was interrupted before every check ran.");
}

/// The shared state of one batch run: its submissions, their stored results, the counts.
class BatchRun {
 public:
  BatchRun(const Layout& layout, const BatchRequest& request, const BatchProgress& progress)
      : layout_(layout), request_(request), progress_(progress) {}

  BatchOutcome Run() {
    std::vector<Submission> everyone = FindSubmissions(request_.submissions);
    std::optional<fs::path> hidden;
    if (!request_.hidden.empty()) hidden = request_.hidden;
    rubrics_.selected =
        LoadRubrics(layout_, request_.labs.empty() ? Labs() : request_.labs, hidden);
    if (!request_.checks.empty()) KeepChecks(request_.checks, &rubrics_.selected);
    rubrics_.every = LoadRubrics(layout_, Labs(), hidden);
    hashes_ = HashGrader(layout_, request_, rubrics_.selected);

    ShardManifest manifest;
    manifest.shard = request_.shard;
    for (const Submission& submission : everyone) {
      manifest.class_ids.push_back(submission.id);
      if (InShard(submission.id, request_.shard)) {
        manifest.ids.push_back(submission.id);
        submissions_.push_back(submission);
      }
    }
    fs::create_directories(request_.out);
    WriteShardManifest(request_.out, manifest);

    states_.resize(submissions_.size());
    counts_.total = submissions_.size();
    start_ = std::chrono::steady_clock::now();
    bool split = request_.jobs > 1;
    RunConcurrently(request_.jobs, [&](size_t i) { Phase(i, split ? kUntimed : kAll); });
    if (split) RunConcurrently(1, [&](size_t i) { Phase(i, kTimed); });

    BatchOutcome outcome;
    outcome.interrupted = batch_interrupted;
    for (size_t i = 0; i < states_.size(); ++i) {
      StoredResult& stored = states_[i].stored;
      stored.student_id = submissions_[i].id;  // also for those an interruption left
      stored.source = submissions_[i].source.string();
      outcome.results.push_back(std::move(stored));
    }
    return outcome;
  }

 private:
  enum PhaseKind { kAll, kUntimed, kTimed };

  /// One submission's progress through the run.
  struct State {
    StoredResult stored;
    fs::path root;    // prepared, or empty
    CheckPlan timed;  // left for the exclusive phase
    bool finished = false;
  };

  void RunConcurrently(int jobs, const std::function<void(size_t)>& work) {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i; !batch_interrupted && (i = next++) < submissions_.size();) work(i);
    };
    std::vector<std::thread> threads;
    for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
    worker();
    for (std::thread& thread : threads) thread.join();
  }

  void Tell(size_t i, bool started) {
    std::lock_guard lock(mutex_);
    counts_.elapsed = std::chrono::steady_clock::now() - start_;
    if (started && progress_.started) progress_.started(counts_, submissions_[i].id);
    if (!started && progress_.finished) progress_.finished(counts_, states_[i].stored);
  }

  void Finish(size_t i, bool graded_now) {
    {
      std::lock_guard lock(mutex_);
      states_[i].finished = true;
      ++counts_.done;
      ++(graded_now ? counts_.graded_now : counts_.resumed);
    }
    Tell(i, false);
  }

  void Phase(size_t i, PhaseKind kind) {
    const Submission& submission = submissions_[i];
    State& state = states_[i];
    if (kind == kTimed) {
      if (state.finished || state.timed.empty()) return;
      Tell(i, true);
      GradeChecks(layout_, request_, rubrics_, hashes_, state.root, state.timed, &state.stored);
      Store(request_, state.stored);
      if (!batch_interrupted) Finish(i, true);
      return;
    }
    fs::path dir = SubmissionDir(request_, submission.id);
    std::optional<StoredResult> stored = ReadStoredResult(dir / "record.json");
    std::string submission_hash = SubmissionHash(submission);
    bool forced = std::find(request_.regrade.begin(), request_.regrade.end(), submission.id) !=
                  request_.regrade.end();
    CheckPlan plan = PlanRegrade(rubrics_.selected, hashes_, stored, submission_hash, forced);
    bool kept = stored && !forced && stored->submission_hash == submission_hash &&
                stored->grader_hash == hashes_.grader;
    if (kept && plan.empty()) {  // every selected check has a result made as it would be now
      state.stored = *stored;
      state.stored.graded = true;
      state.stored.problem.clear();
      Finish(i, false);
      return;
    }
    Tell(i, true);
    state.stored = kept ? *stored : StoredResult{};
    state.stored.student_id = submission.id;
    state.stored.source = submission.source.string();
    state.stored.submission_hash = submission_hash;
    state.stored.grader_hash = hashes_.grader;
    PreparedSubmission prepared =
        PrepareSubmission(submission, request_.out / "work" / submission.id);
    if (!prepared.problem.empty()) {
      state.stored.graded = false;
      state.stored.problem = prepared.problem;
      state.stored.result = nullptr;
      state.stored.check_hashes.clear();
      Store(request_, state.stored);
      Finish(i, true);
      return;
    }
    state.root = prepared.root;
    for (const Rubric& rubric : rubrics_.selected)
      CollectLabSources(state.root / "labs" / rubric.lab, dir / "sources" / (rubric.lab + ".cc"));
    auto [untimed, timed] = SplitTimed(plan, rubrics_.selected);
    CheckPlan now = kind == kAll ? plan : untimed;
    state.timed = kind == kAll ? CheckPlan{} : timed;
    if (!now.empty()) {
      GradeChecks(layout_, request_, rubrics_, hashes_, state.root, now, &state.stored);
      Store(request_, state.stored);
    }
    if (state.timed.empty() && !batch_interrupted) Finish(i, true);
  }

  const Layout& layout_;
  const BatchRequest& request_;
  const BatchProgress& progress_;
  BatchRubrics rubrics_;
  GraderHashes hashes_;
  std::vector<Submission> submissions_;
  std::vector<State> states_;
  std::mutex mutex_;
  BatchCounts counts_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::string FormatFileName(const std::string& format) {
  static const std::map<std::string, std::string> kNames = {{"json", "forklab.json"},
                                                            {"junit", "junit.xml"},
                                                            {"markdown", "report.md"},
                                                            {"html", "report.html"},
                                                            {"autolab", "autolab.txt"}};
  auto known = kNames.find(format);
  return known != kNames.end() ? known->second : format + ".json";
}

void WriteClassFiles(const Layout& layout, const fs::path& dir,
                     const std::vector<StoredResult>& results, int similarity_threshold) {
  WriteGradebook(dir, results);
  std::map<std::string, std::vector<LabSource>> sources_of_lab;
  for (const StoredResult& stored : results) {
    fs::path sources = dir / "submissions" / stored.student_id / "sources";
    if (!stored.graded || !fs::is_directory(sources)) continue;
    for (const auto& file : fs::directory_iterator(sources))
      sources_of_lab[file.path().stem().string()].push_back({stored.student_id, file.path()});
  }
  std::vector<SimilarPair> similar;
  fs::remove_all(dir / "similarity");
  for (const auto& [lab, sources] : sources_of_lab) {
    std::vector<SimilarPair> pairs =
        SimilarPairs(lab, sources, StarterCode(layout.source / "labs" / lab), similarity_threshold,
                     dir / "work" / "similarity" / lab);
    similar.insert(similar.end(), pairs.begin(), pairs.end());
  }
  std::stable_sort(similar.begin(), similar.end(), [](const SimilarPair& x, const SimilarPair& y) {
    return std::min(x.share_a, x.share_b) > std::min(y.share_a, y.share_b);
  });
  auto code = [&dir](const std::string& id, const std::string& lab) {
    std::ifstream in(dir / "submissions" / id / "sources" / (lab + ".cc"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  for (const SimilarPair& pair : similar) {
    fs::create_directories(dir / "similarity");
    WriteFileAtomically(dir / SideBySideFile(pair),
                        SideBySideHtml(pair, code(pair.a, pair.lab), code(pair.b, pair.lab)));
  }
  WriteFileAtomically(dir / "summary.html", SummaryHtml(results, similar));
}

std::vector<StoredResult> MergeShards(const Layout& layout, const std::vector<fs::path>& dirs,
                                      const fs::path& out) {
  std::vector<ShardManifest> manifests = CheckShardsComplete(dirs);
  fs::create_directories(out);
  std::vector<StoredResult> results;
  for (size_t i = 0; i < dirs.size(); ++i)
    for (const std::string& id : manifests[i].ids) {
      fs::path from = dirs[i] / "submissions" / id;
      std::optional<StoredResult> stored = ReadStoredResult(from / "record.json");
      if (!stored) throw MergeError(fmt::format("{}/record.json cannot be read", from.string()));
      fs::path to = out / "submissions" / id;
      if (fs::weakly_canonical(from) != fs::weakly_canonical(to)) {
        fs::remove_all(to);
        fs::create_directories(to.parent_path());
        fs::copy(from, to, fs::copy_options::recursive);
      }
      results.push_back(std::move(*stored));
    }
  ShardManifest merged{manifests.front().class_ids, Shard{}, manifests.front().class_ids};
  WriteShardManifest(out, merged);
  WriteClassFiles(layout, out, results);
  return results;
}

void InterruptBatch() {
  batch_interrupted = true;
}

BatchOutcome RunBatch(const Layout& layout, const BatchRequest& request,
                      const BatchProgress& progress) {
  batch_interrupted = false;
  return BatchRun(layout, request, progress).Run();
}

}  // namespace forklab
