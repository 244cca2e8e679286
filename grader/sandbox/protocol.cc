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
    result.console = json.value(kConsoleKey, "");
    result.report = json.value(kReportKey, "");
    for (const auto& event : json.value(kEventsKey, nlohmann::json::array()))
      result.events.push_back({KindNamed(event.value(kKindKey, "")), event.value(kTextKey, "")});
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a key of the wrong type: not a result this sandbox wrote
  }
  return result;
}

}  // namespace forklab
