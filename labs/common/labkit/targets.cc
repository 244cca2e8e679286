#include "labkit/targets.h"

#include <charconv>
#include <cstdint>
#include <optional>

namespace labkit {

namespace {

// Parses a decimal number in [0, max] that spans all of `text` (no sign, no leading '+').
std::optional<uint32_t> parse_number(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t address = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = text.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
    auto octet = parse_number(text.substr(0, dot), 255);
    if (!octet) return std::nullopt;
    address = (address << 8) | *octet;
    text = i < 3 ? text.substr(dot + 1) : std::string_view();
  }
  return address;
}

std::string format_ipv4(uint32_t address) {
  return std::to_string(address >> 24) + '.' + std::to_string((address >> 16) & 255) + '.' +
         std::to_string((address >> 8) & 255) + '.' + std::to_string(address & 255);
}

}  // namespace

bool expand_target(std::string_view target, std::vector<std::string>* hosts, std::string* error) {
  auto fail = [&](std::string_view why) {
    *error = "bad target '" + std::string(target) + "': " + std::string(why);
    return false;
  };
  if (size_t slash = target.find('/'); slash != std::string_view::npos) {
    auto base = parse_ipv4(target.substr(0, slash));
    auto prefix = parse_number(target.substr(slash + 1), 32);
    if (!base || !prefix) return fail("expected A.B.C.D/NN");
    if (*prefix < 16) return fail("prefix must be between 16 and 32");
    uint32_t size = *prefix == 32 ? 1 : uint32_t{1} << (32 - *prefix);
    uint32_t network = *base & ~(size - 1);
    uint32_t first = size > 2 ? network + 1 : network;
    uint32_t last = size > 2 ? network + size - 2 : network + size - 1;
    // A 64-bit counter: the block may end at 255.255.255.255, where a 32-bit one wraps.
    for (uint64_t a = first; a <= last; ++a)
      hosts->push_back(format_ipv4(static_cast<uint32_t>(a)));
    return true;
  }
  if (size_t dash = target.find('-'); dash != std::string_view::npos) {
    size_t last_dot = target.rfind('.', dash);
    if (last_dot == std::string_view::npos) return fail("expected A.B.C.X-Y");
    auto start = parse_ipv4(target.substr(0, dash));
    auto end_octet = parse_number(target.substr(dash + 1), 255);
    if (!start || !end_octet) return fail("expected A.B.C.X-Y");
    uint32_t first = *start & 255;
    if (first > *end_octet) return fail("range start is after its end");
    for (uint32_t octet = first; octet <= *end_octet; ++octet)
      hosts->push_back(format_ipv4((*start & ~uint32_t{255}) | octet));
    return true;
  }
  auto address = parse_ipv4(target);
  if (!address) return fail("expected an IPv4 address, A.B.C.X-Y or A.B.C.D/NN");
  hosts->push_back(format_ipv4(*address));
  return true;
}

std::vector<std::string> split_command(std::string_view command) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < command.size()) {
    size_t start = command.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    size_t end = command.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = command.size();
    words.emplace_back(command.substr(start, end - start));
    pos = end;
  }
  return words;
}

}  // namespace labkit
