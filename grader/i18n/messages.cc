#include "i18n/messages.h"

#include <libintl.h>
#include <locale.h>

#include <cstdlib>

#include "paths/build_paths.h"

namespace forklab {
namespace {

constexpr char kTextDomain[] = "forklab";

std::string& Current() {
  static std::string language = "en";
  return language;
}

}  // namespace

std::string CatalogueLanguage(const std::string& requested) {
  std::string language = requested.substr(0, requested.find_first_of("_.@"));
  if (language.empty() || language == "C" || language == "POSIX") return "en";
  return language;
}

std::string LanguageFromEnvironment() {
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"})
    if (const char* value = std::getenv(name); value && *value) return CatalogueLanguage(value);
  return "en";
}

std::filesystem::path LocaleDir() {
  return std::filesystem::path(build_paths::kBuildDir) / "locale";
}

std::optional<std::string> UseLanguage(const std::string& language,
                                       const std::filesystem::path& locale_dir) {
  if (language == "en") {
    Current() = "en";
    return std::nullopt;
  }
  std::filesystem::path catalogue =
      locale_dir / language / "LC_MESSAGES" / (std::string(kTextDomain) + ".mo");
  if (!std::filesystem::is_regular_file(catalogue))
    return fmt::format("no {} catalogue ({} is missing): the report stays in English", language,
                       catalogue.string());
  // gettext ignores LANGUAGE under the C locale; C.UTF-8 translates nothing else and needs no
  // installed zh_CN locale. LC_MESSAGES only: numbers, times and character classes keep C.
  if (!setlocale(LC_MESSAGES, "C.UTF-8") && !setlocale(LC_MESSAGES, "C.utf8"))
    return fmt::format("no C.UTF-8 locale to read the {} catalogue: the report stays in English",
                       language);
  setenv("LANGUAGE", language.c_str(), 1);
  bindtextdomain(kTextDomain, locale_dir.c_str());
  bind_textdomain_codeset(kTextDomain, "UTF-8");
  Current() = language;
  return std::nullopt;
}

const std::string& CurrentLanguage() {
  return Current();
}

std::string Tr(const std::string& english) {
  if (Current() == "en" || english.empty()) return english;
  return dgettext(kTextDomain, english.c_str());
}

}  // namespace forklab
