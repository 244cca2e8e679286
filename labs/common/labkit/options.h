// GNU-style option parsing with the labs' exit-status contract.
#pragma once

#include <CLI/CLI.hpp>

namespace labkit {

/// Parses argv into `app`. --help prints the usage on stdout and exits 0; an unknown option or
/// a bad value prints the error and the usage on stderr and exits 2, as every lab contract says.
/// Also sets the program name from `app`'s name.
void parse_or_exit(CLI::App& app, int argc, char** argv);

}  // namespace labkit
