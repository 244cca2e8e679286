#include "harness/confinement.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "i18n/messages.h"

namespace forklab {
namespace {

// Set once by the suite's main before any test runs, so read without a lock afterwards.
std::optional<uid_t> program_uid;

/// One field of the text form: its name, and how to read and set it.
struct Field {
  const char* name;
  std::optional<unsigned long long> (*get)(const Confinement&);
  void (*set)(Confinement&, unsigned long long);
};

template <auto member>
constexpr Field FieldOf(const char* name) {
  using Value = typename std::remove_reference_t<decltype(Confinement{}.*member)>::value_type;
  return {name,
          [](const Confinement& confinement) -> std::optional<unsigned long long> {
            if (!(confinement.*member)) return std::nullopt;
            return *(confinement.*member);
          },
          [](Confinement& confinement, unsigned long long value) {
            confinement.*member = static_cast<Value>(value);
          }};
}

constexpr Field kFields[] = {FieldOf<&Confinement::uid>("uid"),
                             FieldOf<&Confinement::cpu_seconds>("cpu"),
                             FieldOf<&Confinement::file_size_bytes>("fsize"),
                             FieldOf<&Confinement::open_files>("nofile"),
                             FieldOf<&Confinement::processes>("nproc"),
                             FieldOf<&Confinement::address_space_bytes>("as"),
                             FieldOf<&Confinement::output_bytes>("output")};

}  // namespace

std::string Confinement::ToString() const {
  std::ostringstream out;
  for (const Field& field : kFields) {
    std::optional<unsigned long long> value = field.get(*this);
    if (!value) continue;
    if (out.tellp() > 0) out << ',';
    out << field.name << '=' << *value;
  }
  return out.str();
}

Confinement Confinement::Parse(const std::string& text) {
  Confinement confinement;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    size_t equals = item.find('=');
    std::string name = item.substr(0, equals);
    unsigned long long value = 0;
    try {
      if (equals == std::string::npos) throw std::invalid_argument("no value");
      size_t used = 0;
      value = std::stoull(item.substr(equals + 1), &used);
      if (used != item.size() - equals - 1) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw std::invalid_argument("bad confinement field '" + item + "'");
    }
    auto field = std::find_if(std::begin(kFields), std::end(kFields),
                              [&](const Field& known) { return name == known.name; });
    if (field == std::end(kFields))
      throw std::invalid_argument("unknown confinement field '" + name + "'");
    field->set(confinement, value);
  }
  return confinement;
}

std::string Confinement::Describe() const {
  std::vector<std::string> parts;
  if (uid) parts.push_back(Tr("a uid of its own"));
  if (cpu_seconds) parts.push_back(Tr("CPU {} s", *cpu_seconds));
  if (file_size_bytes) parts.push_back(Tr("files {}", HumanBytes(*file_size_bytes)));
  if (open_files) parts.push_back(Tr("{} open files", *open_files));
  if (processes) parts.push_back(Tr("{} processes", *processes));
  if (address_space_bytes)
    parts.push_back(Tr("address space {}", HumanBytes(*address_space_bytes)));
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : ", ") + part;
  return text;
}

void RecordProgramUid(std::optional<uid_t> uid) {
  program_uid = uid;
}

std::optional<uid_t> ProgramUid() {
  return program_uid;
}

std::optional<uid_t> ReferenceUid() {
  if (!program_uid) return std::nullopt;
  return *program_uid + kReferenceUidOffset;
}

int ApplyConfinement(const Confinement& confinement) {
  auto limit = [](int resource, const std::optional<rlim_t>& value) {
    if (!value) return 0;
    struct rlimit rlimit = {*value, *value};
    return setrlimit(resource, &rlimit) == 0 ? 0 : errno;
  };
  // A core dump of a crashing program would only fill the disk.
  if (int error = limit(RLIMIT_CORE, rlim_t{0})) return error;
  if (int error = limit(RLIMIT_CPU, confinement.cpu_seconds)) return error;
  if (int error = limit(RLIMIT_FSIZE, confinement.file_size_bytes)) return error;
  if (int error = limit(RLIMIT_NOFILE, confinement.open_files)) return error;
  if (int error = limit(RLIMIT_NPROC, confinement.processes)) return error;
  if (int error = limit(RLIMIT_AS, confinement.address_space_bytes)) return error;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (confinement.uid) {
    // Groups first: once the uid is dropped, changing them is no longer allowed.
    if (setgroups(0, nullptr) != 0) return errno;
    if (setresgid(*confinement.uid, *confinement.uid, *confinement.uid) != 0) return errno;
    if (setresuid(*confinement.uid, *confinement.uid, *confinement.uid) != 0) return errno;
  }
  return 0;
}

int ProgramPrlimit(pid_t pid, int resource, const struct rlimit* new_limit,
                   struct rlimit* old_limit) {
  const std::optional<uid_t>& uid = program_uid;
  if (!uid || *uid == geteuid())
    return prlimit(pid, static_cast<__rlimit_resource>(resource), new_limit, old_limit) == 0
               ? 0
               : errno;
  int channel[2];
  if (pipe2(channel, O_CLOEXEC) != 0) return errno;
  pid_t helper = fork();
  if (helper < 0) return errno;
  if (helper == 0) {
    struct {
      int error;
      struct rlimit old;
    } answer = {};
    if (setresgid(*uid, *uid, *uid) != 0 || setresuid(*uid, *uid, *uid) != 0 ||
        prlimit(pid, static_cast<__rlimit_resource>(resource), new_limit, &answer.old) != 0)
      answer.error = errno;
    _exit(write(channel[1], &answer, sizeof answer) == sizeof answer ? 0 : 1);
  }
  close(channel[1]);
  struct {
    int error;
    struct rlimit old;
  } answer = {EIO, {}};
  ssize_t got = read(channel[0], &answer, sizeof answer);
  close(channel[0]);
  waitpid(helper, nullptr, 0);
  if (got != sizeof answer) return EIO;
  if (old_limit && answer.error == 0) *old_limit = answer.old;
  return answer.error;
}

std::string MakeProgramScratchDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("cannot create a scratch directory: " + std::string(strerror(errno)));
  if (const auto& uid = program_uid) {
    if (chown(pattern.c_str(), *uid, *uid) != 0)
      throw std::runtime_error("cannot hand " + pattern + " to uid " + std::to_string(*uid));
  }
  return pattern;
}

std::string HumanBytes(unsigned long long bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  bool whole = value == static_cast<double>(static_cast<unsigned long long>(value));
  snprintf(text, sizeof text, whole ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

}  // namespace forklab
