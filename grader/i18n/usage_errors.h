// The command line's own errors in the student's language: CLI11 writes them in English, in a
// few fixed shapes ("--jobs: Value 0 not in range 1 to 64"), which are translated here whole,
// the option names and values they quote kept as they are.
#pragma once

#include <string>

namespace forklab {

/// CLI11's error message `english` (a ParseError's what()) in the current language: each shape
/// CLI11 uses for a missing, unexpected, excluded or invalid option or value is a sentence of
/// the catalogue. A shape it does not know, or a message already translated (forklab's own
/// ValidationErrors), is left as it is, but for a leading "OPTION: " whose rest is translated.
std::string TranslatedUsageError(const std::string& english);

}  // namespace forklab
