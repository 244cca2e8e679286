#include "harness/fault_profile.h"

#include <toml++/toml.h>

#include <cstring>

#include "i18n/messages.h"

namespace forklab {

namespace {

[[noreturn]] void Fail(const std::filesystem::path& path, const std::string& why) {
  throw FaultProfileError(path.string() + ": " + why);
}

const char* WhenName(FaultPoint::When when) {
  switch (when) {
    case FaultPoint::When::kAlways:
      return "always";
    case FaultPoint::When::kRandom:
      return "random";
    case FaultPoint::When::kFromCall:
      return "from_call";
  }
  return "?";
}

}  // namespace

int ErrnoFromName(const std::string& name) {
  for (int error = 1; error < 4096; ++error) {
    const char* known = strerrorname_np(error);
    if (known && name == known) return error;
  }
  return 0;
}

std::string FaultProfile::PointsAndSeed() const {
  std::string points;
  for (const FaultPoint& point : plan.points) {
    if (!points.empty()) points += ", ";
    points += point.name + " " + WhenName(point.when);
    if (point.when == FaultPoint::When::kRandom)
      points += " p=" + std::to_string(point.probability).substr(0, 4);
    if (point.when == FaultPoint::When::kFromCall)
      points += " from call " + std::to_string(point.from_call);
    const char* error = strerrorname_np(point.error);
    points += std::string(" ") + (error ? error : "?");
  }
  return Tr("{}, seed {}", points, plan.seed);
}

std::string FaultProfile::Explain() const {
  return Tr("fault profile {} ({}: {}); expected: {}", name, Tr(description), PointsAndSeed(),
            Tr(expect));
}

std::string FaultProfile::Describe() const {
  return Tr("fault profile {} ({}); expected: {}", name, Tr(description), Tr(expect));
}

FaultProfile LoadFaultProfile(const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    Fail(path, std::string(e.description()) + " at line " + std::to_string(e.source().begin.line));
  }
  FaultProfile profile;
  profile.name = root["name"].value_or(std::string());
  profile.description = root["description"].value_or(std::string());
  profile.expect = root["expect"].value_or(std::string());
  if (profile.name.empty() || profile.description.empty() || profile.expect.empty())
    Fail(path, "'name', 'description' and 'expect' are required");
  int64_t seed = root["seed"].value_or(int64_t{1});
  if (seed < 0 || seed > 0xffffffffLL) Fail(path, "'seed' must be 0..4294967295");
  profile.plan.seed = static_cast<unsigned>(seed);
  const toml::array* points = root["point"].as_array();
  if (!points || points->empty()) Fail(path, "no [[point]] entries");
  for (const toml::node& node : *points) {
    const toml::table* table = node.as_table();
    if (!table) Fail(path, "[[point]] must be tables");
    FaultPoint point;
    point.name = (*table)["name"].value_or(std::string());
    if (point.name.empty()) Fail(path, "a [[point]] has no 'name'");
    std::string when = (*table)["when"].value_or(std::string("always"));
    if (when == "always") {
      point.when = FaultPoint::When::kAlways;
    } else if (when == "random") {
      point.when = FaultPoint::When::kRandom;
      point.probability = (*table)["probability"].value_or(-1.0);
      if (point.probability <= 0 || point.probability > 1)
        Fail(path, point.name + ": 'probability' must be in (0, 1]");
    } else if (when == "from_call") {
      point.when = FaultPoint::When::kFromCall;
      point.from_call = static_cast<int>((*table)["from_call"].value_or(int64_t{0}));
      if (point.from_call < 1) Fail(path, point.name + ": 'from_call' must be >= 1");
    } else {
      Fail(path, point.name + ": 'when' must be always, random or from_call");
    }
    std::string error = (*table)["errno"].value_or(std::string());
    point.error = ErrnoFromName(error);
    if (point.error == 0)
      Fail(path, point.name + ": 'errno' must name an errno such as EAGAIN (got '" + error + "')");
    point.once = (*table)["once"].value_or(false);
    profile.plan.points.push_back(std::move(point));
  }
  // "switched": the test switches the points on and off while the program runs.
  profile.plan.on_at_start = !root["switched"].value_or(false);
  profile.plan.remote_control = !profile.plan.on_at_start;
  return profile;
}

}  // namespace forklab
