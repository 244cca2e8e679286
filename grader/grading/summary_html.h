// summary.html: the class at a glance, for the instructor. Self-contained (inline CSS and
// SVG, no script, nothing fetched).
#pragma once

#include <string>
#include <vector>

#include "grading/similarity.h"
#include "grading/stored_result.h"

namespace forklab {

/// The page: how many were graded (and why the others were not), a score histogram per lab,
/// the checks failed most often with their counts and the lesson each teaches, the sum labs'
/// speedup distribution, and the similar pairs with links to their side-by-side pages
/// (`SideBySideFile`).
std::string SummaryHtml(const std::vector<StoredResult>& results,
                        const std::vector<SimilarPair>& similar);

/// The side-by-side page of `pair`: both sources, the matching runs highlighted.
std::string SideBySideHtml(const SimilarPair& pair, const std::string& code_a,
                           const std::string& code_b);

/// The file name of `pair`'s side-by-side page, relative to summary.html.
std::string SideBySideFile(const SimilarPair& pair);

/// The speedup a sum lab's speedup check measured, from its detail ("speedup with 2 workers:
/// 1.93x ..."), or a negative number when it says none.
double MeasuredSpeedup(const std::string& detail);

}  // namespace forklab
