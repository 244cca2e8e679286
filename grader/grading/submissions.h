// Finding a class's submissions, and making each one a checkout forklab can grade.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace forklab {

/// One student's handin as given: a directory (a checkout with labs/, a git repository, a
/// copy of labs/ itself) or an archive (.zip, .tar.gz, .tgz).
struct Submission {
  std::string id;                // the student id: a safe file name, unique in the class
  std::filesystem::path source;  // absolute
};

/// The class cannot be read at all (no such path, a malformed CSV, two entries with one id):
/// a usage error, what() one line.
struct SubmissionsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The submissions of `given`, sorted by id:
/// - a CSV file of `student_id,path` lines (a `student_id` header is skipped; relative paths
///   are taken from the CSV's folder);
/// - a Gradescope export: a folder with `submission_metadata.yml`, whose `:sid:` gives each
///   `submission_<n>` folder its student id (the folder name when it names none);
/// - any other folder: one submission per entry, the id its name without the archive
///   extension (hidden entries are left out).
/// Ids are made safe as file names (characters other than letters, digits, `-`, `_`, `.`, `@`
/// become `_`). Throws SubmissionsError.
std::vector<Submission> FindSubmissions(const std::filesystem::path& given);

/// A submission made ready to grade: `root` holds labs/, or `problem` says in one sentence why
/// it cannot be graded (empty, corrupt archive, no labs in it).
struct PreparedSubmission {
  std::filesystem::path root;
  std::string problem;
};

/// Makes `submission` gradable: a checkout with labs/ (a git repository, say) is graded where
/// it is; a copy of labs/ is copied, and an archive unpacked, into `work_dir` (emptied first).
/// An archive member that would land outside `work_dir` is refused by the unpacker.
PreparedSubmission PrepareSubmission(const Submission& submission,
                                     const std::filesystem::path& work_dir);

/// The content hash of what was handed in (an archive's bytes, or a folder's files without
/// `.git`): a rerun regrades the submission when it changes.
std::string SubmissionHash(const Submission& submission);

}  // namespace forklab
