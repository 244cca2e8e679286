// Where forklab's own parts are, in its source and build trees.
#pragma once

#include <filesystem>
#include <string>

namespace forklab {

/// Where forklab's own parts are: the source tree (rubrics, labs/, fault profiles) and the
/// build tree (suites, references, the sandbox) of one forklab.
struct Layout {
  std::filesystem::path source;
  std::filesystem::path build;

  std::filesystem::path suites() const { return build / "grader"; }
  std::filesystem::path rubric(const std::string& lab) const {
    return source / "labs" / lab / "rubric.toml";
  }
  std::filesystem::path reference(const std::string& lab) const {
    return build / "reference" / lab;
  }
  /// The lab kit as the build tree compiled it (labs/common): what a submission with the same
  /// kit may link (grading/prebuilt_labkit.h).
  std::filesystem::path labkit() const { return build / "labs" / "common" / "libforklab_labkit.a"; }
  std::filesystem::path fake_ping() const { return build / "fixtures" / "ping"; }
  std::filesystem::path sandbox() const { return build / "grader" / "forklab-sandbox"; }
  std::filesystem::path faults() const { return source / "fixtures" / "faults"; }
  std::filesystem::path fault_profile(const std::string& name) const {
    return faults() / (name + ".toml");
  }
};

}  // namespace forklab
