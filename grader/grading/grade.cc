#include "grading/grade.h"

#include <atomic>
#include <filesystem>

#include "grading/builder.h"
#include "grading/fault_note.h"
#include "grading/labs.h"
#include "grading/secrets.h"
#include "grading/selection.h"
#include "harness/proc.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

std::atomic<bool> interrupted{false};

template <typename... Args>
void Tell(const std::function<void(Args...)>& listener, const auto&... args) {
  if (listener) listener(args...);
}

}  // namespace

void InterruptGrading() {
  interrupted = true;
  InterruptRunningCheck();
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
    builder.emplace(*submission / "labs", layout.build / "submissions" / key, build_containment);
  }

  // Orphans of graded programs come to us, so none escapes the sweep after each check.
  BecomeSubreaper();
  for (const Rubric& rubric : rubrics) {
    if (interrupted) break;
    auto given = request.exe_for_lab.find(rubric.lab);
    LabReport lab{rubric.lab, given == request.exe_for_lab.end() ? "" : given->second, "", {}};
    Tell(progress.lab_started, rubric.lab);
    if (builder) {
      LabBuild build = builder->Build(rubric.lab);
      lab.exe = build.exe;
      if (!build.ok) lab.build_log = build.log;
    } else if (lab.exe.empty()) {
      lab.exe = layout.reference(rubric.lab).string();
    }
    if (!lab.build_log.empty()) Tell(progress.lab_not_built, lab.build_log);
    Target target{
        rubric.lab, lab.exe, {{kFakePingEnv, layout.fake_ping().string()}}, plan.containment};
    // The references and hidden tests are out of the program's sight, unless it is one.
    for (const std::string& dir : SecretsHiddenFrom(lab.exe, secrets))
      target.containment.hide.push_back(dir);
    // The suite times the reference in the same run; it gets it as a descriptor.
    target.containment.reference = layout.reference(rubric.lab);
    target.env[kReferenceEnv] = FdPath(kPassedFileFd);
    target.env[kUnreachableFaultsEnv] = request.skip_unreachable_faults ? "skip" : "fail";
    for (const RubricEntry& entry : rubric.entries) {
      if (interrupted) break;
      CheckReport check{entry, {}};
      if (!lab.build_log.empty()) {
        check.result = {Outcome::kNotBuilt, 0, "", {}};
      } else {
        check.result = RunCheck(entry, target);
        // As a subreaper, we inherit every orphan of the check: none may outlive it.
        KillDescendants();
        if (interrupted) break;  // the check was killed by us: no result to keep
        NoteInjectedFault(entry, &check.result);
      }
      Tell(progress.check_done, check);
      lab.checks.push_back(std::move(check));
    }
    report.labs.push_back(std::move(lab));
  }
  report.complete = !interrupted;
  return report;
}

}  // namespace forklab
