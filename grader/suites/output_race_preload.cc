// Preloaded into a threaded program under test (LD_PRELOAD) by the checks that read many
// threads' lines: makes unsynchronised output lose its race every time, not now and then.
//
// `std::cout << host << ":up" << std::endl` hands stdio one piece per <<, each under stdio's
// lock for that piece only. Another thread's pieces get in between only when this thread is
// preempted between two of its own, which is rare. Here every piece written to stdout that does
// not end a line is followed by a short sleep, so other threads' pieces come in between, as they
// would on a busier machine. One call per line (a single write(2), printf, fwrite of the whole
// line, or a chain held under a mutex) is never split, so correct programs print as before.
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

namespace {

// Long enough for the other runnable threads to be scheduled meanwhile.
void PauseMidLine(FILE* stream, const void* data, size_t bytes) {
  if (stream != stdout || bytes == 0 || static_cast<const char*>(data)[bytes - 1] == '\n') return;
  timespec pause{0, 500'000};
  nanosleep(&pause, nullptr);
}

template <class Function>
Function Next(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

// Only the program under test is slowed, not what it runs (the ping command): the preload
// takes itself out of the environment its children inherit.
__attribute__((constructor)) void LeaveChildrenAlone() {
  const char* preload = getenv("LD_PRELOAD");
  if (!preload) return;
  std::string kept;
  std::istringstream entries(preload);
  for (std::string entry; std::getline(entries, entry, ':');)
    if (!entry.empty() && entry.find("output_race_preload") == std::string::npos)
      kept += (kept.empty() ? "" : ":") + entry;
  if (kept.empty())
    unsetenv("LD_PRELOAD");
  else
    setenv("LD_PRELOAD", kept.c_str(), 1);
}

// One character through `put` (putc, fputc), then PauseMidLine.
int PutThenPause(int (*put)(int, FILE*), int c, FILE* stream) {
  int result = put(c, stream);
  char byte = static_cast<char>(c);
  PauseMidLine(stream, &byte, 1);
  return result;
}

}  // namespace

extern "C" {

size_t fwrite(const void* data, size_t size, size_t count, FILE* stream) {
  static auto next = Next<size_t (*)(const void*, size_t, size_t, FILE*)>("fwrite");
  size_t written = next(data, size, count, stream);
  PauseMidLine(stream, data, size * written);
  return written;
}

int fputs(const char* text, FILE* stream) {
  static auto next = Next<int (*)(const char*, FILE*)>("fputs");
  int result = next(text, stream);
  PauseMidLine(stream, text, std::strlen(text));
  return result;
}

int putc(int c, FILE* stream) {
  static auto next = Next<int (*)(int, FILE*)>("putc");
  return PutThenPause(next, c, stream);
}

int fputc(int c, FILE* stream) {
  static auto next = Next<int (*)(int, FILE*)>("fputc");
  return PutThenPause(next, c, stream);
}

}  // extern "C"
