// A grade report in each grading platform's own format (see grader/schemas/ for the formats,
// each schema citing the platform's documentation).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grading/report.h"

namespace forklab {

/// The file formats `forklab grade --format` writes, besides the terminal text.
enum class Format {
  kJson,          // forklab's own result (grader/schemas/forklab-result.schema.json)
  kJunit,         // JUnit XML: one testsuite per lab, one testcase per check (GitLab, Jenkins)
  kGradescope,    // /autograder/results/results.json
  kPrairieLearn,  // /grade/results/results.json
  kAutolab,       // the output whose last line Autolab parses
  kClassroom,     // GitHub Classroom's grading-reporter JSON (before base64)
  kMarkdown,      // a summary for $GITHUB_STEP_SUMMARY or a merge request
  kHtml,          // one self-contained page with process timelines (grading/html_report.h)
};

/// "json", "junit", "gradescope", "prairielearn", "autolab", "classroom", "markdown", "html".
const char* FormatName(Format format);
/// The format called `name`, or nullopt.
std::optional<Format> ParseFormat(std::string_view name);
/// Every format, in the order above (for usage messages and tests).
const std::vector<Format>& AllFormats();

/// `report` rendered as `format` reads it. Hidden checks keep their details withheld unless
/// `show_hidden`, as in the text report. The text ends with a newline.
std::string Render(const GradeReport& report, Format format, bool show_hidden);

/// What a student reads about one check: the outcome, what was observed and the lesson (or
/// the build log), cut to a size every platform stores.
std::string Feedback(const CheckReport& check, const LabReport& lab, bool show_hidden);

/// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD,
/// so formats that must be UTF-8 (XML, Markdown, HTML) stay readable whatever a program printed.
std::string ValidUtf8(std::string_view text);

/// XML 1.0 text, and so HTML text too: valid UTF-8, the five entities escaped, and the control
/// bytes XML cannot hold shown as "\xNN" (a program's output may contain any byte).
std::string Xml(std::string_view raw);

}  // namespace forklab
