// Claims that several lab suites make, each written once with its teaching message.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
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

/// Picks the keyed hint `key` of this check's rubric entry (`hints = { key = "..." }`) for its
/// report, by what the check observed (a stale timestamp rather than a UTC one, say). The
/// report shows the entry's `hint` when no key is picked or the entry lacks it.
void UseHint(std::string_view key);

/// Marks this check "not measured": `check` (Suite.Name), which names the cause, failed a
/// precondition of it. The report then points there and shows no hint of this check's own:
/// one cause is named once.
void NotMeasuredBecause(std::string_view check);

/// Says why a connection is still open, for a claim that it closes.
using WhyOpen = std::function<std::string()>;

/// The server closes `client`'s connection within `timeout` without sending anything first.
/// When it is still open then, the failure adds `why_open()`, if given.
testing::AssertionResult ClosesSilently(LineClient& client, std::chrono::milliseconds timeout,
                                        const WhyOpen& why_open = nullptr);

/// The server closes `client`'s connection within `timeout`, whatever it sends first.
/// When it is still open then, the failure adds `why_open()`, if given.
testing::AssertionResult Closes(LineClient& client, std::chrono::milliseconds timeout,
                                const WhyOpen& why_open = nullptr);

/// ExpectUsageError for a program started with `options` (ProgramOptions(args) and an
/// environment of the suite's), for a suite that watches what a command line it wrongly
/// accepted would do: the fake ping's log, for one.
RunResult ExpectUsageErrorWith(const SpawnOptions& options, std::chrono::milliseconds limit,
                               std::string_view ran = "");

}  // namespace forklab
