#include "i18n/usage_errors.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include <optional>
#include <regex>
#include <utility>
#include <vector>

#include "i18n/messages.h"

namespace forklab {
namespace {

/// One shape of CLI11's messages: the regex it matches whole, and the sentence it says, each
/// `{}` one of the regex's groups in order.
struct Shape {
  std::regex english;
  const char* sentence;
};

// CLI11 2.1's messages (CLI/Error.hpp, CLI/Validators.hpp), the most specific first.
const std::vector<Shape>& Shapes() {
  static const std::vector<Shape> shapes = {
      {std::regex("A subcommand is required"), TrLater("a subcommand is required")},
      {std::regex(R"(Requires at least (\d+) subcommands)"),
       TrLater("at least {} subcommands are required")},
      {std::regex("The following arguments? (?:was|were) not expected: (.*)"),
       TrLater("unexpected arguments: {}")},
      {std::regex(R"((\S+) is required)"), TrLater("{} is required")},
      {std::regex(R"((\S+) excludes (\S+))"), TrLater("{} and {} exclude each other")},
      {std::regex(R"((\S+) requires (\S+))"), TrLater("{} needs {} too")},
      {std::regex(R"(The value (.*) is not an allowed value for (\S+))"),
       TrLater("{} is not an allowed value of {}")},
      {std::regex(R"(Could not convert: (\S+) = (.*))"), TrLater("{} cannot take the value {}")},
      {std::regex(R"((\S+): (\d+) required (\S+) missing)"), TrLater("{} needs {} {} value(s)")},
      {std::regex(R"(Expected (?:exactly|at least) (\d+) arguments to (\S+), got (\d+))"),
       TrLater("{} value(s) expected for {}, got {}")},
      {std::regex(R"((\S+) not found)"), TrLater("no option {}")},
      {std::regex(R"(Value (.*) not in range (\S+) to (\S+))"),
       TrLater("{} is not in the range {} to {}")},
      {std::regex(R"(Value (.*) could not be converted)"), TrLater("{} is not a valid value")},
      {std::regex(R"(Failed parsing (.*) as a (\S+))"), TrLater("{} is not a valid value")},
      {std::regex(R"((.*) not in (\{.*\}))"), TrLater("{} is not one of {}")},
      {std::regex(R"(File does not exist: (.*))"), TrLater("no such file: {}")},
      {std::regex(R"(Directory does not exist: (.*))"), TrLater("no such directory: {}")},
      {std::regex(R"(Path does not exist: (.*))"), TrLater("no such file or directory: {}")},
      {std::regex(R"(File is actually a directory: (.*))"), TrLater("a directory, not a file: {}")},
      {std::regex(R"(Directory is actually a file: (.*))"), TrLater("a file, not a directory: {}")},
  };
  return shapes;
}

// `english` translated when it has one of the Shapes().
std::optional<std::string> Translated(const std::string& english) {
  std::smatch match;
  for (const Shape& shape : Shapes()) {
    if (!std::regex_match(english, match, shape.english)) continue;
    fmt::dynamic_format_arg_store<fmt::format_context> args;
    for (size_t group = 1; group < match.size(); ++group) args.push_back(match[group].str());
    try {
      return fmt::vformat(Tr(std::string(shape.sentence)), args);
    } catch (const fmt::format_error&) {
      return fmt::vformat(shape.sentence, args);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string TranslatedUsageError(const std::string& english) {
  if (CurrentLanguage() == "en") return english;  // CLI11's own words
  // A validator's message after the option's name: "--jobs: Value 0 not in range 1 to 64".
  static const std::regex named(R"((-{1,2}[^\s:]+|[A-Z_]+): (.*))");
  std::smatch match;
  if (std::regex_match(english, match, named))
    if (std::optional<std::string> rest = Translated(match[2].str()))
      return Tr("{}: {}", match[1].str(), *rest);
  return Translated(english).value_or(english);
}

}  // namespace forklab
