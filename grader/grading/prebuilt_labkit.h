// Linking the grader's own build of the lab kit into a submission instead of compiling it
// again: the kit is the instructor's code, and a student edits labs/<lab>/main.cc.
#pragma once

#include <filesystem>
#include <optional>

namespace forklab {

/// Whether the submission's labs/ (`submission_labs`) holds the checkout's lab kit: its
/// labs/CMakeLists.txt and whole labs/common tree are regular files byte-identical to the
/// checkout's (`checkout_labs`), none added or missing, no symlink.
bool SameLabkit(const std::filesystem::path& submission_labs,
                const std::filesystem::path& checkout_labs);

/// The lab kit archive a submission's build may link instead of compiling labs/common itself:
/// `archive` (the grader's build of `checkout_labs`' kit) when the submission's labs/
/// (`submission_labs`) holds that very kit (SameLabkit), so compiling it would give the same
/// code, and `archive` exists and is newer than every one of its files (not a build of an
/// older kit). nullopt otherwise: the submission compiles its own kit.
std::optional<std::filesystem::path> ReusableLabkit(const std::filesystem::path& submission_labs,
                                                    const std::filesystem::path& checkout_labs,
                                                    const std::filesystem::path& archive);

}  // namespace forklab
