// How a suite confines the programs it starts, when it runs inside forklab's sandbox.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>

namespace forklab {

/// The limits and identity every program a suite starts runs under. The sandbox hands them to
/// the suite in FORKLAB_CONFINE; the suite passes them in each SpawnOptions, and Subprocess
/// applies them between fork and exec. Unset fields leave the suite's own value. A grader running
/// as root names `uid`, so the program under test can neither signal, ptrace nor read the suite
/// (nor the files only root may read).
struct Confinement {
  std::optional<uid_t> uid;  // also the gid; supplementary groups are dropped
  std::optional<rlim_t> cpu_seconds;
  std::optional<rlim_t> file_size_bytes;
  std::optional<rlim_t> open_files;
  std::optional<rlim_t> processes;  // RLIMIT_NPROC: binds only a dedicated, non-root uid
  std::optional<rlim_t> address_space_bytes;
  std::optional<size_t> output_bytes;  // captured per stream (SpawnOptions::output_limit)

  /// "uid=61000,cpu=30,fsize=67108864,nofile=256,nproc=64,as=536870912,output=1048576".
  std::string ToString() const;
  /// Parses ToString()'s form; throws std::invalid_argument naming the bad field.
  static Confinement Parse(const std::string& text);
  /// The limits in force as a report states them: "a uid of its own, CPU 60 s, files 64 MiB,
  /// 1024 open files, 1024 processes, address space 2 GiB" (empty: none).
  std::string Describe() const;
};

/// The least address space (RLIMIT_AS) a program is given where no memory cgroup bounds it: a
/// limit on reserved, not used, memory, which threads' stacks and malloc's arenas reserve
/// generously, so a tight one would fail correct programs.
inline constexpr rlim_t kAddressSpaceFloor = rlim_t{2} << 30;

/// The uids a root grader runs programs under: one per grading run, leased so that no two
/// gradings share one (grading/containment_policy.h), so RLIMIT_NPROC counts that run's
/// programs alone.
inline constexpr uid_t kProgramUids = 61000;
inline constexpr uid_t kProgramUidCount = 1000;
/// The reference a suite times beside the program runs as the program's uid plus this: leased
/// with it, and never the program's, so nothing the program left can signal or read it.
inline constexpr uid_t kReferenceUidOffset = kProgramUidCount;

/// Records the uid the suite's programs run as (the suite's main does, once, from its
/// confinement), for the helpers below that act on those programs' behalf. Subprocess never
/// reads it: what confines a child comes in its SpawnOptions.
void RecordProgramUid(std::optional<uid_t> uid);
/// The uid recorded above; nullopt: programs run as the suite's own uid.
std::optional<uid_t> ProgramUid();
/// The uid the reference runs as beside the program (ProgramUid() + kReferenceUidOffset);
/// nullopt when programs run as the suite's own uid.
std::optional<uid_t> ReferenceUid();

/// Applies `confinement` to the calling process: rlimits, then no new privileges, then the uid.
/// Async-signal-safe (for use between fork and exec). Returns 0, or the errno that failed.
int ApplyConfinement(const Confinement& confinement);

/// prlimit(2) on a program this suite started. A program running as ProgramUid()
/// is another user's process, and root here may lack CAP_SYS_RESOURCE: the call is then made
/// from a helper process with the program's uid. Lowering a soft limit and raising it back up
/// to the hard limit works either way. Returns 0 or the errno.
int ProgramPrlimit(pid_t pid, int resource, const struct rlimit* new_limit,
                   struct rlimit* old_limit);

/// A fresh directory under the temporary directory that the program under test can write
/// into (owned by ProgramUid() when there is one). Throws std::runtime_error when none can be made.
std::string MakeProgramScratchDir(const std::string& prefix);

/// "512 B", "1 MiB", "2.1 GiB".
std::string HumanBytes(unsigned long long bytes);

}  // namespace forklab
