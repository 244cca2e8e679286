// How a grading run contains its checks: the sandbox's limits and views, and the identity and
// limits of the program under test, decided once per run from the user's options.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "grading/check.h"
#include "grading/layout.h"
#include "sandbox/protocol.h"

namespace forklab {

/// The limits a user asks for (see the README's Security section): per check (processes,
/// memory) and per program run (CPU, file size, open files, output kept).
struct ContainmentLimits {
  bool no_namespaces = false;  // use the fallback even where namespaces work
  int max_processes = 1024;
  int memory_mib = 512;
  int cpu_seconds = 60;
  int file_size_mib = 64;
  int open_files = 1024;
  int output_mib = 4;
};

/// The containment of every check of a run, what contains it ("namespaces", or
/// "fallback: <why>"), and the warnings to show once before the first check.
struct ContainmentPlan {
  Containment containment;
  std::string isolation;
  std::vector<std::string> warnings;
};

/// Asks `sandbox_exe` what this machine allows (ProbeAnswer). Throws GradeRequestError when it
/// cannot run or answers something else.
ProbeAnswer ProbeSandbox(const std::string& sandbox_exe);

/// The run's containment under `limits`, given the sandbox's `probe`. A root grader runs the
/// programs as a uid of this run's own when every path of `program_paths` is open to other
/// users (else as root, with a warning); a grader that is not root counts its own processes
/// into the program's process limit.
ContainmentPlan PlanContainment(const Layout& layout, const ContainmentLimits& limits,
                                const ProbeAnswer& probe,
                                const std::vector<std::filesystem::path>& program_paths);

/// Whether another uid (not root, none of our groups) can reach and run what is at `path`:
/// every directory on the way must let others search it; a file must let them read and run it.
bool OthersCanRun(const std::filesystem::path& path);

}  // namespace forklab
