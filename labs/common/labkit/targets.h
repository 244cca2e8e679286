// Ping-sweep targets and the ping command line, parsed without ever involving a shell.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace labkit {

/// Expands one TARGET into its hosts, in ascending order, appending them to `hosts`.
/// A TARGET is an IPv4 address ("127.0.0.1"), a last-octet range ("10.14.2.1-254", X <= Y),
/// or a CIDR block ("127.0.0.0/24", 16 <= NN <= 32; hosts only, so the network and broadcast
/// addresses are left out for NN <= 30). Host bits set in a CIDR address are ignored.
/// Anything else (host names, shell syntax, out-of-range numbers) returns false and sets
/// `error` to a one-line reason.
bool expand_target(std::string_view target, std::vector<std::string>* hosts, std::string* error);

/// Splits a command such as "ping -c 2 -W 1" on spaces and tabs into argv words.
/// No quoting and no shell expansion: the words are passed to exec as they are.
std::vector<std::string> split_command(std::string_view command);

}  // namespace labkit
