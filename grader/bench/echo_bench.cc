// Benchmarks of the echo servers over loopback, each printing a table of ratios measured side
// by side in one run (docs/performance.md keeps the latest):
//
//   echo_bench client-cpu --fork-server EXE --thread-server EXE [--round-trips N]
//              [--connections 1,50,200]
//     The echo checks' own client (harness/tcp_client.h's LineClient, used as the checks use
//     it: a line to every connection, then the replies read together by a LineBatch) against
//     the reference servers: CPU per round trip of the client (this process) and of the server
//     (every thread of its tree, schedstat), beside the same rounds read each client in turn.
//     Goal: the client at most half the server's.
//
//   echo_bench vs-socat --fork-server EXE --thread-server EXE [--seconds S]
//              [--connections 50,200] [--socat /usr/bin/socat]
//     The servers against `socat TCP-LISTEN:PORT,fork,reuseaddr EXEC:cat` under a closed-loop
//     load (every connection keeps one line in flight): round trips per second and the 99th
//     percentile latency. Goal: 2x socat's throughput, half its p99. Exits 77 (skipped) without
//     socat.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "harness/proc.h"
#include "harness/subprocess.h"
#include "harness/tcp_client.h"
#include "harness/watch.h"

namespace forklab {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPatience(10'000);  // for a server to start or answer at all

/// A server under measurement: its process tree and the loopback port it listens on.
struct Server {
  std::string name;
  std::unique_ptr<Subprocess> process;
  uint16_t port = 0;

  /// CPU seconds of the server's whole tree now: every thread of it and of its live
  /// descendants (a fork server's sessions), from their schedstat clocks (nanoseconds, where
  /// /proc/PID/stat counts clock ticks, too coarse for a child's few milliseconds). Exited
  /// threads are left out: measure while every session is open.
  double CpuSeconds() const {
    std::vector<pid_t> tree = LiveDescendantsOf(process->pid());
    tree.push_back(process->pid());
    long long ns = 0;
    for (pid_t pid : tree) {
      std::error_code error;
      for (const auto& task :
           std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
        long long task_ns = 0;
        std::ifstream(task.path() / "schedstat") >> task_ns;
        ns += task_ns;
      }
    }
    return static_cast<double>(ns) / 1e9;
  }
};

/// Starts a lab echo server with --port 0 and reads its port from "listening on ADDR:PORT".
Server StartLabServer(const std::string& name, const std::string& exe) {
  SpawnOptions options;
  options.args = {"--port", "0"};
  Server server{name, Subprocess::Start(exe, options), 0};
  static const std::regex listening(R"(listening on .*:(\d+))");
  std::optional<std::string> line = server.process->ReadLine(kPatience);
  if (std::smatch match; line && std::regex_search(*line, match, listening))
    server.port = static_cast<uint16_t>(std::stoi(match[1]));
  if (server.port == 0) throw std::runtime_error(name + " printed no 'listening on' line");
  return server;
}

/// Starts `socat` (its path) as a fork-per-connection echo server on a free loopback port.
Server StartSocat(const std::string& socat) {
  uint16_t port = 0;
  for (uint16_t candidate = 20000 + getpid() % 20000; port == 0; ++candidate)
    if (LoopbackPortIsFree(candidate)) port = candidate;
  SpawnOptions options;
  options.args = {
      "TCP-LISTEN:" + std::to_string(port) + ",bind=127.0.0.1,fork,reuseaddr,backlog=512",
      "EXEC:cat"};
  Server server{"socat", Subprocess::Start(socat, options), port};
  Eventually(kPatience, [&] { return !LoopbackPortIsFree(port); });
  return server;
}

/// CPU seconds of this process (the client) now, to the nanosecond as the server's.
double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

std::vector<LineClient> ConnectAll(const Server& server, int count) {
  std::vector<LineClient> clients;
  std::string error;
  for (int i = 0; i < count; ++i) {
    std::optional<LineClient> client = LineClient::Connect(server.port, kPatience, &error);
    if (!client) throw std::runtime_error(server.name + ": connect: " + error);
    clients.push_back(std::move(*client));
  }
  return clients;
}

// What every connection sends, a line at a time.
constexpr std::string_view kLine = "the quick brown fox jumps over the lazy dog";

/// How a round reads its replies: together (LineBatch, as the echo checks do), or each client
/// in turn with its own ReadLine (a poll and a recv per reply: the checks before LineBatch).
enum class Reading { kTogether, kInTurn };

/// One round as the echo checks make it: a line to every client, then the replies read
/// (`replies` reads `clients` together). The lab servers stamp a reply "[HH:MM:SS] <line>";
/// socat returns the line as it is.
void EchoRound(const Server& server, std::vector<LineClient>& clients, LineBatch& replies,
               Reading reading) {
  for (LineClient& client : clients) client.Send(std::string(kLine) + "\n");
  std::vector<std::optional<std::string>> got;
  if (reading == Reading::kTogether) {
    got = replies.NextLines(kPatience);
  } else {
    for (LineClient& client : clients) got.push_back(client.ReadLine(kPatience));
  }
  for (const std::optional<std::string>& reply : got)
    if (!reply || !reply->ends_with(kLine))
      throw std::runtime_error(server.name + ": a reply did not echo the line");
}

/// CPU per round trip, in microseconds, of the client and of the server.
struct CpuPerRoundTrip {
  double client_us = 0;
  double server_us = 0;
  double Ratio() const { return server_us > 0 ? client_us / server_us : 0; }
};

/// Runs `rounds` rounds on every client, read as `reading` says, and measures both sides.
CpuPerRoundTrip MeasureRounds(const Server& server, std::vector<LineClient>& clients,
                              LineBatch& replies, int rounds, Reading reading) {
  double client_before = ProcessCpuSeconds(), server_before = server.CpuSeconds();
  for (int round = 0; round < rounds; ++round) EchoRound(server, clients, replies, reading);
  double client = ProcessCpuSeconds() - client_before;
  double served = server.CpuSeconds() - server_before;
  double trips = static_cast<double>(rounds) * static_cast<double>(clients.size());
  return {client / trips * 1e6, served / trips * 1e6};
}

/// Round trips per second and the 99th percentile latency of a closed-loop load.
struct Throughput {
  double per_second = 0;
  double p99_ms = 0;
};

Throughput MeasureThroughput(const Server& server, int connections, double seconds) {
  std::vector<LineClient> clients = ConnectAll(server, connections);
  // A round trip on each connection first: socat's fork and exec of cat, a fork server's child,
  // are set up before the clock starts.
  LineBatch replies(clients);
  EchoRound(server, clients, replies, Reading::kTogether);
  const std::string line = std::string(kLine) + "\n";
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Clock::time_point> sent(connections);
  for (int i = 0; i < connections; ++i) {
    epoll_event event{EPOLLIN, {.u32 = static_cast<uint32_t>(i)}};
    epoll_ctl(epoll, EPOLL_CTL_ADD, clients[i].fd(), &event);
  }
  std::vector<double> latencies_ms;
  Clock::time_point start = Clock::now(), end = start + std::chrono::duration_cast<Clock::duration>(
                                                            std::chrono::duration<double>(seconds));
  for (int i = 0; i < connections; ++i) {
    sent[i] = Clock::now();
    clients[i].Send(line);
  }
  std::vector<epoll_event> ready(connections);
  char buffer[4096];
  while (Clock::now() < end) {
    int count = epoll_wait(epoll, ready.data(), connections, 1000);
    if (count <= 0) throw std::runtime_error(server.name + ": no reply within 1 s");
    Clock::time_point now = Clock::now();
    for (int k = 0; k < count; ++k) {
      int i = static_cast<int>(ready[k].data.u32);
      ssize_t n = recv(clients[i].fd(), buffer, sizeof buffer, 0);
      if (n <= 0) throw std::runtime_error(server.name + ": a connection closed");
      // One line is in flight: its reply (stamped or not) is complete at its '\n'.
      if (std::find(buffer, buffer + n, '\n') == buffer + n) continue;
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - sent[i]).count());
      sent[i] = now;
      clients[i].Send(line);
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  close(epoll);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  double p99 = latencies_ms.empty() ? 0 : latencies_ms[latencies_ms.size() * 99 / 100];
  return {static_cast<double>(latencies_ms.size()) / elapsed, p99};
}

std::vector<int> ParseCounts(const std::string& text) {
  std::vector<int> counts;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) counts.push_back(std::stoi(item));
  return counts;
}

void Stop(Server& server) {
  server.process->KillTree();
}

int ClientCpu(const std::string& fork_exe, const std::string& thread_exe, int round_trips,
              const std::vector<int>& counts) {
  std::printf("%-20s %11s %31s %31s\n", "", "", "in turn (poll+recv per reply)",
              "together (LineBatch)");
  std::printf("%-20s %11s %10s %10s %9s %10s %10s %9s\n", "server", "connections", "client us",
              "server us", "ratio", "client us", "server us", "ratio");
  bool met = true;
  for (auto [name, exe] :
       {std::pair{"fork_echo_server", fork_exe}, {"thread_echo_server", thread_exe}}) {
    for (int connections : counts) {
      Server server = StartLabServer(name, exe);
      std::vector<LineClient> clients = ConnectAll(server, connections);
      LineBatch replies(clients);  // set up once with the connections, as a check does
      // A warm-up: every connection served once (a fork server's child).
      EchoRound(server, clients, replies, Reading::kTogether);
      int rounds = std::max(1, round_trips / connections);
      CpuPerRoundTrip in_turn = MeasureRounds(server, clients, replies, rounds, Reading::kInTurn);
      CpuPerRoundTrip together =
          MeasureRounds(server, clients, replies, rounds, Reading::kTogether);
      Stop(server);
      bool half = together.server_us > 0 && together.Ratio() <= 0.5;
      met = met && half;
      std::printf("%-20s %11d %10.1f %10.1f %9.2f %10.1f %10.1f %9.2f%s\n", name, connections,
                  in_turn.client_us, in_turn.server_us, in_turn.Ratio(), together.client_us,
                  together.server_us, together.Ratio(),
                  together.server_us == 0 ? " (server CPU not measured)"
                  : half                  ? ""
                                          : " (goal: 0.50 or less)");
    }
  }
  std::printf("goal (client at most half the server's CPU per round trip): %s\n",
              met ? "met" : "NOT met");
  return 0;
}

int VsSocat(const std::string& fork_exe, const std::string& thread_exe, const std::string& socat,
            double seconds, const std::vector<int>& counts) {
  if (access(socat.c_str(), X_OK) != 0) {
    std::cerr << "echo_bench: no " << socat << " (ci/install-deps --test-tools installs socat)\n";
    return 77;
  }
  std::printf("%-20s %11s %14s %10s %16s %14s\n", "server", "connections", "round trips/s",
              "p99 ms", "throughput/socat", "p99/socat");
  bool met = true;
  for (int connections : counts) {
    Server classic = StartSocat(socat);
    Throughput base = MeasureThroughput(classic, connections, seconds);
    Stop(classic);
    std::printf("%-20s %11d %14.0f %10.2f %16s %14s\n", "socat", connections, base.per_second,
                base.p99_ms, "1.00", "1.00");
    for (auto [name, exe] :
         {std::pair{"fork_echo_server", fork_exe}, {"thread_echo_server", thread_exe}}) {
      Server server = StartLabServer(name, exe);
      Throughput measured = MeasureThroughput(server, connections, seconds);
      Stop(server);
      double faster = measured.per_second / base.per_second;
      double p99 = measured.p99_ms / base.p99_ms;
      met = met && faster >= 2 && p99 <= 0.5;
      std::printf("%-20s %11d %14.0f %10.2f %16.2f %14.2f\n", name, connections,
                  measured.per_second, measured.p99_ms, faster, p99);
    }
  }
  std::printf("goal (2x socat's throughput and half its p99 at every count): %s\n",
              met ? "met" : "NOT met");
  return 0;
}

int Usage() {
  std::cerr << "usage: echo_bench client-cpu|vs-socat --fork-server EXE --thread-server EXE "
               "[--connections N,N...] [--round-trips N] [--seconds S] [--socat PATH]\n";
  return 2;
}

}  // namespace
}  // namespace forklab

int main(int argc, char** argv) {
  if (argc < 2) return forklab::Usage();
  std::string mode = argv[1], fork_exe, thread_exe, connections, socat = "/usr/bin/socat";
  int round_trips = 20'000;
  double seconds = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string option = argv[i], value = argv[i + 1];
    if (option == "--fork-server")
      fork_exe = value;
    else if (option == "--thread-server")
      thread_exe = value;
    else if (option == "--connections")
      connections = value;
    else if (option == "--round-trips")
      round_trips = std::stoi(value);
    else if (option == "--socat")
      socat = value;
    else if (option == "--seconds")
      seconds = std::stod(value);
    else
      return forklab::Usage();
  }
  if (fork_exe.empty() || thread_exe.empty() || argc % 2 != 0) return forklab::Usage();
  try {
    if (mode == "client-cpu")
      return forklab::ClientCpu(
          fork_exe, thread_exe, round_trips,
          forklab::ParseCounts(connections.empty() ? "1,50,200" : connections));
    if (mode == "vs-socat")
      return forklab::VsSocat(fork_exe, thread_exe, socat, seconds,
                              forklab::ParseCounts(connections.empty() ? "50,200" : connections));
  } catch (const std::exception& e) {
    std::cerr << "echo_bench: " << e.what() << "\n";
    return 1;
  }
  return forklab::Usage();
}
