// A lab program's command line: GNU-style options with the labs' exit-status contract.
//
// Each option is bound to a variable that already holds its default; Parse() then fills in
// what the command line says:
//
//   std::string host = "127.0.0.1";
//   labkit::Options options("fork_echo_server", "Echo lines with a timestamp; ...");
//   options.Ipv4("--host", &host, "IPv4 address to listen on");
//   options.Parse(argc, argv);  // returns only when the command line is valid
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace labkit {

/// Whether the usage shows an option's default: hide it when the variable's initial value is
/// not a value the option accepts (it means "not given", e.g. --jobs 0 for "no cap").
enum class Default { kShown, kHidden };

/// The options of one program, declared one by one and parsed once. Parse() follows every lab
/// contract: --help prints the usage on stdout and exits 0; an unknown option, a missing
/// value or a bad value prints the error and the usage on stderr, nothing on stdout, and exits
/// 2. Parse() also sets the program name that prefixes labkit's error lines.
class Options {
 public:
  Options(std::string_view program, std::string_view description);
  ~Options();
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;

  /// --name TEXT: any text, e.g. a command line.
  void Text(std::string_view name, std::string* value, std::string_view help);

  /// --name A.B.C.D: a dotted-quad IPv4 address.
  void Ipv4(std::string_view name, std::string* value, std::string_view help);

  /// --name PORT: a TCP port, 0 to 65535.
  void Port(std::string_view name, uint16_t* value, std::string_view help);

  /// --name N: an integer with min <= N <= max.
  void Integer(std::string_view name, int* value, int min, int max, std::string_view help,
               Default shown = Default::kShown);
  void Integer(std::string_view name, unsigned* value, unsigned min, unsigned max,
               std::string_view help, Default shown = Default::kShown);
  void Integer(std::string_view name, uint64_t* value, uint64_t min, uint64_t max,
               std::string_view help, Default shown = Default::kShown);

  /// --name SEC: a number of seconds, fractions allowed, 0 <= SEC <= 1e9 (so it converts to
  /// time_t exactly enough for nanosleep).
  void Seconds(std::string_view name, double* value, std::string_view help);

  /// The words after the options (NAME ...), one at least.
  void Arguments(std::string_view name, std::vector<std::string>* values, std::string_view help);

  /// Parses the command line into the variables, or exits as described above.
  void Parse(int argc, char** argv);

 private:
  std::unique_ptr<CLI::App> app_;
};

}  // namespace labkit
