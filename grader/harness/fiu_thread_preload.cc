// Preloaded beside libfiu's own libraries, this module adds what they lack:
//  - a failure point for pthread_create, "posix/thread/create", so std::thread creation can
//    fail (it then throws std::system_error) and thread labs are graded on that path too;
//  - "from the Nth call onward" faults: FORKLAB_FIU_FROM_CALL="NAME,N,ERRNO;..." enables
//    NAME through libfiu's external-callback mode, counting the calls it is asked about.
#define FIU_ENABLE 1

#include <dlfcn.h>
#include <fiu-control.h>
#include <fiu.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

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

}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attributes,
                              void* (*body)(void*), void* argument) {
  static const auto real_create =
      reinterpret_cast<CreateFunction>(dlsym(RTLD_NEXT, "pthread_create"));
  if (!CalledFromLibfiu(__builtin_return_address(0)) && fiu_fail("posix/thread/create")) {
    // pthread functions return their error instead of setting errno.
    auto error = static_cast<int>(reinterpret_cast<intptr_t>(fiu_failinfo()));
    return error ? error : EAGAIN;
  }
  return real_create(thread, attributes, body, argument);
}
