// Copying a build tree between the disk and a run's size-capped tmpfs, never following a link.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>

namespace forklab {

/// The bytes a copy of `dir` would write: the sizes of its regular files, each counted once
/// per name (a hard link or a sparse file costs a copy its full size). Links are not followed.
uint64_t TreeBytes(const std::filesystem::path& dir);

/// Whether `dir` holds more than `bytes` (counted as TreeBytes counts them) or more than
/// `entries` names: more than a tmpfs of that size and inode count would hold. Stops walking at
/// the first excess.
bool TreeExceeds(const std::filesystem::path& dir, uint64_t bytes, uint64_t entries);

/// Makes `to` hold what `from` holds: directories, regular files (modes and modification times
/// kept, so make's incremental build still holds) and symbolic links (copied as links, never
/// followed); anything else (a fifo, a device) is left out. Entries of `to` that `from` lacks
/// are removed; a regular file of the same size and time is left as it is. Every entry made is
/// handed to `owner` when given. Best effort: returns false if something could not be copied
/// (a full tmpfs), having copied the rest.
bool SyncTree(const std::filesystem::path& from, const std::filesystem::path& to,
              std::optional<uid_t> owner = std::nullopt);

}  // namespace forklab
