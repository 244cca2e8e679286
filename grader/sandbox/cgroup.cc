#include "sandbox/cgroup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace forklab {
namespace {

const fs::path kRoot = "/sys/fs/cgroup";

// Run cgroups are named forklab-<grader pid>-<n>, so a stale one can be told by its dead pid.
std::string NextName() {
  static std::atomic<int> counter{0};
  return "forklab-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

bool WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return out.good();
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Our own cgroup in `hierarchy` ("" for v2's unified line "0::/path", else a v1 controller).
std::optional<fs::path> OwnCgroup(const std::string& hierarchy) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    bool match = hierarchy.empty() ? line.starts_with("0::") : false;
    std::istringstream list(controllers);
    for (std::string name; std::getline(list, name, ',');) match = match || name == hierarchy;
    if (match) return fs::path(line.substr(second + 1)).relative_path();
  }
  return std::nullopt;
}

uint64_t KeyValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string name;
  uint64_t value;
  while (in >> name >> value)
    if (name == key) return value;
  return 0;
}

std::vector<pid_t> Procs(const fs::path& dir) {
  std::vector<pid_t> pids;
  std::ifstream in(dir / "cgroup.procs");
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  return pids;
}

bool MakeDir(const fs::path& dir) {
  std::error_code error;
  return fs::create_directory(dir, error) && !error;
}

}  // namespace

std::unique_ptr<RunCgroup> RunCgroup::Create(int max_processes, uint64_t memory_bytes, double cpus,
                                             std::string* why_not) {
  constexpr int kPeriodUs = 100000;
  std::string quota = std::to_string(static_cast<int64_t>(cpus * kPeriodUs));
  std::unique_ptr<RunCgroup> cgroup(new RunCgroup);
  std::string name = NextName();
  if (fs::exists(kRoot / "cgroup.controllers")) {
    // cgroup v2: make a sibling of our own cgroup (its parent may hold no processes itself).
    std::optional<fs::path> own = OwnCgroup("");
    fs::path parent = (kRoot / own.value_or("")).parent_path();
    if (own && own->empty()) parent = kRoot;
    WriteFile(parent / "cgroup.subtree_control", "+pids +memory +cpu");
    std::string enabled = ReadFile(parent / "cgroup.subtree_control");
    if (enabled.find("pids") == std::string::npos || !MakeDir(parent / name)) {
      *why_not = "cannot create a cgroup v2 with the pids controller under " + parent.string();
      return nullptr;
    }
    cgroup->v2_ = true;
    cgroup->dirs_ = {(parent / name).string()};
    cgroup->has_memory_ = enabled.find("memory") != std::string::npos;
    cgroup->has_cpu_ = enabled.find("cpu") != std::string::npos &&
                       (cpus <= 0 || WriteFile(parent / name / "cpu.max",
                                               quota + " " + std::to_string(kPeriodUs)));
  } else {
    std::optional<fs::path> pids_own = OwnCgroup("pids");
    fs::path pids_dir = kRoot / "pids" / pids_own.value_or("") / name;
    if (!pids_own || !MakeDir(pids_dir)) {
      *why_not = "cannot create a cgroup: no writable v1 pids hierarchy under " + kRoot.string();
      return nullptr;
    }
    cgroup->dirs_ = {pids_dir.string()};
    if (std::optional<fs::path> cpu_own = OwnCgroup("cpu")) {
      fs::path cpu_dir = kRoot / "cpu" / *cpu_own / name;
      if (MakeDir(cpu_dir)) {
        cgroup->dirs_.push_back(cpu_dir.string());
        cgroup->has_cpu_ =
            cpus <= 0 || (WriteFile(cpu_dir / "cpu.cfs_period_us", std::to_string(kPeriodUs)) &&
                          WriteFile(cpu_dir / "cpu.cfs_quota_us", quota));
      }
    }
    // The memory directory comes last: Events() reads it there.
    if (std::optional<fs::path> memory_own = OwnCgroup("memory")) {
      fs::path memory_dir = kRoot / "memory" / *memory_own / name;
      if (MakeDir(memory_dir)) {
        cgroup->dirs_.push_back(memory_dir.string());
        cgroup->has_memory_ = true;
      }
    }
  }
  fs::path first = cgroup->dirs_.front();
  if (!WriteFile(first / "pids.max", std::to_string(max_processes))) {
    *why_not = "cannot set pids.max in " + first.string();
    return nullptr;
  }
  if (cgroup->has_memory_ && memory_bytes > 0) {
    fs::path memory = cgroup->dirs_.back();
    bool set = cgroup->v2_
                   ? WriteFile(memory / "memory.max", std::to_string(memory_bytes)) &&
                         WriteFile(memory / "memory.swap.max", "0")
                   : WriteFile(memory / "memory.limit_in_bytes", std::to_string(memory_bytes));
    // v2 without swap accounting has no memory.swap.max; the limit itself is what matters.
    if (!set && !fs::exists(memory / (cgroup->v2_ ? "memory.max" : "memory.limit_in_bytes")))
      cgroup->has_memory_ = false;
  }
  return cgroup;
}

RunCgroup::~RunCgroup() {
  KillAll();
  for (const std::string& dir : dirs_) {
    // rmdir succeeds once the last killed process is gone; that takes a moment.
    for (int attempt = 0; attempt < 200 && rmdir(dir.c_str()) != 0 && errno == EBUSY; ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool RunCgroup::Add(pid_t pid) {
  for (const std::string& dir : dirs_)
    if (!WriteFile(fs::path(dir) / "cgroup.procs", std::to_string(pid))) return false;
  return true;
}

CgroupEvents RunCgroup::Events() const {
  CgroupEvents events;
  events.fork_refusals = KeyValue(ReadFile(fs::path(dirs_.front()) / "pids.events"), "max");
  if (has_memory_) {
    fs::path memory = dirs_.back();
    events.oom_kills = v2_ ? KeyValue(ReadFile(memory / "memory.events"), "oom_kill")
                           : KeyValue(ReadFile(memory / "memory.oom_control"), "oom_kill");
  }
  return events;
}

int RunCgroup::KillAll() {
  int killed = 0;
  if (dirs_.empty()) return killed;  // Create() gave up before making one
  for (int round = 0; round < 500; ++round) {
    std::vector<pid_t> pids = Procs(dirs_.front());
    if (pids.empty()) return killed;
    if (v2_ && WriteFile(fs::path(dirs_.front()) / "cgroup.kill", "1")) {
      killed += static_cast<int>(pids.size());
    } else {
      for (pid_t pid : pids) killed += kill(pid, SIGKILL) == 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return killed;
}

std::string RunCgroup::Describe() const {
  return std::string(v2_ ? "cgroup v2 pids" : "cgroup v1 pids") + (has_cpu_ ? "+cpu" : "") +
         (has_memory_ ? "+memory" : "");
}

void RunCgroup::RemoveStale() {
  std::vector<fs::path> parents;
  if (fs::exists(kRoot / "cgroup.controllers")) {
    if (std::optional<fs::path> own = OwnCgroup(""))
      parents.push_back(own->empty() ? kRoot : (kRoot / *own).parent_path());
  } else {
    for (const char* hierarchy : {"pids", "cpu", "memory"})
      if (std::optional<fs::path> own = OwnCgroup(hierarchy))
        parents.push_back(kRoot / hierarchy / *own);
  }
  for (const fs::path& parent : parents) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(parent, error)) {
      std::string name = entry.path().filename();
      if (!name.starts_with("forklab-")) continue;
      pid_t owner = std::atoi(name.c_str() + 8);
      if (owner <= 0 || kill(owner, 0) == 0 || errno != ESRCH) continue;
      for (pid_t pid : Procs(entry.path())) kill(pid, SIGKILL);
      rmdir(entry.path().c_str());
    }
  }
}

}  // namespace forklab
