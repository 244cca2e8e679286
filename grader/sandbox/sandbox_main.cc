// forklab-sandbox: runs one suite process inside the sandbox and writes how it went as JSON.
// The grader starts it once per check; see sandbox.h for what the sandbox is.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "i18n/messages.h"
#include "sandbox/protocol.h"
#include "sandbox/sandbox.h"

namespace {

void OnStop(int) {
  forklab::InterruptSandbox();
}

// Written whole under another name, then renamed: a reader never sees half a result.
void WriteResult(const std::string& path, const forklab::SandboxResult& result) {
  std::string partial = path + ".partial";
  {
    std::ofstream out(partial);
    out << result.ToJson() << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + partial);
  }
  std::filesystem::rename(partial, path);
}

}  // namespace

int main(int argc, char** argv) {
  // A grader that dies (killed, crashed) ends its check too: SIGTERM stops the run and removes
  // its cgroup, as an interrupt does, rather than leaving it to run out its wall time.
  pid_t grader = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != grader) return 1;
  CLI::App app{"Run a suite inside forklab's sandbox (namespaces, cgroup, limits)",
               "forklab-sandbox"};
  forklab::SandboxPolicy policy;
  std::string result_path;
  double wall_seconds = 0;
  int memory_mib = 0, tmp_mib = 64, build_tree_mib = 256;
  bool probe = false, no_namespaces = false;
  std::vector<std::string> env, command;
  std::string confinement;
  app.add_flag(forklab::kProbeFlag, probe, "Print the isolation this machine allows, and exit");
  app.add_option("--result", result_path, "Write the run's result (JSON) here");
  app.add_option("--wall", wall_seconds, "Kill the run after this many seconds")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-processes", policy.max_processes, "Processes and threads of the run")
      ->check(CLI::PositiveNumber);
  app.add_option("--memory", memory_mib, "Memory of the run, MiB")->check(CLI::PositiveNumber);
  app.add_option("--cpus", policy.cpus, "CPU quota of the run, in cores")
      ->check(CLI::PositiveNumber);
  app.add_option("--tmp", tmp_mib, "Size of the private /tmp, MiB")->check(CLI::PositiveNumber);
  app.add_option("--hide", policy.hide, "Show this directory of a view empty (repeatable)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--pass-file", policy.passed_file,
                 "Give the suite this file as fd " + std::to_string(forklab::kPassedFileFd) +
                     ", even where the run cannot see it")
      ->check(CLI::ExistingFile);
  app.add_option("--env", env, "NAME=VALUE for the suite (repeatable)");
  app.add_option("--view", policy.view,
                 "Show the run this path, read-only, besides the system's directories (repeatable)")
      ->check(CLI::ExistingPath);
  app.add_option("--writable", policy.writable, "Let the run write this directory (repeatable)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--build-tree", policy.build_tree,
                 "Let the run write a copy of this directory, on a tmpfs of --build-tree-mib, "
                 "copied back when the command ends unless the run filled it")
      ->check(CLI::ExistingDirectory);
  app.add_option("--build-tree-mib", build_tree_mib, "Size of the build tree's tmpfs, MiB")
      ->check(CLI::PositiveNumber);
  app.add_option("--confine", confinement,
                 "Confine the command itself: uid=N,cpu=S,nofile=N,... (a build, not a suite)");
  app.add_flag("--no-namespaces", no_namespaces, "Use the fallback even where namespaces work");
  app.footer("Usage: forklab-sandbox --result FILE [OPTIONS] -- SUITE [ARGS...]");
  // Everything after "--" is the command, verbatim (its own options included).
  int separator = 1;
  while (separator < argc && std::string(argv[separator]) != "--") ++separator;
  command.assign(argv + std::min(separator + 1, argc), argv + argc);
  try {
    app.parse(separator, argv);
    if (!probe && (result_path.empty() || command.empty()))
      throw CLI::ValidationError("forklab-sandbox", "needs --result FILE -- COMMAND...");
    for (const std::string& item : env) {
      size_t equals = item.find('=');
      if (equals == std::string::npos || equals == 0)
        throw CLI::ValidationError("--env", "expects NAME=VALUE, got '" + item + "'");
      policy.env[item.substr(0, equals)] = item.substr(equals + 1);
    }
    // The events this run reports speak the suite's language, given with --env or, as
    // forklab's checks give it, in the sandbox's own environment.
    if (auto language = policy.env.find(forklab::kLangEnv); language != policy.env.end())
      forklab::UseLanguage(forklab::CatalogueLanguage(language->second));
    else if (const char* inherited = std::getenv(forklab::kLangEnv))
      forklab::UseLanguage(forklab::CatalogueLanguage(inherited));
    if (!confinement.empty()) {
      try {
        policy.confinement = forklab::Confinement::Parse(confinement);
      } catch (const std::invalid_argument& e) {
        throw CLI::ValidationError("--confine", e.what());
      }
    }
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "forklab-sandbox: " << e.what() << "\n";
    return 2;
  }

  if (probe) {
    forklab::ProbeAnswer answer;
    if (const std::string& refused = forklab::NamespacesRefused(); !refused.empty())
      answer.fallback = refused;
    std::cout << answer.ToString() << "\n";
    return 0;
  }
  policy.wall = std::chrono::milliseconds(static_cast<int64_t>(wall_seconds * 1000));
  policy.memory_bytes = static_cast<uint64_t>(memory_mib) << 20;
  policy.tmp_bytes = static_cast<uint64_t>(tmp_mib) << 20;
  policy.build_tree_bytes = static_cast<uint64_t>(build_tree_mib) << 20;
  policy.namespaces = !no_namespaces;
  // Each path is shown where the command is told it is, whatever links lead there.
  for (auto* paths : {&policy.hide, &policy.writable, &policy.view})
    for (std::string& path : *paths) path = std::filesystem::absolute(path).lexically_normal();
  if (!policy.build_tree.empty())
    policy.build_tree = std::filesystem::absolute(policy.build_tree).lexically_normal();

  signal(SIGPIPE, SIG_IGN);
  struct sigaction stop = {};
  stop.sa_handler = OnStop;
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  try {
    std::string exe = command.front();
    command.erase(command.begin());
    WriteResult(result_path, forklab::RunSandboxed(policy, exe, command));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "forklab-sandbox: " << e.what() << "\n";
    return 1;
  }
}
