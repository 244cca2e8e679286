// Preloaded beside libfiu's own libraries, this module adds what they lack:
//  - a failure point for pthread_create, "posix/thread/create", so std::thread creation can
//    fail (it then throws std::system_error) and thread labs are graded on that path too;
//  - fork's point, "posix/proc/fork", for posix_spawn and posix_spawnp as well: they start a
//    process as fork does (EAGAIN at the process limit), and libfiu does not wrap them;
//  - "from the Nth call onward" faults: FORKLAB_FIU_FROM_CALL="NAME,N,ERRNO;..." enables
//    NAME through libfiu's external-callback mode, counting the calls it is asked about;
//  - a fork gate: no thread is inside libfiu while another forks (see ForkGate).
#define FIU_ENABLE 1

#include <dlfcn.h>
#include <fiu-control.h>
#include <fiu.h>
#include <pthread.h>
#include <spawn.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

/// Keeps fork() out of libfiu's critical sections. libfiu guards its tables with locks that a
/// call into it holds for a moment: the wildcard cache's write lock (taken on each cache miss
/// of fiu_fail, and every wrapped call asks fiu_fail), a onetime point's mutex (held while it
/// decides), the table's write lock (fiu_enable/fiu_disable, from the remote-control thread).
/// A thread that forks while another holds one leaves the child a lock no thread will ever
/// release, so the child of a multithreaded program hangs in its first wrapped call before
/// exec (close, dup2, malloc...). Every entry into libfiu holds the gate shared; fork's
/// prepare handler takes it exclusive, so the fork happens between libfiu's calls, never in
/// one. Writer-preferring, so a fork is never starved by busy threads; a thread enters only
/// once (libfiu calls itself through wrapped malloc), so it never waits on its own fork.
class ForkGate {
 public:
  /// Holds the gate shared for one call into libfiu, unless this thread already holds it
  /// (a call nested in one, or one from an atfork handler of the thread that is forking).
  class Pass {
   public:
    Pass() : entered_(depth_++ == 0 && !forking_) {
      if (entered_) pthread_rwlock_rdlock(&lock_);
    }
    ~Pass() {
      if (entered_) pthread_rwlock_unlock(&lock_);
      --depth_;
    }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

   private:
    bool entered_;
  };

  static void Install() { pthread_atfork(Close, Open, Reopen); }

 private:
  static void Close() {
    if (depth_ > 0) return;  // forking from inside libfiu (a callback): it cannot wait for itself
    pthread_rwlock_wrlock(&lock_);
    forking_ = true;
  }
  static void Open() {
    if (!forking_) return;
    forking_ = false;
    pthread_rwlock_unlock(&lock_);
  }
  // The child's only thread has a new tid, which the lock does not know as its writer: the
  // lock starts afresh instead of being unlocked.
  static void Reopen() {
    if (!forking_) return;
    forking_ = false;
    static const pthread_rwlock_t fresh = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
    std::memcpy(&lock_, &fresh, sizeof lock_);
  }

  static inline pthread_rwlock_t lock_ = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
  static inline thread_local int depth_ = 0;
  static inline thread_local bool forking_ = false;
};

// libfiu's own function `name`, found past this module, kept in `cache`: a plain atomic, not
// a guarded static, since libfiu's preload may call in before this module's constructor and
// the lookup may call in again (through a wrapped malloc).
template <class Function>
Function Libfiu(std::atomic<Function>& cache, const char* name) {
  Function function = cache.load(std::memory_order_relaxed);
  if (!function) {
    function = reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
    cache.store(function, std::memory_order_relaxed);
  }
  return function;
}

/// One "from the Nth call" point: its call counter and where failing starts. Plain data only:
/// the constructor below may run before this file's dynamic initialisers.
struct CountedPoint {
  char name[128];
  long from_call;
  std::atomic<long> calls;
};

constexpr int kMaxCountedPoints = 16;
CountedPoint counted_points[kMaxCountedPoints];
int counted_point_count = 0;

int FailFromNthCall(const char* name, int*, void**, unsigned*) {
  for (int i = 0; i < counted_point_count; ++i)
    if (std::strcmp(counted_points[i].name, name) == 0)
      return ++counted_points[i].calls >= counted_points[i].from_call;
  return 0;
}

__attribute__((constructor)) void EnableCountedPoints() {
  ForkGate::Install();
  fiu_init(0);  // idempotent: libfiu's run preload may have initialised it already
  const char* spec = std::getenv("FORKLAB_FIU_FROM_CALL");
  if (!spec) return;
  // "NAME,N,ERRNO;NAME,N,ERRNO;..."
  for (const char* item = spec; *item && counted_point_count < kMaxCountedPoints;) {
    const char* comma = std::strchr(item, ',');
    if (!comma || comma - item >= static_cast<long>(sizeof(CountedPoint::name))) break;
    CountedPoint& point = counted_points[counted_point_count++];
    std::memcpy(point.name, item, comma - item);
    point.name[comma - item] = '\0';
    char* rest = nullptr;
    point.from_call = std::strtol(comma + 1, &rest, 10);
    intptr_t error = *rest == ',' ? std::strtol(rest + 1, &rest, 10) : 0;
    fiu_enable_external(point.name, 1, reinterpret_cast<void*>(error), 0, FailFromNthCall);
    const char* next = std::strchr(rest, ';');
    if (!next) break;
    item = next + 1;
  }
}

// libfiu's own remote-control thread is created through pthread_create too; it must not be
// the one that fails.
bool CalledFromLibfiu(const void* caller) {
  Dl_info info{};
  return dladdr(caller, &info) && info.dli_fname && std::strstr(info.dli_fname, "libfiu");
}

using CreateFunction = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
using SpawnFunction = int (*)(pid_t*, const char*, const posix_spawn_file_actions_t*,
                              const posix_spawnattr_t*, char* const[], char* const[]);

// The error a failing point returns, for functions that return their error instead of
// setting errno (pthread_create, posix_spawn).
int FailureError() {
  auto error = static_cast<int>(reinterpret_cast<intptr_t>(fiu_failinfo()));
  return error ? error : EAGAIN;
}

}  // namespace

// libfiu's entry points that take its locks, each called through the gate. The wrappers of
// libfiu's preload libraries and its remote-control thread call them through the PLT, so
// these definitions take their place.
extern "C" int fiu_fail(const char* name) {
  static std::atomic<int (*)(const char*)> real{nullptr};
  ForkGate::Pass pass;
  return Libfiu(real, "fiu_fail")(name);
}

extern "C" int fiu_enable(const char* name, int failnum, void* failinfo, unsigned int flags) {
  static std::atomic<int (*)(const char*, int, void*, unsigned)> real{nullptr};
  ForkGate::Pass pass;
  return Libfiu(real, "fiu_enable")(name, failnum, failinfo, flags);
}

extern "C" int fiu_enable_random(const char* name, int failnum, void* failinfo, unsigned int flags,
                                 float probability) {
  static std::atomic<int (*)(const char*, int, void*, unsigned, float)> real{nullptr};
  ForkGate::Pass pass;
  return Libfiu(real, "fiu_enable_random")(name, failnum, failinfo, flags, probability);
}

extern "C" int fiu_disable(const char* name) {
  static std::atomic<int (*)(const char*)> real{nullptr};
  ForkGate::Pass pass;
  return Libfiu(real, "fiu_disable")(name);
}

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attributes,
                              void* (*body)(void*), void* argument) {
  static const auto real_create =
      reinterpret_cast<CreateFunction>(dlsym(RTLD_NEXT, "pthread_create"));
  if (!CalledFromLibfiu(__builtin_return_address(0)) && fiu_fail("posix/thread/create"))
    return FailureError();
  return real_create(thread, attributes, body, argument);
}

extern "C" int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
                           const posix_spawnattr_t* attributes, char* const argv[],
                           char* const envp[]) {
  static const auto real_spawn = reinterpret_cast<SpawnFunction>(dlsym(RTLD_NEXT, "posix_spawn"));
  if (fiu_fail("posix/proc/fork")) return FailureError();
  return real_spawn(pid, path, actions, attributes, argv, envp);
}

extern "C" int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
                            const posix_spawnattr_t* attributes, char* const argv[],
                            char* const envp[]) {
  static const auto real_spawn = reinterpret_cast<SpawnFunction>(dlsym(RTLD_NEXT, "posix_spawnp"));
  if (fiu_fail("posix/proc/fork")) return FailureError();
  return real_spawn(pid, file, actions, attributes, argv, envp);
}
