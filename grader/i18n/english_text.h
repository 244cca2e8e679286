// Finding English left in a translated report: the check behind the promise that a student who
// asked for Chinese reads no English sentence, technical tokens aside.
#pragma once

#include <string>
#include <vector>

namespace forklab {

/// The English sentences left in `text`: every run of three or more English words ("a", or
/// letters in lowercase after an optional capital, hyphenated or with an apostrophe or not),
/// from its first English word to its last, on one line; on a line with no Chinese and no
/// quote, two are enough (a label: "hidden check"; a title: "--host is honoured"). Chinese and
/// quotes end a run; other tokens are technical and neither count nor end one ("killed by SIGTERM
/// after 2 s" is a sentence): numbers, calls (waitpid()), options (--jobs), paths, errno and signal
/// names (EAGAIN, SIGTERM), names with digits, underscores or inner capitals (fork_basics,
/// ForkBasics). Not read at all: text in backquotes or quotes ('', "", “”, 「」), which quotes
/// the program or the contract; the program's own output (the lines after one that opens with
/// "stdout:" or "stderr:", up to the next line in Chinese); and Markdown code blocks.
std::vector<std::string> EnglishSentences(const std::string& text);

/// What an HTML page shows a reader, as lines of text: the text between its tags with the
/// entities decoded, and the labels a screen reader reads (aria-label, title, alt). Styles and
/// scripts are not shown; <pre> blocks keep their lines (a program's output).
std::string HtmlText(const std::string& html);

}  // namespace forklab
