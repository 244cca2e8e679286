// The ping sweep when the system refuses to start its workers (libfiu failure points, see
// harness/faults.h): temporary failures are retried, lasting ones reported as HOST:error.
#include <gtest/gtest.h>

#include <string>

#include "harness/fault_profile.h"
#include "suites/ping_fixture.h"

namespace forklab {
namespace {

TEST_F(Ping, ForkFailureIsRetried) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  ExpectFailuresRetried(profile, "fork()");
}

TEST_F(Ping, ForkThatKeepsFailingIsAnError) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  ExpectErrorsWhenFailingForGood(profile, "fork()");
}

TEST_F(Ping, ThreadVariantThreadCreationFailureIsRetried) {
  FORKLAB_ONLY_FOR(Variant::kThreads);
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  ExpectFailuresRetried(profile, "thread creation (std::thread, pthread_create)");
}

TEST_F(Ping, ThreadVariantThreadCreationThatKeepsFailingIsAnError) {
  FORKLAB_ONLY_FOR(Variant::kThreads);
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  ExpectErrorsWhenFailingForGood(profile, "thread creation (std::thread, pthread_create)");
}

}  // namespace
}  // namespace forklab
