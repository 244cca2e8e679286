// Where this build found its checkout, and where it put the files the grader runs or reads.
#pragma once

namespace forklab::build_paths {

/// The absolute paths of this build, fixed when CMake configured it. They are defined in one
/// unit that CMake generates (build_paths.cc in the build tree), not given to the compiler as
/// macros: every other object is then the same in every clone of the same code, so a compiler
/// cache (ci/build uses ccache) compiles it once for all clones.
extern const char kSourceDir[];          ///< the checkout
extern const char kBuildDir[];           ///< its build tree
extern const char kFakePing[];           ///< fixtures/ping/fake_ping.cc, built
extern const char kFaultProbe[];         ///< harness/fault_probe.cc, built
extern const char kFiuThreadPreload[];   ///< harness/fiu_thread_preload.cc, built
extern const char kOutputRacePreload[];  ///< suites/output_race_preload.cc, built

}  // namespace forklab::build_paths
