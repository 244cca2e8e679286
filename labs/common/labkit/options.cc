#include "labkit/options.h"

#include <cstdlib>
#include <iostream>

#include "labkit/output.h"

namespace labkit {

void parse_or_exit(CLI::App& app, int argc, char** argv) {
  set_program_name(app.get_name());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help() << std::flush;
    std::exit(0);
  } catch (const CLI::ParseError& e) {
    print_message(e.what());
    std::cerr << app.help() << std::flush;
    std::exit(2);
  }
}

}  // namespace labkit
