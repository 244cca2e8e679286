#include "harness/watch.h"

#include <thread>

namespace forklab {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool Eventually(milliseconds timeout, const std::function<bool()>& condition, milliseconds period) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(period, deadline - now));
  }
}

Watched Watch(Subprocess& program, milliseconds limit, const Observer& observer,
              milliseconds period) {
  Clock::time_point start = Clock::now();
  auto since_start = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto deliver_lines = [&](milliseconds wait) {
    bool any = false;
    while (std::optional<std::string> line = program.ReadLine(wait)) {
      observer.line(*line, since_start());
      any = true;
      wait = milliseconds(0);
    }
    return any;
  };
  Watched watched;
  for (;;) {
    Clock::duration left = start + limit - Clock::now();
    if (left <= Clock::duration::zero()) break;
    milliseconds slice = std::min(period, std::chrono::ceil<milliseconds>(left));
    if (observer.line) {
      // Stamp first, then sample: whatever a sample sees was there when the line arrived.
      if (deliver_lines(slice) && observer.sample) observer.sample(since_start());
      if ((watched.status = program.Wait(milliseconds(0)))) break;
    } else if ((watched.status = program.Wait(slice))) {
      break;
    }
    if (observer.sample) observer.sample(since_start());
    if (observer.until && observer.until(since_start())) break;
  }
  watched.ended_at = since_start();
  if (watched.status && observer.line) deliver_lines(milliseconds(0));
  if (observer.sample) observer.sample(watched.ended_at);
  return watched;
}

}  // namespace forklab
