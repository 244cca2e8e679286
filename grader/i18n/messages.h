// The student's language: every student-facing sentence is written in English in the code and
// translated at run time through GNU gettext catalogues (grader/po/<lang>.po, built to
// <build>/locale/<lang>/LC_MESSAGES/forklab.mo). A sentence is translated whole, with fmt-style
// `{}` placeholders, never assembled from fragments.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>

namespace forklab {

/// Marks an English sentence for the catalogue where it is written (a table, say); it is
/// translated where it is shown, with Tr().
constexpr const char* TrLater(const char* english) {
  return english;
}

/// The language asked for as a catalogue name: "zh" for "zh", "zh_CN" or "zh_CN.UTF-8"; "en"
/// for English, C, POSIX or nothing.
std::string CatalogueLanguage(const std::string& requested);

/// The language the environment asks for, as CatalogueLanguage() names it: the first of
/// LC_ALL, LC_MESSAGES and LANG that is set (POSIX's order), else "en".
std::string LanguageFromEnvironment();

/// Where this build's catalogues are: <build>/locale.
std::filesystem::path LocaleDir();

/// Makes every later Tr() answer in `language` (a CatalogueLanguage()), from the catalogue
/// <locale_dir>/<language>/LC_MESSAGES/forklab.mo. Returns why it cannot (no catalogue, say):
/// the text then stays English, which the caller says once.
std::optional<std::string> UseLanguage(const std::string& language,
                                       const std::filesystem::path& locale_dir = LocaleDir());

/// The language Tr() answers in: "en" until UseLanguage() succeeded.
const std::string& CurrentLanguage();

/// `english` in the current language; `english` itself in English, or when the catalogue has
/// no translation for it (the catalogue test makes that a failure for every shipped string).
std::string Tr(const std::string& english);

/// A floating-point argument of Tr(): a plain `{}` shows it as std::ostream does (six
/// significant digits, "1.47993"), as the messages did before they were translated; a
/// placeholder with a format spec (`{:.1f}`) formats it so.
struct StreamedDouble {
  double value;
};

template <class T>
decltype(auto) Streamed(const T& value) {
  if constexpr (std::is_floating_point_v<T>)
    return StreamedDouble{static_cast<double>(value)};
  else
    return (value);  // the argument itself, by reference
}

/// The translated format string `english`, formatted with `args`. A translation whose
/// placeholders do not fit falls back to the English sentence.
template <class First, class... Rest>
std::string Tr(const char* english, const First& first, const Rest&... rest) {
  std::string translated = Tr(std::string(english));
  try {
    return fmt::format(fmt::runtime(translated), Streamed(first), Streamed(rest)...);
  } catch (const fmt::format_error&) {
    return fmt::format(fmt::runtime(english), Streamed(first), Streamed(rest)...);
  }
}

}  // namespace forklab

template <>
struct fmt::formatter<forklab::StreamedDouble> : fmt::formatter<double> {
  bool plain = false;
  constexpr auto parse(fmt::format_parse_context& context) {
    plain = context.begin() == context.end() || *context.begin() == '}';
    return fmt::formatter<double>::parse(context);
  }
  template <class Context>
  auto format(forklab::StreamedDouble number, Context& context) const {
    if (plain) return fmt::format_to(context.out(), "{:g}", number.value);
    return fmt::formatter<double>::format(number.value, context);
  }
};
