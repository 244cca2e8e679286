#include "grading/builder.h"

#include <chrono>
#include <sstream>

#include "harness/subprocess.h"

namespace forklab {

namespace {

constexpr std::chrono::minutes kBuildTimeout{5};

// Runs cmake; returns its combined output when it fails, empty on success.
std::string RunCmake(std::vector<std::string> args) {
  SpawnOptions options;
  options.args = std::move(args);
  options.args.insert(options.args.begin(), "cmake");
  options.output_limit = 1 << 20;
  RunResult run = Run("/usr/bin/env", options, kBuildTimeout);
  if (run.status && run.status->ExitedWith(0)) return "";
  std::string log = run.out + run.err;
  if (run.timed_out()) return log + "\n(build killed after 5 minutes)";
  return log.empty() ? "cmake failed (" + run.status->Describe() + ")" : log;
}

}  // namespace

LabBuilder::LabBuilder(std::filesystem::path labs_dir, std::filesystem::path build_dir)
    : labs_dir_(std::move(labs_dir)), build_dir_(std::move(build_dir)) {}

LabBuild LabBuilder::Build(const std::string& lab) {
  LabBuild build;
  if (!configured_) {
    configured_ = true;
    if (!std::filesystem::exists(labs_dir_ / "CMakeLists.txt"))
      configure_error_ = "no CMakeLists.txt in " + labs_dir_.string();
    else
      configure_error_ = RunCmake({"-S", labs_dir_.string(), "-B", build_dir_.string(),
                                   "-DCMAKE_BUILD_TYPE=RelWithDebInfo"});
  }
  if (!configure_error_.empty()) {
    build.log = "configuring labs/ failed:\n" + CompilerMessage(configure_error_);
    return build;
  }
  std::string error = RunCmake({"--build", build_dir_.string(), "--target", "labs_" + lab});
  if (!error.empty()) {
    build.log = CompilerMessage(error);
    return build;
  }
  build.ok = true;
  build.exe = (build_dir_ / "labs" / lab).string();
  return build;
}

std::string CompilerMessage(const std::string& log, size_t max_lines) {
  std::vector<std::string> lines = SplitLines(log);
  // Keep from the first error on: what precedes it is make's progress chatter.
  size_t first = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("error") != std::string::npos ||
        lines[i].find("Error") != std::string::npos) {
      first = i > 0 && lines[i - 1].find("In function") != std::string::npos ? i - 1 : i;
      break;
    }
  }
  std::ostringstream message;
  size_t end = std::min(lines.size(), first + max_lines);
  for (size_t i = first; i < end; ++i) message << lines[i] << '\n';
  if (end < lines.size()) message << "(" << lines.size() - end << " more lines)\n";
  return message.str();
}

}  // namespace forklab
