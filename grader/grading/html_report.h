// The grade report as one self-contained HTML page: what a student opens after a run.
#pragma once

#include <string>

#include "grading/report.h"

namespace forklab {

/// The whole page: the total, a card per lab (an untouched stub as one line), and per check its
/// points, feedback and, when the check recorded one, its process timeline as inline SVG
/// (a lane per process, fork, exit and reap marks, zombie intervals, threads and connections
/// over time, injected faults) and the sums' speedup chart. No script, no fetch: it renders
/// offline. Hidden checks keep their details withheld unless `show_hidden`.
std::string HtmlReport(const GradeReport& report, bool show_hidden);

}  // namespace forklab
