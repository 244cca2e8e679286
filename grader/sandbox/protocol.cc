#include "sandbox/protocol.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

namespace forklab {

namespace {

// The result file's keys, written and read only here.
constexpr char kIsolationKey[] = "isolation";
constexpr char kFallbackKey[] = "fallback";
constexpr char kSuiteExitedKey[] = "suite_exited";
constexpr char kSuiteWaitStatusKey[] = "suite_wait_status";
constexpr char kBuildTreeFullKey[] = "build_tree_full";
constexpr char kConsoleKey[] = "console";
constexpr char kReportKey[] = "report";
constexpr char kEventsKey[] = "events";
constexpr char kKindKey[] = "kind";
constexpr char kTextKey[] = "text";

constexpr char kNamespaces[] = "namespaces";
constexpr char kFallbackPrefix[] = "fallback: ";

using Kind = ContainmentEvent::Kind;

// Each kind as the result file spells it.
constexpr std::pair<Kind, const char*> kKindNames[] = {{Kind::kWallTime, "wall time"},
                                                       {Kind::kLimit, "limit"},
                                                       {Kind::kLeftRunning, "left running"},
                                                       {Kind::kInterrupted, "interrupted"},
                                                       {Kind::kNote, "note"}};

// An unknown name is a note: it cannot have ended the run.
Kind KindNamed(const std::string& name) {
  for (const auto& [kind, spelled] : kKindNames)
    if (name == spelled) return kind;
  return Kind::kNote;
}

}  // namespace

std::string FdPath(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

std::string ContainmentLine(const std::string& event) {
  return kContainmentTag + event + "\n";
}

std::vector<std::string> ContainmentEventsIn(const std::string& console) {
  std::vector<std::string> events;
  std::istringstream in(console);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(kContainmentTag)) events.push_back(line.substr(strlen(kContainmentTag)));
  return events;
}

std::string ProbeAnswer::ToString() const {
  return fallback ? kFallbackPrefix + *fallback : kNamespaces;
}

std::optional<ProbeAnswer> ProbeAnswer::Parse(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line == kNamespaces) return ProbeAnswer{};
  if (line.starts_with(kFallbackPrefix))
    return ProbeAnswer{line.substr(std::string_view(kFallbackPrefix).size())};
  return std::nullopt;
}

const char* ContainmentEvent::Name(Kind kind) {
  for (const auto& [named, spelled] : kKindNames)
    if (named == kind) return spelled;
  return "note";
}

std::string SandboxResult::ToJson() const {
  nlohmann::json json = {
      {kIsolationKey, isolation}, {kFallbackKey, fallback}, {kSuiteExitedKey, suite_exited},
      {kConsoleKey, console},     {kReportKey, report},     {kEventsKey, nlohmann::json::array()}};
  if (suite_exited) json[kSuiteWaitStatusKey] = suite_wait_status;
  if (build_tree_full) json[kBuildTreeFullKey] = true;
  for (const ContainmentEvent& event : events)
    json[kEventsKey].push_back(
        {{kKindKey, ContainmentEvent::Name(event.kind)}, {kTextKey, event.text}});
  return json.dump();
}

std::optional<SandboxResult> SandboxResult::FromJson(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  SandboxResult result;
  try {
    result.isolation = json.value(kIsolationKey, "");
    result.fallback = json.value(kFallbackKey, false);
    result.suite_exited = json.value(kSuiteExitedKey, false);
    result.suite_wait_status = json.value(kSuiteWaitStatusKey, 0);
    result.build_tree_full = json.value(kBuildTreeFullKey, false);
    result.console = json.value(kConsoleKey, "");
    result.report = json.value(kReportKey, "");
    for (const auto& event : json.value(kEventsKey, nlohmann::json::array()))
      result.events.push_back({KindNamed(event.value(kKindKey, "")), event.value(kTextKey, "")});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a key of the wrong type: not a result this sandbox wrote
  }
  return result;
}

namespace {

// The timeline's keys, written and read only here.
constexpr char kPeriodKey[] = "period";
constexpr char kEndedKey[] = "ended";
constexpr char kCappedKey[] = "capped";
constexpr char kProcessesKey[] = "processes";
constexpr char kSamplesKey[] = "samples";
constexpr char kMarksKey[] = "marks";
// A process: [pid, ppid, name, started, exited or null, reaped or null].
// A sample: [at, processes, threads, zombies, connections]. A mark: [at, text].

nlohmann::json Optional(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::optional<double> OptionalFrom(const nlohmann::json& value) {
  return value.is_null() ? std::nullopt : std::optional<double>(value.get<double>());
}

}  // namespace

std::string ProcessTimeline::ToJson() const {
  nlohmann::json json = {{kPeriodKey, period},
                         {kEndedKey, ended},
                         {kCappedKey, capped},
                         {kProcessesKey, nlohmann::json::array()},
                         {kSamplesKey, nlohmann::json::array()},
                         {kMarksKey, nlohmann::json::array()}};
  for (const Process& process : processes)
    json[kProcessesKey].push_back({process.pid, process.ppid, process.name, process.started,
                                   Optional(process.exited), Optional(process.reaped)});
  for (const Sample& sample : samples)
    json[kSamplesKey].push_back(
        {sample.at, sample.processes, sample.threads, sample.zombies, sample.connections});
  for (const Mark& mark : marks) json[kMarksKey].push_back({mark.at, mark.text});
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<ProcessTimeline> ProcessTimeline::FromJson(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  ProcessTimeline timeline;
  try {
    timeline.period = json.at(kPeriodKey).get<double>();
    timeline.ended = json.at(kEndedKey).get<double>();
    timeline.capped = json.at(kCappedKey).get<bool>();
    for (const auto& item : json.at(kProcessesKey))
      timeline.processes.push_back({item.at(0).get<int>(), item.at(1).get<int>(),
                                    item.at(2).get<std::string>(), item.at(3).get<double>(),
                                    OptionalFrom(item.at(4)), OptionalFrom(item.at(5))});
    for (const auto& item : json.at(kSamplesKey))
      timeline.samples.push_back({item.at(0).get<double>(), item.at(1).get<int>(),
                                  item.at(2).get<int>(), item.at(3).get<int>(),
                                  item.at(4).get<int>()});
    for (const auto& item : json.at(kMarksKey))
      timeline.marks.push_back({item.at(0).get<double>(), item.at(1).get<std::string>()});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // not a timeline a suite wrote
  }
  return timeline;
}

namespace {

constexpr char kBaselineNameKey[] = "baseline_name";
constexpr char kWorkersKey[] = "workers";
constexpr char kSubmissionKey[] = "submission";
constexpr char kBaselineKey[] = "baseline";

}  // namespace

std::string SpeedupMeasurement::ToJson() const {
  return nlohmann::json{{kBaselineNameKey, baseline_name},
                        {kWorkersKey, workers},
                        {kSubmissionKey, submission},
                        {kBaselineKey, baseline}}
      .dump();
}

std::optional<SpeedupMeasurement> SpeedupMeasurement::FromJson(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  SpeedupMeasurement measurement;
  try {
    measurement.baseline_name = json.at(kBaselineNameKey).get<std::string>();
    measurement.workers = json.at(kWorkersKey).get<std::vector<int>>();
    measurement.submission = json.at(kSubmissionKey).get<std::vector<double>>();
    measurement.baseline = json.at(kBaselineKey).get<std::vector<double>>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (measurement.submission.size() != measurement.workers.size() ||
      measurement.baseline.size() != measurement.workers.size())
    return std::nullopt;
  return measurement;
}

}  // namespace forklab
