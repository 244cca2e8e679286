#include "sandbox/tree_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>

namespace forklab {

namespace fs = std::filesystem;

namespace {

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && (a.st_mode & 07777) == (b.st_mode & 07777);
}

// Copies one regular file, its mode and its modification time.
bool CopyFile(const fs::path& from, const fs::path& to, const struct stat& info) {
  std::error_code error;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
  if (error) return false;
  const struct timespec times[2] = {{0, UTIME_OMIT}, info.st_mtim};
  return chmod(to.c_str(), info.st_mode & 07777) == 0 &&
         utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace

uint64_t TreeBytes(const fs::path& dir) {
  uint64_t bytes = 0;
  std::error_code error;
  for (auto entry = fs::recursive_directory_iterator(dir, error);
       !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
    struct stat info = {};
    if (lstat(entry->path().c_str(), &info) == 0 && S_ISREG(info.st_mode)) bytes += info.st_size;
  }
  return bytes;
}

bool TreeExceeds(const fs::path& dir, uint64_t bytes, uint64_t entries) {
  uint64_t seen_bytes = 0, seen_entries = 0;
  std::error_code error;
  for (auto entry = fs::recursive_directory_iterator(dir, error);
       !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
    struct stat info = {};
    if (lstat(entry->path().c_str(), &info) == 0 && S_ISREG(info.st_mode))
      seen_bytes += info.st_size;
    if (seen_bytes > bytes || ++seen_entries > entries) return true;
  }
  return false;
}

bool SyncTree(const fs::path& from, const fs::path& to, std::optional<uid_t> owner) {
  bool complete = true;
  std::error_code error;
  std::set<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(from, error))
    names.insert(entry.path().filename());
  if (error) return false;
  // What `from` no longer has, or has as another kind of entry, goes first.
  for (const fs::directory_entry& entry : fs::directory_iterator(to, error)) {
    struct stat old = {}, now = {};
    std::string name = entry.path().filename();
    if (!names.count(name) || lstat((from / name).c_str(), &now) != 0 ||
        lstat(entry.path().c_str(), &old) != 0 || (old.st_mode & S_IFMT) != (now.st_mode & S_IFMT))
      fs::remove_all(entry.path(), error);
  }
  for (const std::string& name : names) {
    fs::path source = from / name, target = to / name;
    struct stat info = {}, existing = {};
    if (lstat(source.c_str(), &info) != 0) {
      complete = false;
      continue;
    }
    bool exists = lstat(target.c_str(), &existing) == 0;
    bool made = true;
    if (S_ISDIR(info.st_mode)) {
      made = (exists || mkdir(target.c_str(), 0700) == 0) && SyncTree(source, target, owner) &&
             chmod(target.c_str(), info.st_mode & 07777) == 0;
    } else if (S_ISREG(info.st_mode)) {
      if (!exists || !SameFile(info, existing)) {
        if (exists) fs::remove(target, error);  // it may be read-only
        made = CopyFile(source, target, info);
      }
    } else if (S_ISLNK(info.st_mode)) {
      fs::remove(target, error);
      fs::copy_symlink(source, target, error);
      made = !error;
    } else {
      continue;  // a fifo, a socket, a device: nothing a build needs
    }
    if (made && owner) made = lchown(target.c_str(), *owner, *owner) == 0;
    complete = complete && made;
  }
  return complete;
}

}  // namespace forklab
