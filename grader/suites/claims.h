// Claims that several lab suites make, each written once with its teaching message.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "harness/subprocess.h"
#include "harness/tcp_client.h"
#include "suites/quoted.h"

namespace forklab {

/// "fork_sum --workers many": the lab under test and `args`, as a student would type them.
std::string CommandLine(const std::vector<std::string>& args);

/// Whether `err` shows a usage message (the word "usage", in any case).
bool ShowsUsage(std::string_view err);

/// The usage-error contract: the program under test, started with `args`, exits 2 within
/// `limit` with a usage message on stderr and without doing the work. `ran` is what it
/// prints on stdout once it works ("listening on", say); empty: stdout must stay empty.
/// Records a GoogleTest failure for each clause broken; returns the run for further claims.
RunResult ExpectUsageError(const std::vector<std::string>& args, std::chrono::milliseconds limit,
                           std::string_view ran = "");

/// The "still alive" half of every absence claim (no zombie, no leftover process, no extra
/// thread, no busy loop): `program` has not ended, and does not within a moment more. A program
/// that is gone has no zombies and uses no CPU, so such a claim proves nothing unless it also held
/// this. On failure says how it ended and when ("the server exited (exit 1) 0.4 s after it started,
/// after <after>: it must keep running"), with its stderr.
testing::AssertionResult StillRunning(Subprocess& program, std::string_view who,
                                      std::string_view after);

/// The server closes `client`'s connection within `timeout` without sending anything first.
testing::AssertionResult ClosesSilently(LineClient& client, std::chrono::milliseconds timeout);

/// The server closes `client`'s connection within `timeout`, whatever it sends first.
testing::AssertionResult Closes(LineClient& client, std::chrono::milliseconds timeout);

/// ExpectUsageError for a program started with `options` (ProgramOptions(args) and an
/// environment of the suite's), for a suite that watches what a command line it wrongly
/// accepted would do: the fake ping's log, for one.
RunResult ExpectUsageErrorWith(const SpawnOptions& options, std::chrono::milliseconds limit,
                               std::string_view ran = "");

}  // namespace forklab
