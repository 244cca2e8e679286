#include "i18n/english_text.h"

#include <cctype>
#include <regex>
#include <sstream>

namespace forklab {
namespace {

// Whether `byte` opens a CJK character or full-width punctuation: UTF-8 lead bytes 0xE3..0xE9
// (U+3000..U+9FFF) and 0xEF (U+F000.., the full-width forms), three bytes each.
bool OpensChinese(unsigned char byte) {
  return (byte >= 0xE3 && byte <= 0xE9) || byte == 0xEF;
}

bool HasChinese(const std::string& text) {
  for (unsigned char byte : text)
    if (OpensChinese(byte)) return true;
  return false;
}

// A word of an English sentence; anything else is a technical token or not English.
bool IsEnglishWord(std::string token) {
  static const std::regex punctuation(R"(^[,.;:!?()\[\]]+|[,.;:!?()\[\]]+$)");
  static const std::regex word(R"(a|[A-Za-z][a-z]+(['-][a-z]+)*)");
  if (token.find("()") != std::string::npos) return false;
  return std::regex_match(std::regex_replace(token, punctuation, ""), word);
}

// Marks where a quoted span or a Chinese character was: it ends a sentence, as a line end does.
constexpr char kBreak[] = "\x01";

// `line` with each Chinese character replaced by kBreak.
std::string WithoutChinese(const std::string& line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (OpensChinese(static_cast<unsigned char>(line[i]))) {
      out += std::string(" ") + kBreak + " ";
      i += 2;  // a three-byte character
    } else {
      out += line[i];
    }
  }
  return out;
}

// `line` with every quoted span replaced by kBreak: backquotes, double quotes, curly and
// corner quotes, and single quotes that open after a non-letter and close before one (so that
// an apostrophe, "isn't", quotes nothing).
std::string WithoutQuotes(const std::string& line) {
  static const std::regex quoted(
      R"(`[^`]*`|"[^"]*"|“[^”]*”|「[^」]*」|(^|[^A-Za-z])'[^']*'(?![A-Za-z]))");
  return std::regex_replace(line, quoted, std::string("$1 ") + kBreak + " ");
}

// The English sentences of one line, its quotes and Chinese replaced by kBreak. A sentence is
// the tokens from the first to the last English word of a run of at least three, which only
// kBreak ends: a technical token inside a sentence is part of it ("killed by SIGTERM after 2
// s"). In a line with no Chinese and no quote, two English words are a sentence: a label
// ("hidden check") or a short title ("--host is honoured").
void AddSentences(const std::string& line, std::vector<std::string>& sentences) {
  std::istringstream tokens(line);
  std::vector<std::string> run;  // from the first English word on
  size_t words = 0, last_word = 0;
  bool broken = false;
  auto end_run = [&](size_t enough) {
    if (words >= enough) {
      std::string sentence;
      for (size_t i = 0; i < last_word; ++i) sentence += (i == 0 ? "" : " ") + run[i];
      sentences.push_back(sentence);
    }
    run.clear();
    words = last_word = 0;
  };
  for (std::string token; tokens >> token;) {
    if (token == kBreak) {
      end_run(3);
      broken = true;
    } else if (IsEnglishWord(token)) {
      run.push_back(token);
      ++words;
      last_word = run.size();
    } else if (!run.empty()) {
      run.push_back(token);
    }
  }
  end_run(broken ? 3 : 2);
}

// `text` of HTML with its entities decoded.
std::string DecodeEntities(std::string text) {
  static const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"},   {"&gt;", ">"},   {"&quot;", "\""}, {"&#39;", "'"},
      {"&#x27;", "'"}, {"&nbsp;", " "}, {"&amp;", "&"}};
  for (const auto& [entity, character] : entities)
    for (size_t at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1))
      text.replace(at, std::string(entity).size(), character);
  return text;
}

}  // namespace

std::vector<std::string> EnglishSentences(const std::string& text) {
  std::vector<std::string> sentences;
  std::istringstream lines(text);
  bool program_output = false;
  bool code_block = false;
  for (std::string line; std::getline(lines, line);) {
    std::string trimmed = line.substr(std::min(line.size(), line.find_first_not_of(" >")));
    if (trimmed.starts_with("```")) {
      code_block = !code_block;
      continue;
    }
    if (code_block) continue;
    if (trimmed.starts_with("stdout:") || trimmed.starts_with("stderr:")) {
      program_output = true;
      continue;
    }
    if (program_output && !HasChinese(line)) continue;
    program_output = false;
    AddSentences(WithoutChinese(WithoutQuotes(line)), sentences);
  }
  return sentences;
}

std::string HtmlText(const std::string& html) {
  static const std::regex label(R"#(\b(aria-label|title|alt)="([^"]*)")#");
  static const std::regex inline_tag(R"(/?(a|b|i|em|strong|span|small|abbr))");
  std::string text;
  for (size_t at = 0; at < html.size();) {
    size_t open = html.find('<', at);
    text += DecodeEntities(html.substr(at, open - at));
    if (open == std::string::npos) break;
    size_t close = html.find('>', open);
    if (close == std::string::npos) break;
    std::string tag = html.substr(open + 1, close - open - 1);
    std::string name = tag.substr(0, tag.find_first_of(" \t\n/", 1));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    at = close + 1;
    if (name == "style" || name == "script" || name == "code") {
      // Not shown, or technical: skipped whole.
      size_t end = html.find("</" + name, at);
      at = end == std::string::npos ? html.size() : html.find('>', end) + 1;
      text += "\n";
      continue;
    }
    for (std::sregex_iterator it(tag.begin(), tag.end(), label), last; it != last; ++it)
      text += "\n" + DecodeEntities((*it)[2]) + "\n";
    text += std::regex_match(name, inline_tag) ? " " : "\n";
  }
  return text;
}

}  // namespace forklab
