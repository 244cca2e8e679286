// Internal to the harness: which children and process groups belong to a live Subprocess.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <set>

namespace forklab::internal {

/// Process-wide bookkeeping shared by Subprocess and ReapAdopted.
/// `pids`: unreaped children whose exit status a live Subprocess collects itself; ReapAdopted
/// must never reap them. `groups`: the process groups of live Subprocess objects; a pgid held
/// twice means its number was reused after the first owner reaped its leader.
/// Hold `mutex` from fork to registration and from scan to reap, so that neither side ever
/// sees the other half done.
struct OwnedChildren {
  std::mutex mutex;
  std::set<pid_t> pids;
  std::multiset<pid_t> groups;
};

inline OwnedChildren& owned_children() {
  static OwnedChildren instance;
  return instance;
}

}  // namespace forklab::internal
