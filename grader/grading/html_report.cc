#include "grading/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "grading/platforms.h"
#include "i18n/messages.h"

namespace forklab {
namespace {

/// HTML text: the XML escaping suits it.
std::string Escape(std::string_view raw) {
  return Xml(raw);
}

std::string Points(double value) {
  return fmt::format("{:g}", std::round(value * 100) / 100);
}

constexpr char kStyle[] = R"(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif;
 margin:0;background:#f4f6f8;color:#1d2630}
main{max-width:980px;margin:0 auto;padding:24px 20px 60px}
h1{font-size:22px;margin:0 0 4px}
.sub{color:#5b6875;font-size:13px}
.total{display:flex;align-items:center;gap:18px;background:#fff;border-radius:10px;padding:18px 22px;
 box-shadow:0 1px 3px #0002;margin:16px 0 22px}
.big{font-size:34px;font-weight:700}
.bar{flex:1;height:12px;background:#e3e8ee;border-radius:6px;overflow:hidden}
.bar>span{display:block;height:100%;background:linear-gradient(90deg,#2f9e62,#46c37b)}
.labs{border-collapse:collapse;width:100%;background:#fff;border-radius:10px;overflow:hidden;
 box-shadow:0 1px 3px #0002;margin-bottom:22px}
.labs td,.labs th{padding:7px 12px;border-bottom:1px solid #edf0f3;text-align:left}
.labs th{background:#fafbfc;font-size:12px;text-transform:uppercase;color:#5b6875}
.lab{background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002;margin:0 0 18px;padding:14px 18px}
.lab h2{font-size:18px;margin:0;display:flex;gap:12px;align-items:baseline}
.lab h2 .pts{margin-left:auto;font-size:15px;color:#5b6875}
.state{font-size:13px;color:#5b6875}
.notstarted{color:#8a6d00}
details{border-top:1px solid #edf0f3;padding:6px 0}
summary{cursor:pointer;display:flex;gap:10px;align-items:baseline;list-style:none}
summary::-webkit-details-marker{display:none}
.badge{font:600 11px/1 ui-monospace,monospace;padding:4px 6px;border-radius:4px;min-width:44px;
 text-align:center;color:#fff}
.passed{background:#2f9e62}.failed,.crashed,.killed,.timed.out,.did.not.build{background:#d64545}
.skipped{background:#c7a008}.partial{background:#e08a1e}
summary .title{flex:1}
details.more{border:0}details.more>summary{color:#3b6fb6;font-size:13px}
summary .p{font:13px ui-monospace,monospace;color:#5b6875}
pre{white-space:pre-wrap;background:#f6f8fa;border-radius:6px;padding:8px 10px;margin:8px 0;
 font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
.hint{background:#eef6ff;border-left:3px solid #3b82f6;padding:6px 10px;margin:8px 0;border-radius:4px}
figure{margin:8px 0}
figcaption{font-size:12px;color:#5b6875}
svg text{font:11px system-ui,sans-serif;fill:#33404d}
.legend span{display:inline-block;margin-right:14px;font-size:12px;color:#5b6875}
.legend i{display:inline-block;width:14px;height:9px;margin-right:4px;vertical-align:middle;border-radius:2px}
)";

/// The badge class and text of a check's outcome.
std::pair<std::string, std::string> Badge(const CheckReport& check) {
  const char* name = OutcomeName(check.result.outcome);
  if (check.result.outcome == Outcome::kPassed && check.result.fraction < 1)
    return {"partial", Tr("PARTIAL")};
  std::string upper = check.result.outcome == Outcome::kPassed    ? Tr("PASS")
                      : check.result.outcome == Outcome::kSkipped ? Tr("SKIP")
                                                                  : Tr("FAIL");
  return {name, upper};
}

// The timeline's geometry: labels on the left, time to the right.
constexpr double kLabelWidth = 150, kPlotWidth = 640, kLane = 15, kChart = 46;
constexpr size_t kMaxLanes = 40;
constexpr size_t kOpenLanes = 12;  // more: the timeline starts folded

double X(double at, double ended) {
  return kLabelWidth + (ended > 0 ? at / ended : 0) * kPlotWidth;
}

/// A step line of one count over the samples, in a band `height` high starting at `top`.
std::string StepChart(const ProcessTimeline& timeline, int ProcessTimeline::Sample::*count,
                      double top, const char* colour, const std::string& label) {
  int peak = 1;
  for (const auto& sample : timeline.samples) peak = std::max(peak, sample.*count);
  auto y = [&](int value) { return top + kChart - 6 - (kChart - 12) * value / peak; };
  std::string path;
  double last_y = y(0);
  for (const auto& sample : timeline.samples) {
    double x = X(sample.at, timeline.ended);
    path += fmt::format("{}{:.1f},{:.1f} L{:.1f},{:.1f} ", path.empty() ? "M" : "L", x, last_y, x,
                        y(sample.*count));
    last_y = y(sample.*count);
  }
  path += fmt::format("L{:.1f},{:.1f}", X(timeline.ended, timeline.ended), last_y);
  return fmt::format(
      R"(<text x="4" y="{:.1f}">{}</text><text x="{:.1f}" y="{:.1f}" text-anchor="end">{}</text>)"
      R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#dde3e9"/>)"
      R"(<path class="{}" d="{}" fill="none" stroke="{}" stroke-width="1.6"/>)",
      top + kChart / 2 + 4, Escape(label), kLabelWidth - 6, y(peak) + 4, peak, kLabelWidth,
      kLabelWidth + kPlotWidth, y(0), y(0), "count", path, colour);
}

/// The check's process timeline as inline SVG.
std::string TimelineSvg(const ProcessTimeline& timeline, bool connections) {
  std::vector<const ProcessTimeline::Process*> lanes;
  for (const auto& process : timeline.processes) lanes.push_back(&process);
  std::stable_sort(lanes.begin(), lanes.end(),
                   [](auto* a, auto* b) { return a->started < b->started; });
  size_t not_drawn = lanes.size() > kMaxLanes ? lanes.size() - kMaxLanes : 0;
  lanes.resize(std::min(lanes.size(), kMaxLanes));
  double ended = std::max(timeline.ended, 1e-3);
  double axis = 18, lanes_top = axis + 6;
  double charts_top = lanes_top + kLane * lanes.size() + 8;
  int charts = connections ? 2 : 1;
  double height = charts_top + charts * kChart + 4;
  std::string svg = fmt::format(
      R"(<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {:.0f}" )"
      R"(width="100%" role="img" aria-label="{}">)",
      kLabelWidth + kPlotWidth + 10, height, Escape(Tr("process timeline")));
  // The time axis: about six ticks at round steps.
  double step = std::pow(10, std::floor(std::log10(ended / 5)));
  for (double nice : {1.0, 2.0, 5.0, 10.0})
    if (ended / (step * nice) <= 7) {
      step *= nice;
      break;
    }
  for (double t = 0; t <= ended + 1e-9; t += step) {
    double x = X(t, ended);
    svg += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2:.0f}" stroke="#eef1f4"/>)"
                       R"(<text x="{0:.1f}" y="12" text-anchor="middle">{3:g} s</text>)",
                       x, axis, height, std::round(t * 1000) / 1000);
  }
  std::map<int, double> lane_of;  // pid -> the y of its lane's middle
  for (size_t i = 0; i < lanes.size(); ++i) lane_of[lanes[i]->pid] = lanes_top + kLane * i + 7;
  for (const auto* process : lanes) {
    double y = lane_of[process->pid];
    double start = X(process->started, ended);
    double exit = X(process->exited.value_or(ended), ended);
    double reap = X(process->reaped.value_or(ended), ended);
    svg += fmt::format(R"(<text x="4" y="{:.1f}">{} {}</text>)", y + 4,
                       Escape(process->name.substr(0, 16)), process->pid);
    if (auto parent = lane_of.find(process->ppid); parent != lane_of.end())
      svg += fmt::format(
          R"(<line class="fork" x1="{0:.1f}" x2="{0:.1f}" y1="{1:.1f}" y2="{2:.1f}" )"
          R"(stroke="#7a8896" stroke-dasharray="2 2"><title>{3}</title></line>)",
          start, parent->second, y, Escape(Tr("fork: {} started {}", process->ppid, process->pid)));
    svg += fmt::format(
        R"(<rect class="running" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="9" rx="2" )"
        R"(fill="#4f8fd8"><title>{}</title></rect>)",
        start, y - 4.5, std::max(exit - start, 1.0),
        Escape(Tr("{} {}: running {:.3f} s to {:.3f} s", process->name, process->pid,
                  process->started, process->exited.value_or(ended))));
    svg +=
        fmt::format(R"(<path class="forked" d="M{0:.1f},{1:.1f} l4,-5 l-8,0 z" fill="#25568f"/>)",
                    start, y - 4.5);
    if (process->exited && process->reaped && *process->reaped > *process->exited)
      svg += fmt::format(
          R"(<rect class="zombie" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="9" rx="2" )"
          R"(fill="#e5484d" fill-opacity="0.85"><title>{}</title></rect>)",
          exit, y - 4.5, std::max(reap - exit, 1.0),
          Escape(Tr("zombie: exited at {:.3f} s, not reaped until {:.3f} s", *process->exited,
                    *process->reaped)));
    if (process->exited)
      svg += fmt::format(R"(<text class="exit" x="{:.1f}" y="{:.1f}" text-anchor="middle" )"
                         R"(fill="#1d2630">×</text>)",
                         exit, y + 4);
    if (process->reaped)
      svg +=
          fmt::format(R"(<line class="reap" x1="{0:.1f}" x2="{0:.1f}" y1="{1:.1f}" y2="{2:.1f}" )"
                      R"(stroke="#1d2630" stroke-width="2"/>)",
                      reap, y - 6, y + 6);
  }
  if (not_drawn)
    svg += fmt::format(R"(<text x="{}" y="{:.1f}">{}</text>)", kLabelWidth, charts_top - 2,
                       Escape(Tr("{} more processes are not drawn", not_drawn)));
  svg +=
      StepChart(timeline, &ProcessTimeline::Sample::threads, charts_top, "#7c5cc4", Tr("threads"));
  if (connections)
    svg += StepChart(timeline, &ProcessTimeline::Sample::connections, charts_top + kChart,
                     "#1f9d8f", Tr("client connections"));
  for (const auto& mark : timeline.marks)
    svg += fmt::format(
        R"(<line class="fault" x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2:.0f}" stroke="#e08a1e" )"
        R"(stroke-width="2" stroke-dasharray="5 3"><title>{3}</title></line>)"
        R"(<text x="{4:.1f}" y="{5}" fill="#b36200">{6}</text>)",
        X(mark.at, ended), axis, height, Escape(mark.text), X(mark.at, ended) + 3, axis + 10,
        Escape(Tr("fault")));
  svg += "</svg>";
  std::string legend =
      fmt::format(R"(<div class="legend"><span><i style="background:#4f8fd8"></i>{}</span>)"
                  R"(<span><i style="background:#e5484d"></i>{}</span>)"
                  R"(<span>× {}</span><span>| {}</span><span>┆ {}</span>)",
                  Escape(Tr("running")), Escape(Tr("zombie: exited, not yet reaped")),
                  Escape(Tr("exit")), Escape(Tr("reaped")), Escape(Tr("fork")));
  if (!timeline.marks.empty())
    legend += fmt::format(R"(<span><i style="background:#e08a1e"></i>{}</span>)",
                          Escape(Tr("fault injected")));
  legend += "</div>";
  std::string caption = timeline.capped ? Tr("The program created more processes than the first {} "
                                             "shown here.",
                                             timeline.processes.size())
                                        : "";
  std::string marks;
  for (const auto& mark : timeline.marks)
    marks += fmt::format("<li>{}</li>", Escape(Tr("at {:.2f} s: {}", mark.at, mark.text)));
  if (!marks.empty()) marks = "<ul class=\"state\">" + marks + "</ul>";
  return fmt::format("<figure>{}<figcaption>{}{}</figcaption>{}{}</figure>", svg,
                     Escape(Tr("Processes the check's programs created, sampled from /proc "
                               "while it ran.")) +
                         " ",
                     Escape(caption), legend, marks);
}

/// Speedup against workers: the submission's and the baseline's, as a line chart.
std::string SpeedupSvg(const SpeedupMeasurement& speedup) {
  constexpr double kW = 480, kH = 220, kLeft = 46, kBottom = 30, kTop = 14, kRight = 200;
  int max_workers = 1;
  double max_speedup = 1;
  for (size_t i = 0; i < speedup.workers.size(); ++i) {
    max_workers = std::max(max_workers, speedup.workers[i]);
    max_speedup = std::max({max_speedup, speedup.submission[i], speedup.baseline[i],
                            static_cast<double>(speedup.workers[i])});
  }
  max_speedup = std::ceil(max_speedup * 2) / 2;
  auto x = [&](double workers) {
    return kLeft + (workers - 1) / std::max(1, max_workers - 1) * (kW - kLeft - kRight);
  };
  auto y = [&](double value) { return kH - kBottom - value / max_speedup * (kH - kBottom - kTop); };
  std::string svg =
      fmt::format(R"(<svg class="speedup" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" )"
                  R"(width="480" role="img" aria-label="{}">)",
                  kW, kH, Escape(Tr("speedup chart")));
  for (double v = 0; v <= max_speedup + 1e-9; v += 0.5)
    svg += fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2:.1f}" y2="{2:.1f}" stroke="#eef1f4"/>)"
                       R"(<text x="{3}" y="{4:.1f}" text-anchor="end">{5:g}×</text>)",
                       kLeft, kW - kRight, y(v), kLeft - 6, y(v) + 4, v);
  for (int w : speedup.workers)
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", x(w),
                       kH - kBottom + 16, w);
  svg += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)",
                     (kLeft + kW - kRight) / 2, kH - 2, Escape(Tr("workers")));
  int legend_row = 0;
  auto line = [&](const std::vector<double>& values, const char* colour, const char* dash,
                  const std::string& label, const char* css) {
    std::string points;
    for (size_t i = 0; i < values.size(); ++i)
      points += fmt::format("{:.1f},{:.1f} ", x(speedup.workers[i]), y(values[i]));
    std::string out = fmt::format(
        R"(<polyline class="{}" points="{}" fill="none" stroke="{}" stroke-width="2.5" )"
        R"(stroke-dasharray="{}"/>)",
        css, points, colour, dash);
    for (size_t i = 0; i < values.size(); ++i)
      out += fmt::format(
          R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"><title>{:.2f}×</title></circle>)",
          x(speedup.workers[i]), y(values[i]), colour, values[i]);
    // The legend on the right, one row per line: close values never overlap there.
    out += fmt::format(
        R"(<line x1="{0:.1f}" x2="{1:.1f}" y1="{2:.1f}" y2="{2:.1f}" stroke="{3}" )"
        R"(stroke-width="2.5" stroke-dasharray="{4}"/><text x="{5:.1f}" y="{6:.1f}">{7} {8:.2f}×</text>)",
        x(max_workers) + 12, x(max_workers) + 30, kTop + 8 + 18 * legend_row, colour, dash,
        x(max_workers) + 35, kTop + 12 + 18 * legend_row, Escape(label), values.back());
    ++legend_row;
    return out;
  };
  std::vector<double> ideal;
  for (int w : speedup.workers) ideal.push_back(w);
  svg += line(speedup.submission, "#2f9e62", "", Tr("yours"), "submission");
  svg += line(speedup.baseline, "#7a8896", "6 3", speedup.baseline_name, "baseline");
  svg += line(ideal, "#b8c2cc", "3 3", Tr("ideal"), "ideal");
  svg += "</svg>";
  return fmt::format("<figure>{}<figcaption>{}</figcaption></figure>", svg,
                     Escape(Tr("Speedup against the number of workers: yours, and that of {}, "
                               "measured side by side in the same run.",
                               speedup.baseline_name)));
}

std::string CheckHtml(const CheckReport& check, const LabReport& lab, bool show_hidden) {
  bool withheld = check.entry.hidden && !show_hidden;
  auto [css, text] = Badge(check);
  bool passed = check.result.outcome == Outcome::kPassed && check.result.fraction >= 1;
  std::string body;
  if (!withheld) {
    std::string feedback = Feedback(check, lab, show_hidden);
    // The hint is shown on its own, so it stands out.
    std::string hint_label = "\n" + Tr("hint: ");
    size_t hint = feedback.rfind(hint_label);
    std::string observed = feedback.substr(0, hint);
    if (observed.find('\n') != std::string::npos)
      body += "<pre>" + Escape(observed.substr(observed.find('\n') + 1)) + "</pre>";
    if (hint != std::string::npos)
      body += "<div class=\"hint\"><b>" + Escape(Tr("Hint:")) + "</b> " +
              Escape(feedback.substr(hint + hint_label.size())) + "</div>";
    if (check.result.speedup) body += SpeedupSvg(*check.result.speedup);
    if (check.result.timeline && !check.result.timeline->processes.empty()) {
      std::string svg =
          TimelineSvg(*check.result.timeline, lab.lab.find("echo") != std::string::npos);
      // A check that ran the program many times (the sums' timings) is a wall of short
      // lanes: there the timeline is one click away rather than in the way.
      size_t processes = check.result.timeline->processes.size();
      body +=
          processes <= kOpenLanes
              ? svg
              : fmt::format("<details class=\"more\"><summary>{}</summary>{}</details>",
                            Escape(Tr("Show the process timeline ({} processes)", processes)), svg);
    }
  }
  return fmt::format(
      "<details{}><summary><span class=\"badge {}\">{}</span><span class=\"title\">{}</span>"
      "<span class=\"p\">{}/{}</span></summary>{}</details>\n",
      passed || body.empty() ? "" : " open", css, text,
      Escape(withheld ? Tr("hidden check") : check.entry.title), Points(check.earned()),
      Points(check.entry.points), body);
}

}  // namespace

std::string HtmlReport(const GradeReport& report, bool show_hidden) {
  std::string rows, labs;
  for (const LabReport& lab : report.labs) {
    rows += fmt::format(
        "<tr><td><a href=\"#{0}\">{0}</a></td><td>{1}/{2}</td><td class=\"state\">{3}</td></tr>\n",
        Escape(lab.lab), Points(lab.earned()), Points(lab.total()), Escape(lab.state()));
    std::string body;
    if (!lab.build_log.empty()) {
      body = "<pre>" + Escape(lab.build_log) + "</pre>";
    } else if (lab.not_started()) {
      body = fmt::format(
          "<p class=\"notstarted\">{}</p>",
          Escape(Tr("Not started: {} still says \"not implemented\". Its {} checks will "
                    "appear here once it does something.",
                    lab.source(), lab.checks.size())));
    } else {
      for (const CheckReport& check : lab.checks) body += CheckHtml(check, lab, show_hidden);
    }
    labs += fmt::format(
        "<section class=\"lab\" id=\"{0}\"><h2>{0}<span class=\"state\">{1}</span>"
        "<span class=\"pts\">{2}/{3}</span></h2>\n{4}</section>\n",
        Escape(lab.lab), Escape(lab.state()), Points(lab.earned()), Points(lab.total()), body);
  }
  std::string notes;
  for (const std::string& warning : report.warnings)
    notes += "<p class=\"state\">" + Escape(Tr("warning: ") + warning) + "</p>";
  if (!report.complete)
    notes += "<p class=\"state\">" +
             Escape(Tr("Grading was interrupted: the labs below are those graded.")) + "</p>";
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{9}\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>{10}: {0}/{1}</title><style>{2}</style></head>\n<body><main>"
      "<h1>{10}</h1><div class=\"sub\">{3} · {4}</div>"
      "<div class=\"total\"><div class=\"big\">{0}<span class=\"state\"> / {1}</span></div>"
      "<div class=\"bar\"><span style=\"width:{5:.1f}%\"></span></div><div class=\"big\">"
      "{5:.1f}%</div></div>{6}\n<table class=\"labs\"><tr><th>{11}</th><th>{12}</th>"
      "<th>{13}</th></tr>\n{7}</table>\n{8}</main></body></html>\n",
      Points(report.earned()), Points(report.total()), kStyle, Escape(report.implementation),
      Escape(Tr("isolation: {}", report.isolation)), report.percent(), notes, rows, labs,
      CurrentLanguage(), Escape(Tr("forklab report")), Escape(Tr("lab")), Escape(Tr("points")),
      Escape(Tr("state")));
}

}  // namespace forklab
