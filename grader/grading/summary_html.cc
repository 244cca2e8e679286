#include "grading/summary_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>

#include "harness/subprocess.h"
#include "i18n/messages.h"

namespace forklab {
namespace {

constexpr const char* kStyle = R"(<style>
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1, h2 { font-weight: 600; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.histograms { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 0.3em; }
svg text { font-size: 10px; fill: #333; }
.bar { fill: #4a78b8; }
pre { margin: 0; font-size: 12px; }
.match { background: #ffe08a; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
</style>)";

std::string Escape(const std::string& text) {
  std::string escaped;
  for (char c : text) switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        escaped += c;
    }
  return escaped;
}

std::string Page(const std::string& title, const std::string& body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n"
      "{}\n</head>\n<body>\n<h1>{}</h1>\n{}</body>\n</html>\n",
      CurrentLanguage(), Escape(title), kStyle, Escape(title), body);
}

/// A bar chart of `counts`, one bar per label, as inline SVG.
std::string Histogram(const std::string& caption, const std::vector<std::string>& labels,
                      const std::vector<int>& counts) {
  int most = std::max(1, *std::max_element(counts.begin(), counts.end()));
  const int bar = 28, height = 120, top = 14, bottom = 30;
  int width = static_cast<int>(counts.size()) * bar + 10;
  std::string bars;
  for (size_t i = 0; i < counts.size(); ++i) {
    int h = counts[i] * height / most;
    int x = 5 + static_cast<int>(i) * bar;
    bars += fmt::format(
        "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}: {}</title>"
        "</rect>\n<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
        x, top + height - h, bar - 4, h, Escape(labels[i]), counts[i], x + bar / 2 - 2,
        top + height - h - 3, counts[i] ? std::to_string(counts[i]) : "", x + bar / 2 - 2,
        top + height + 12 + (i % 2) * 10, Escape(labels[i]));
  }
  return fmt::format(
      "<figure class=\"histogram\"><figcaption>{}</figcaption>\n<svg role=\"img\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\">\n{}</svg></figure>\n",
      Escape(caption), width, top + height + bottom, width, top + height + bottom, bars);
}

/// One check's failures across the class.
struct Failures {
  std::string lab, test, title, lesson;
  int count = 0;
};

}  // namespace

double MeasuredSpeedup(const std::string& detail) {
  // As sum_speedup.cc says it, in English or in Chinese.
  static const std::regex kSpeedup(
      R"((?:speedup with \d+ workers: |\d+ 个工作者的加速比：)([0-9.]+)(?:x| 倍))");
  std::smatch match;
  return std::regex_search(detail, match, kSpeedup) ? std::stod(match[1]) : -1;
}

std::string SideBySideFile(const SimilarPair& pair) {
  return fmt::format("similarity/{}-{}-{}.html", pair.lab, pair.a, pair.b);
}

std::string SummaryHtml(const std::vector<StoredResult>& results,
                        const std::vector<SimilarPair>& similar) {
  std::string body;
  size_t graded = std::count_if(results.begin(), results.end(),
                                [](const StoredResult& stored) { return stored.graded; });
  body +=
      "<p>" + Escape(Tr("{} of {} submissions were graded.", graded, results.size())) + "</p>\n";
  if (graded < results.size()) {
    body += fmt::format("<h2>{}</h2>\n<table><tr><th>{}</th><th>{}</th></tr>\n",
                        Escape(Tr("Not graded")), Escape(Tr("student")), Escape(Tr("why")));
    for (const StoredResult& stored : results)
      if (!stored.graded)
        body += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", Escape(stored.student_id),
                            Escape(stored.problem));
    body += "</table>\n";
  }

  // Per lab: a histogram of scores in tenths; per check: its failures; the sums' speedups.
  std::vector<std::string> labs;
  std::map<std::string, std::vector<int>> tenths;
  std::map<std::string, Failures> failures;
  std::vector<double> speedups;
  for (const StoredResult& stored : results) {
    if (!stored.graded) continue;
    for (const nlohmann::json& lab : stored.result.at("labs")) {
      std::string name = lab.at("lab").get<std::string>();
      if (!tenths.contains(name)) {
        labs.push_back(name);
        tenths[name].assign(10, 0);
      }
      double total = lab.at("total").get<double>();
      double share = total > 0 ? lab.at("earned").get<double>() / total : 0;
      ++tenths[name][std::min(9, static_cast<int>(share * 10))];
      for (const nlohmann::json& check : lab.at("checks")) {
        std::string test = check.value("test", "");
        std::string outcome = check.at("outcome").get<std::string>();
        if (test.starts_with("SumSpeedup.") && outcome == "passed")
          if (double speedup = MeasuredSpeedup(check.value("detail", "")); speedup >= 0)
            speedups.push_back(speedup);
        if (outcome == "passed" || outcome == "skipped") continue;
        Failures& failed = failures[name + "/" + test];
        failed.lab = name;
        failed.test = test;
        failed.title = check.value("title", "");
        if (failed.lesson.empty()) failed.lesson = check.value("hint", "");
        ++failed.count;
      }
    }
  }
  if (!labs.empty()) {
    body += "<h2>" + Escape(Tr("Scores per lab")) + "</h2>\n<div class=\"histograms\">\n";
    std::vector<std::string> bins;
    for (int i = 0; i < 10; ++i) bins.push_back(fmt::format("{}%", i * 10));
    for (const std::string& lab : labs)
      body += Histogram(Tr("{}: submissions per score (share of the lab's points)", lab), bins,
                        tenths[lab]);
    body += "</div>\n";
  }

  std::vector<Failures> most;
  for (const auto& [key, failed] : failures) most.push_back(failed);
  std::stable_sort(most.begin(), most.end(),
                   [](const Failures& a, const Failures& b) { return a.count > b.count; });
  if (most.size() > 20) most.resize(20);
  if (!most.empty()) {
    body += fmt::format(
        "<h2>{}</h2>\n<table id=\"most-failed\"><tr><th>{}</th><th>{}</th><th>{}</th>"
        "<th>{}</th></tr>\n",
        Escape(Tr("Checks failed most often")), Escape(Tr("failed by")), Escape(Tr("lab")),
        Escape(Tr("check")), Escape(Tr("the lesson")));
    for (const Failures& failed : most)
      body += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}<br><small>{}</small></td><td>{}</td></tr>\n",
          Escape(Tr("{} of {}", failed.count, graded)), Escape(failed.lab), Escape(failed.title),
          Escape(failed.test), Escape(failed.lesson));
    body += "</table>\n";
  }

  if (!speedups.empty()) {
    std::vector<std::string> bins;
    std::vector<int> counts(10, 0);
    for (int i = 0; i < 10; ++i) bins.push_back(fmt::format("{:.1f}x", i * 0.25));
    for (double speedup : speedups) ++counts[std::clamp(static_cast<int>(speedup / 0.25), 0, 9)];
    body += "<h2>" + Escape(Tr("Speedup of the sum labs")) + "</h2>\n<div class=\"histograms\">\n";
    body += Histogram(Tr("submissions per measured speedup with 2 workers"), bins, counts);
    body += "</div>\n";
  }

  body += "<h2>" + Escape(Tr("Similar submissions")) + "</h2>\n";
  if (similar.empty()) {
    body += "<p>" +
            Escape(Tr("No pair of submissions shares code beyond the starter code above the "
                      "threshold.")) +
            "</p>\n";
  } else {
    body +=
        fmt::format("<table id=\"similar\"><tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr>\n",
                    Escape(Tr("lab")), Escape(Tr("pair")), Escape(Tr("shares")));
    for (const SimilarPair& pair : similar)
      body +=
          fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">{}</a></td></tr>\n",
                      Escape(pair.lab), Escape(Tr("{} and {}", pair.a, pair.b)),
                      Escape(Tr("{}% of {}'s code is in {}'s; {}% of {}'s is in {}'s", pair.share_a,
                                pair.a, pair.b, pair.share_b, pair.b, pair.a)),
                      Escape(SideBySideFile(pair)), Escape(Tr("side by side")));
    body += "</table>\n<p>" +
            Escape(Tr("A pair is listed for an instructor to judge; it is no verdict.")) + "</p>\n";
  }
  return Page(Tr("Class summary"), body);
}

std::string SideBySideHtml(const SimilarPair& pair, const std::string& code_a,
                           const std::string& code_b) {
  auto column = [](const std::string& id, const std::string& code,
                   const std::vector<std::pair<int, int>>& runs) {
    std::string html = fmt::format("<div><h2>{}</h2>\n<pre>", Escape(id));
    std::vector<std::string> lines = SplitLines(code);
    for (size_t i = 0; i < lines.size(); ++i) {
      int number = static_cast<int>(i) + 1;
      bool matched = std::any_of(runs.begin(), runs.end(), [&](const auto& run) {
        return run.first <= number && number <= run.second;
      });
      html += fmt::format("<span{}>{:4} {}</span>\n", matched ? " class=\"match\"" : "", number,
                          Escape(lines[i]));
    }
    return html + "</pre></div>\n";
  };
  std::vector<std::pair<int, int>> runs_a, runs_b;
  for (const auto& [a, b] : pair.runs) {
    runs_a.push_back(a);
    runs_b.push_back(b);
  }
  std::string body = fmt::format(
      "<p>{}</p>\n<div class=\"side\">\n{}{}</div>\n",
      Escape(Tr("{}% of {}'s code is in {}'s; {}% of {}'s is in {}'s. Highlighted: the matching "
                "runs, starter code left out.",
                pair.share_a, pair.a, pair.b, pair.share_b, pair.b, pair.a)),
      column(pair.a, code_a, runs_a), column(pair.b, code_b, runs_b));
  return Page(Tr("{}: {} and {} side by side", pair.lab, pair.a, pair.b), body);
}

}  // namespace forklab
