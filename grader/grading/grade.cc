#include "grading/grade.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "grading/builder.h"
#include "grading/content_hash.h"
#include "grading/fault_note.h"
#include "grading/labs.h"
#include "grading/prebuilt_labkit.h"
#include "grading/schedule.h"
#include "grading/secrets.h"
#include "grading/selection.h"
#include "harness/proc.h"
#include "i18n/messages.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

std::atomic<bool> interrupted{false};

template <typename... Args>
void Tell(const std::function<void(Args...)>& listener, const auto&... args) {
  if (listener) listener(args...);
}

/// One lab of the run: its report so far (its checks aside), and what its checks run against.
/// A lab that is still the handout's stub is neither built nor run.
struct LabRun {
  LabReport report;
  Target target;
  bool handout_stub = false;
};

// Whether `rubric`'s lab in `submission_labs` is the handout's stub, untouched: its main.cc
// hashes to the rubric's `stub` and it is built with the checkout's own lab kit, so the
// program could only say "<lab>: not implemented". Building and running it would only show
// that, check by check, at a cost of seconds.
bool IsHandoutStub(const Rubric& rubric, const fs::path& submission_labs,
                   const fs::path& checkout_labs) {
  if (rubric.stub.empty()) return false;
  fs::path main = submission_labs / rubric.lab / "main.cc";
  std::error_code error;
  if (!fs::is_regular_file(fs::symlink_status(main, error))) return false;
  if (ContentHash().AddFile(main).Hex() != rubric.stub) return false;
  return fs::equivalent(submission_labs, checkout_labs, error) ||
         SameLabkit(submission_labs, checkout_labs);
}

/// One check of the run: its result, kept unless the run was interrupted while it ran.
struct CheckRun {
  const RubricEntry* entry = nullptr;
  CheckResult result;
  bool kept = false;
};

// What the checks of `lab` run against, contained by `plan`.
Target TargetOf(const Layout& layout, const ContainmentPlan& plan,
                const std::vector<fs::path>& secrets, const LabReport& lab, bool timelines,
                bool skip_unreachable_faults) {
  Target target{lab.lab, lab.exe, {{kFakePingEnv, layout.fake_ping().string()}}, plan.containment};
  // The references and hidden tests are out of the program's sight, unless it is one.
  for (const std::string& dir : SecretsHiddenFrom(lab.exe, secrets))
    target.containment.hide.push_back(dir);
  // The suite times the reference in the same run; it gets it as a descriptor.
  target.containment.reference = layout.reference(lab.lab);
  target.env[kReferenceEnv] = FdPath(kPassedFileFd);
  target.env[kUnreachableFaultsEnv] = skip_unreachable_faults ? "skip" : "fail";
  if (timelines) target.env[kTimelineEnv] = "1";
  return target;
}

// Checks running at once each run their programs as a uid of their own: RLIMIT_NPROC then
// counts one check's programs (a thread sweep of 254 hosts alone runs ~510 processes and
// threads), and no check's kill(-1) reaches another's. Each slot's uid is leased
// (LeaseProgramUid), so no other grading on the machine shares it either.
Target InSlot(Target target, const std::vector<UidLease>& slot_uids, int slot) {
  if (target.containment.program.uid) target.containment.program.uid = slot_uids[slot].program;
  return target;
}

// Runs `check` against `lab` in `slot`, on a thread of its own beside other checks.
void RunOne(const LabRun& lab, CheckRun* check, const std::vector<UidLease>& slot_uids, int slot) {
  if (!lab.report.build_log.empty()) {
    check->result = {Outcome::kNotBuilt, 0, "", {}};
    check->kept = true;
    return;
  }
  if (lab.handout_stub) {
    check->result = {Outcome::kFailed,
                     0,
                     Tr("not run: {} is the handout's stub, unchanged, which only says "
                        "\"{}: not implemented\"",
                        lab.report.source(), lab.report.lab),
                     {}};
    check->kept = true;
    return;
  }
  CheckResult result = RunCheck(*check->entry, InSlot(lab.target, slot_uids, slot));
  // As a subreaper, we inherit every orphan of the check: none may outlive it. The other
  // checks' sandboxes are children we own, not orphans: they are left running.
  ReapAdopted(/*kill_live=*/true, /*killed=*/nullptr);
  if (interrupted) return;  // the check was killed by us: no result to keep
  NoteInjectedFault(*check->entry, &result);
  check->result = std::move(result);
  check->kept = true;
}

// The least `report` could have taken with `jobs` checks at once (GradeReport::floor_seconds),
// from the waits its checks require, scheduled as Grade schedules them (RunExclusiveLast). A
// check that ended before its wait was over (a program that failed at once) required only
// what it took.
double FloorSeconds(const GradeReport& report, int jobs) {
  std::vector<RequiredTime> required;
  for (const LabReport& lab : report.labs)
    for (const CheckReport& check : lab.checks)
      required.push_back({check.entry.exclusive,
                          std::min(check.result.required_wait.count(), check.result.time.count())});
  return ScheduleFloor(required, jobs);
}

}  // namespace

int DefaultJobs() {
  // A check mostly waits (on the program, on its timeouts: 41 s of CPU in a 134 s serial
  // run), so two per core keep the cores busy. More would not help: the echo checks' load
  // clients are CPU-bound, and each check holds a sandbox of up to --memory of its own.
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::min(2 * cores, 8);
}

void InterruptGrading() {
  interrupted = true;
  InterruptRunningChecks();
}

GradeReport Grade(const Layout& layout, const GradeRequest& request,
                  const GradeProgress& progress) {
  std::optional<fs::path> hidden;
  if (!request.hidden.empty()) hidden = request.hidden;
  std::vector<Rubric> rubrics =
      LoadRubrics(layout, request.labs.empty() ? Labs() : request.labs, hidden);
  if (!request.checks.empty()) KeepChecks(request.checks, &rubrics);
  if (request.timeout_seconds)
    for (Rubric& rubric : rubrics)
      for (RubricEntry& entry : rubric.entries)
        entry.timeout = std::chrono::seconds(*request.timeout_seconds);

  std::optional<fs::path> submission;  // the checkout whose labs/ is built and graded
  GradeReport report;
  if (!request.exe_for_lab.empty()) {
    for (const auto& [lab, exe] : request.exe_for_lab)
      report.implementation += (report.implementation.empty() ? "" : ", ") + exe;
  } else if (request.reference) {
    report.implementation = "reference";
  } else {
    fs::path root = request.submission.empty() ? layout.source : fs::path(request.submission);
    if (!fs::is_directory(root / "labs"))
      throw GradeRequestError("no labs/ directory in " + root.string());
    report.implementation = request.submission.empty() ? "student labs/" : root.string();
    submission = fs::absolute(root);
  }

  std::vector<fs::path> program_paths = {layout.fake_ping()};
  for (const auto& [lab, exe] : request.exe_for_lab) program_paths.push_back(exe);
  if (request.reference) program_paths.push_back(layout.reference(rubrics.front().lab));
  // The build runs as the program's uid too: it reads the submission's labs/.
  if (submission) program_paths.push_back(*submission / "labs");
  ContainmentPlan plan = PlanContainment(layout, request.limits,
                                         ProbeSandbox(layout.sandbox().string()), program_paths);
  report.isolation = plan.isolation;
  for (const std::string& warning : plan.warnings) {
    Tell(progress.warning, warning);
    report.warnings.push_back(warning);
  }
  std::vector<fs::path> secrets = SecretDirs(layout, hidden);
  std::optional<LabBuilder> builder;
  if (submission) {
    Containment build_containment = plan.containment;
    for (const fs::path& dir : secrets) build_containment.hide.push_back(dir.string());
    // One build tree per submission path, so regrading one is incremental.
    std::string key = std::to_string(std::hash<std::string>{}(submission->string()));
    // The grader's own kit, when its flags make code any submission links (FORKLAB_LABKIT_LINKABLE,
    // grader/CMakeLists.txt) and the submission's kit is the checkout's.
    std::optional<fs::path> labkit;
    if (FORKLAB_LABKIT_LINKABLE)
      labkit = ReusableLabkit(*submission / "labs", layout.source / "labs", layout.labkit());
    builder.emplace(*submission / "labs", layout.build / "submissions" / key, build_containment,
                    labkit);
  }

  int jobs = std::clamp(request.jobs > 0 ? request.jobs : DefaultJobs(), 1, kMaxRunningChecks);
  // Slot 0 runs as the plan's uid; the others lease their own, held until the run ends.
  std::vector<UidLease> slot_uids{plan.lease};
  if (plan.containment.program.uid)
    while (static_cast<int>(slot_uids.size()) < jobs) slot_uids.push_back(LeaseProgramUid());
  // Orphans of graded programs come to us, so none escapes the sweeps.
  BecomeSubreaper();
  // When the run ends, on any path, nothing it started may outlive it.
  struct SweepAtEnd {
    ~SweepAtEnd() { KillDescendants(); }
  } sweep;
  // The tasks hold pointers into these: sized once, never moved.
  std::vector<LabRun> labs(rubrics.size());
  std::vector<CheckRun> checks;
  for (const Rubric& rubric : rubrics) checks.resize(checks.size() + rubric.entries.size());
  std::vector<ScheduledTask> tasks;
  std::vector<std::function<void()>> reporters;  // per task, run in order as it ends
  CheckRun* check = checks.data();
  for (size_t i = 0; i < rubrics.size(); ++i) {
    LabRun* lab = &labs[i];
    // A build runs alone, without slowing down a timed check. Found or built, the executable
    // is what the lab's checks run: they wait for it (a prerequisite).
    tasks.push_back(
        {builder.has_value(),
         [&, lab, &rubric = rubrics[i]](int) {
           auto given = request.exe_for_lab.find(rubric.lab);
           lab->report = {
               rubric.lab, given == request.exe_for_lab.end() ? "" : given->second, "", {}};
           if (builder && IsHandoutStub(rubric, *submission / "labs", layout.source / "labs")) {
             lab->handout_stub = true;
           } else if (builder) {
             LabBuild build = builder->Build(rubric.lab);
             lab->report.exe = build.exe;
             if (!build.ok) lab->report.build_log = build.log;
           } else if (lab->report.exe.empty()) {
             lab->report.exe = layout.reference(rubric.lab).string();
           }
           lab->target =
               TargetOf(layout, plan, secrets, lab->report, request.timelines,
                        request.skip_unreachable_faults || rubric.skip_unreachable_faults);
         },
         /*prerequisite=*/true});
    reporters.push_back([&, lab] {
      Tell(progress.lab_started, lab->report.lab);
      if (!lab->report.build_log.empty()) Tell(progress.lab_not_built, lab->report.build_log);
      report.labs.push_back(lab->report);
    });
    for (const RubricEntry& entry : rubrics[i].entries) {
      check->entry = &entry;
      tasks.push_back({entry.exclusive, [lab, check, &slot_uids](int slot) {
                         RunOne(*lab, check, slot_uids, slot);
                       }});
      bool last_of_lab = &entry == &rubrics[i].entries.back();
      reporters.push_back([&, check, last_of_lab] {
        if (check->kept) {
          CheckReport done{*check->entry, check->result};
          Tell(progress.check_done, done);
          report.labs.back().checks.push_back(std::move(done));
        }
        if (last_of_lab) Tell(progress.lab_done, report.labs.back());
      });
      ++check;
    }
  }
  auto start = std::chrono::steady_clock::now();
  RunExclusiveLast(
      tasks, jobs, [&](size_t index) { reporters[index](); }, [] { return interrupted.load(); });
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.floor_seconds = FloorSeconds(report, jobs);
  report.complete = !interrupted;
  return report;
}

}  // namespace forklab
