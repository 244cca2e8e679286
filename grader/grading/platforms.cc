#include "grading/platforms.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>
#include <utility>

#include "grading/html_report.h"
#include "i18n/messages.h"

namespace forklab {
namespace {

/// Every format and its name, in the order of the enum.
constexpr std::pair<Format, const char*> kFormats[] = {{Format::kJson, "json"},
                                                       {Format::kJunit, "junit"},
                                                       {Format::kGradescope, "gradescope"},
                                                       {Format::kPrairieLearn, "prairielearn"},
                                                       {Format::kAutolab, "autolab"},
                                                       {Format::kClassroom, "classroom"},
                                                       {Format::kMarkdown, "markdown"},
                                                       {Format::kHtml, "html"}};

/// A program's output may hold any bytes: invalid UTF-8 becomes U+FFFD rather than an error.
std::string Dump(const nlohmann::json& json, int indent = -1) {
  return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// Platforms cap what they store (PrairieLearn refuses a result over 1 MB): one check's
/// feedback is cut here, with a note, so forty failing checks still fit.
constexpr size_t kFeedbackLimit = 16 << 10;

bool Withheld(const CheckReport& check, bool show_hidden) {
  return check.entry.hidden && !show_hidden;
}

bool Passed(const CheckReport& check) {
  return check.result.outcome == Outcome::kPassed && check.result.fraction >= 1;
}

std::string Title(const CheckReport& check, bool show_hidden) {
  return Withheld(check, show_hidden) ? Tr("hidden check") : check.entry.title;
}

std::string Cut(std::string text) {
  if (text.size() <= kFeedbackLimit) return text;
  size_t cut = kFeedbackLimit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return text.substr(0, cut) + "\n" + Tr("[... {} more bytes]", text.size() - cut);
}

}  // namespace

std::string Feedback(const CheckReport& check, const LabReport& lab, bool show_hidden) {
  if (Withheld(check, show_hidden)) return Tr(OutcomeName(check.result.outcome));
  std::string text = Tr(OutcomeName(check.result.outcome));
  if (check.result.outcome == Outcome::kNotBuilt) return Cut(text + "\n" + lab.build_log);
  if (!check.result.detail.empty()) text += "\n" + check.result.detail;
  if (std::string hint = check.hint(); !Passed(check) && !hint.empty())
    text += "\n" + Tr("hint: ") + hint;
  return Cut(text);
}

namespace {

/// The total in one line: "forklab: 58/61 (95.1%)", and "incomplete" when interrupted or
/// when checks were inconclusive.
std::string Headline(const GradeReport& report) {
  return fmt::format("forklab: {:g}/{:g} ({:.1f}%){}", report.earned(), report.total(),
                     report.percent(),
                     !report.complete              ? Tr(", incomplete: interrupted")
                     : !report.RerunArgs().empty() ? Tr(", incomplete: checks to rerun")
                                                   : std::string());
}

double Seconds(const GradeReport& report) {
  double seconds = 0;
  for (const LabReport& lab : report.labs)
    for (const CheckReport& check : lab.checks) seconds += check.result.time.count();
  return seconds;
}

std::string Summary(const GradeReport& report) {
  std::string text = Headline(report) + "\n";
  for (const LabReport& lab : report.labs)
    text += fmt::format("  {:<24} {:g}/{:g}{}\n", lab.lab, lab.earned(), lab.total(),
                        lab.build_log.empty() ? "" : "  " + Tr("did not build"));
  for (const std::string& warning : report.warnings) text += Tr("warning: ") + warning + "\n";
  return text;
}

nlohmann::json Gradescope(const GradeReport& report, bool show_hidden) {
  nlohmann::json tests = nlohmann::json::array();
  for (size_t l = 0; l < report.labs.size(); ++l) {
    const LabReport& lab = report.labs[l];
    for (size_t c = 0; c < lab.checks.size(); ++c) {
      const CheckReport& check = lab.checks[c];
      bool skipped = check.result.outcome == Outcome::kSkipped;
      nlohmann::json test = {{"name", lab.lab + ": " + Title(check, show_hidden)},
                             {"number", fmt::format("{}.{}", l + 1, c + 1)},
                             {"score", check.earned()},
                             // A skipped check leaves the total, as in forklab's own report.
                             {"max_score", skipped ? 0.0 : check.entry.points},
                             {"output", Feedback(check, lab, show_hidden)},
                             {"tags", {lab.lab, OutcomeName(check.result.outcome)}},
                             {"visibility", check.entry.hidden ? "hidden" : "visible"}};
      if (!skipped) test["status"] = Passed(check) ? "passed" : "failed";
      tests.push_back(std::move(test));
    }
  }
  nlohmann::json results = {{"execution_time", Seconds(report)}, {"output", Summary(report)},
                            {"output_format", "text"},           {"test_output_format", "text"},
                            {"visibility", "visible"},           {"stdout_visibility", "hidden"},
                            {"tests", std::move(tests)}};
  // The speedups measured go to the leaderboard, the highest first.
  nlohmann::json leaderboard = nlohmann::json::array();
  for (const LabReport& lab : report.labs)
    for (const CheckReport& check : lab.checks)
      if (const auto& speedup = check.result.speedup; speedup && !speedup->workers.empty())
        leaderboard.push_back(
            {{"name", Tr("{}: speedup with {} workers", lab.lab, speedup->workers.back())},
             {"value", std::round(speedup->submission.back() * 100) / 100},
             {"order", "desc"}});
  if (!leaderboard.empty()) results["leaderboard"] = std::move(leaderboard);
  return results;
}

nlohmann::json PrairieLearn(const GradeReport& report, bool show_hidden) {
  nlohmann::json tests = nlohmann::json::array();
  for (const LabReport& lab : report.labs) {
    for (const CheckReport& check : lab.checks) {
      bool skipped = check.result.outcome == Outcome::kSkipped;
      tests.push_back({{"name", lab.lab + ": " + Title(check, show_hidden)},
                       {"description", Withheld(check, show_hidden) ? "" : check.entry.test},
                       {"points", check.earned()},
                       {"max_points", skipped ? 0.0 : check.entry.points},
                       {"message", Feedback(check, lab, show_hidden)},
                       {"output", ""}});
    }
  }
  double score = report.total() > 0 ? report.earned() / report.total() : 0;
  return {{"gradable", true},
          {"score", score},
          {"message", Headline(report)},
          {"output", Summary(report)},
          {"tests", std::move(tests)}};
}

nlohmann::json Classroom(const GradeReport& report, bool show_hidden) {
  nlohmann::json tests = nlohmann::json::array();
  bool all_passed = true;
  for (const LabReport& lab : report.labs) {
    for (const CheckReport& check : lab.checks) {
      Outcome outcome = check.result.outcome;
      bool error = outcome == Outcome::kNotBuilt || outcome == Outcome::kTimedOut ||
                   outcome == Outcome::kCrashed || outcome == Outcome::kKilled;
      bool passed = Passed(check) || outcome == Outcome::kSkipped;
      all_passed = all_passed && passed;
      tests.push_back(
          {{"name", lab.lab + ": " + Title(check, show_hidden)},
           {"status", passed  ? "pass"
                      : error ? "error"
                              : "fail"},
           {"score", check.earned()},
           {"message", Feedback(check, lab, show_hidden)},
           {"test_code", Withheld(check, show_hidden) ? "" : lab.lab + " " + check.entry.test},
           {"filename", lab.source()},
           {"line_no", 0},
           {"duration", static_cast<long>(check.result.time.count() * 1000)}});
    }
  }
  return {{"version", 1},
          {"status", !report.complete ? "error"
                     : all_passed     ? "pass"
                                      : "fail"},
          {"max_score", report.total()},
          {"tests", std::move(tests)}};
}

/// Autolab parses only the last line, after rewriting every `word:` to `"word":`; it holds
/// names and numbers alone. The line before it is Autolab's formatted feedback.
std::string Autolab(const GradeReport& report, bool show_hidden) {
  nlohmann::json scores = nlohmann::json::object();
  nlohmann::json scoreboard = {report.earned()};
  nlohmann::json stages = nlohmann::json::array();
  nlohmann::json feedback = {{"_presentation", "semantic"}};
  for (const LabReport& lab : report.labs) {
    scores[lab.lab] = lab.earned();
    scoreboard.push_back(lab.earned());
    stages.push_back(lab.lab);
    nlohmann::json checks = nlohmann::json::object();
    for (size_t c = 0; c < lab.checks.size(); ++c) {
      const CheckReport& check = lab.checks[c];
      std::string name =
          Withheld(check, show_hidden) ? Tr("hidden check {}", c + 1) : check.entry.title;
      checks[name] = {{"passed", Passed(check) || check.result.outcome == Outcome::kSkipped},
                      {"hint", Feedback(check, lab, show_hidden)}};
    }
    feedback[lab.lab] = std::move(checks);
  }
  feedback["stages"] = std::move(stages);
  return Summary(report) + Dump(feedback) + "\n" +
         Dump({{"scores", std::move(scores)}, {"scoreboard", std::move(scoreboard)}}) + "\n";
}

}  // namespace

std::string Xml(std::string_view raw) {
  std::string out;
  for (char c : ValidUtf8(raw)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else
          out += c;
    }
  }
  return out;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
    unsigned char lead = byte(i);
    size_t length = lead < 0x80           ? 1
                    : (lead >> 5) == 0x6  ? 2
                    : (lead >> 4) == 0xE  ? 3
                    : (lead >> 3) == 0x1E ? 4
                                          : 0;
    bool valid = length > 0 && i + length <= text.size() && (length != 2 || lead >= 0xC2) &&
                 (length != 4 || lead <= 0xF4);
    for (size_t k = 1; valid && k < length; ++k) valid = (byte(i + k) & 0xC0) == 0x80;
    // Overlong three-byte forms and UTF-16 surrogates are not UTF-8 either.
    if (valid && length == 3)
      valid = !(lead == 0xE0 && byte(i + 1) < 0xA0) && !(lead == 0xED && byte(i + 1) >= 0xA0);
    if (valid && length == 4)
      valid = !(lead == 0xF0 && byte(i + 1) < 0x90) && !(lead == 0xF4 && byte(i + 1) >= 0x90);
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

namespace {

std::string Junit(const GradeReport& report, bool show_hidden) {
  std::ostringstream xml;
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml << fmt::format("<testsuites name=\"forklab\" time=\"{:.3f}\">\n", Seconds(report));
  for (const LabReport& lab : report.labs) {
    int failures = 0, errors = 0, skipped = 0;
    double seconds = 0;
    std::ostringstream cases;
    for (const CheckReport& check : lab.checks) {
      seconds += check.result.time.count();
      cases << fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\" file=\"{}\"",
                           Xml(lab.lab), Xml(Title(check, show_hidden)), check.result.time.count(),
                           Xml(lab.source()));
      Outcome outcome = check.result.outcome;
      std::string feedback = Xml(Feedback(check, lab, show_hidden));
      std::string points = fmt::format("{:g}/{:g}", check.earned(), check.entry.points);
      if (Passed(check)) {
        cases << "/>\n";
      } else if (outcome == Outcome::kSkipped) {
        ++skipped;
        cases << ">\n      <skipped message=\"" << feedback << "\"/>\n    </testcase>\n";
      } else {
        bool failed = outcome == Outcome::kFailed || outcome == Outcome::kPassed;
        (failed ? failures : errors)++;
        cases << fmt::format(
            ">\n      <{0} message=\"{1}: {2}\" type=\"{1}\">{3}</{0}>\n"
            "    </testcase>\n",
            failed ? "failure" : "error", OutcomeName(outcome), points, feedback);
      }
    }
    xml << fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
        "time=\"{:.3f}\">\n",
        Xml(lab.lab), lab.checks.size(), failures, errors, skipped, seconds);
    xml << cases.str() << "  </testsuite>\n";
  }
  xml << "</testsuites>\n";
  return xml.str();
}

/// A Markdown table cell: one line, no column break.
std::string Cell(std::string_view raw) {
  std::string text = ValidUtf8(raw);
  for (char& c : text)
    if (c == '\n') c = ' ';
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string Markdown(const GradeReport& report, bool show_hidden) {
  std::ostringstream md;
  md << "## " << Headline(report) << "\n\n| " << Tr("lab") << " | " << Tr("points")
     << " |\n|---|---:|\n";
  for (const LabReport& lab : report.labs)
    md << fmt::format("| {} | {:g}/{:g}{} |\n", Cell(lab.lab), lab.earned(), lab.total(),
                      lab.build_log.empty() ? "" : " (" + Tr("did not build") + ")");
  bool heading = false;
  for (const LabReport& lab : report.labs) {
    for (const CheckReport& check : lab.checks) {
      if (Passed(check) || check.result.outcome == Outcome::kSkipped) continue;
      if (!heading) md << "\n### " << Tr("Checks to fix") << "\n";
      heading = true;
      md << fmt::format("\n**{}**: {} ({:g}/{:g}, {})\n\n```text\n{}\n```\n", lab.lab,
                        Title(check, show_hidden), check.earned(), check.entry.points,
                        Tr(OutcomeName(check.result.outcome)),
                        ValidUtf8(Feedback(check, lab, show_hidden)));
    }
  }
  for (const std::string& warning : report.warnings)
    md << "\n> " << Tr("warning: ") << warning << "\n";
  return md.str();
}

}  // namespace

const char* FormatName(Format format) {
  for (const auto& [known, name] : kFormats)
    if (known == format) return name;
  return "json";
}

std::optional<Format> ParseFormat(std::string_view name) {
  for (const auto& [format, known] : kFormats)
    if (name == known) return format;
  return std::nullopt;
}

const std::vector<Format>& AllFormats() {
  static const std::vector<Format> formats = [] {
    std::vector<Format> all;
    for (const auto& [format, name] : kFormats) all.push_back(format);
    return all;
  }();
  return formats;
}

std::string Render(const GradeReport& report, Format format, bool show_hidden) {
  switch (format) {
    case Format::kJson:
      return Dump(ToJson(report, show_hidden), 2) + "\n";
    case Format::kJunit:
      return Junit(report, show_hidden);
    case Format::kGradescope:
      return Dump(Gradescope(report, show_hidden), 2) + "\n";
    case Format::kPrairieLearn:
      return Dump(PrairieLearn(report, show_hidden), 2) + "\n";
    case Format::kAutolab:
      return Autolab(report, show_hidden);
    case Format::kClassroom:
      return Dump(Classroom(report, show_hidden)) + "\n";
    case Format::kMarkdown:
      return Markdown(report, show_hidden);
    case Format::kHtml:
      return HtmlReport(report, show_hidden);
  }
  return "";
}

}  // namespace forklab
