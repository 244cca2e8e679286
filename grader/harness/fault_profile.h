// Fault profiles: named, declared fault plans kept as data in fixtures/faults/<name>.toml.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "harness/faults.h"

namespace forklab {

/// A named fault plan and what an implementation must still do under it. Read from
///   name = "fork-eagain"
///   description = "every fork() fails with EAGAIN"
///   expect = "an error on stderr and exit 1, no crash, no hang"
///   seed = 7
///   switched = false         # true: off at start, the test switches it on and off
///   [[point]]
///   name = "posix/proc/fork"
///   when = "always"          # always | random | from_call
///   errno = "EAGAIN"         # the errno the failing call reports
///   probability = 0.3        # random only
///   from_call = 3            # from_call only: calls 1..2 succeed
///   once = false
/// A check that fails under it names the profile, its points and the expectation.
struct FaultProfile {
  std::string name;
  std::string description;
  std::string expect;
  FaultPlan plan;

  /// "fault profile fork-eagain (every fork() fails with EAGAIN: posix/proc/fork always
  /// EAGAIN); expected: ..." for failure messages and reports.
  std::string Explain() const;
  /// Explain() without the failure points and seed: what a student reads.
  std::string Describe() const;
  /// "posix/proc/fork always EAGAIN, seed 11": the internals, for --verbose.
  std::string PointsAndSeed() const;
};

/// A profile that cannot be used; what() is one line naming the file and the reason.
struct FaultProfileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

FaultProfile LoadFaultProfile(const std::filesystem::path& path);

/// The errno whose symbolic name is `name` ("EAGAIN"), or 0 when there is none.
int ErrnoFromName(const std::string& name);

}  // namespace forklab
