// The one translation unit of the labs that includes CLI11: it takes seconds to compile, so
// the lab programs see only options.h.
#include "labkit/options.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "labkit/output.h"

namespace labkit {
namespace {

// Finite, non-negative, fractional allowed. The bound keeps the conversion to time_t defined.
const CLI::Validator kSeconds(
    [](std::string& text) {
      char* end = nullptr;
      double seconds = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(seconds) || seconds < 0 || seconds > 1e9) {
        return "expected a number of seconds >= 0, got " + text;
      }
      return std::string();
    },
    "SEC");

// The range's type is part of the usage text ("INT in [1 - 8]", "UINT in [1 - 256]").
template <typename Value, typename Bound>
void add_integer(CLI::App& app, std::string_view name, Value* value, Bound min, Bound max,
                 std::string_view help, Default shown) {
  CLI::Option* option =
      app.add_option(std::string(name), *value, std::string(help))->check(CLI::Range(min, max));
  if (shown == Default::kShown) option->capture_default_str();
}

}  // namespace

Options::Options(std::string_view program, std::string_view description)
    : app_(std::make_unique<CLI::App>(std::string(description), std::string(program))) {}

Options::~Options() = default;

void Options::Text(std::string_view name, std::string* value, std::string_view help) {
  app_->add_option(std::string(name), *value, std::string(help))->capture_default_str();
}

void Options::Ipv4(std::string_view name, std::string* value, std::string_view help) {
  app_->add_option(std::string(name), *value, std::string(help))
      ->check(CLI::ValidIPV4)
      ->capture_default_str();
}

void Options::Port(std::string_view name, uint16_t* value, std::string_view help) {
  add_integer(*app_, name, value, 0, 65535, help, Default::kShown);
}

void Options::Integer(std::string_view name, int* value, int min, int max, std::string_view help,
                      Default shown) {
  add_integer(*app_, name, value, min, max, help, shown);
}

void Options::Integer(std::string_view name, unsigned* value, unsigned min, unsigned max,
                      std::string_view help, Default shown) {
  add_integer(*app_, name, value, min, max, help, shown);
}

void Options::Integer(std::string_view name, uint64_t* value, uint64_t min, uint64_t max,
                      std::string_view help, Default shown) {
  add_integer(*app_, name, value, min, max, help, shown);
}

void Options::Seconds(std::string_view name, double* value, std::string_view help) {
  app_->add_option(std::string(name), *value, std::string(help))
      ->check(kSeconds)
      ->capture_default_str();
}

void Options::Arguments(std::string_view name, std::vector<std::string>* values,
                        std::string_view help) {
  app_->add_option(std::string(name), *values, std::string(help))->required();
}

void Options::Parse(int argc, char** argv) {
  set_program_name(app_->get_name());
  try {
    app_->parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app_->help() << std::flush;
    std::exit(0);
  } catch (const CLI::ParseError& e) {
    print_message(e.what());
    std::cerr << app_->help() << std::flush;
    std::exit(2);
  }
}

}  // namespace labkit
