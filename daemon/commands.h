// The newsmon subcommands. Each returns the process exit status; main() only parses the
// command line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace newsmon {

struct RunOptions {
  std::string config;
  std::optional<std::string> database;
  std::optional<std::string> publish;
  std::optional<std::string> replay;
  std::string log_format = "auto";
  bool once = false;
};

inline constexpr const char* kDefaultTailEndpoint = "tcp://127.0.0.1:5556";
inline constexpr const char* kDefaultTailReplayEndpoint = "tcp://127.0.0.1:5557";

struct TailOptions {
  // One daemon's bus, or several shards' (docs/scaling.md): the i-th replay endpoint answers
  // for the i-th endpoint. Empty: the defaults above (one replay endpoint may be left out).
  std::vector<std::string> endpoints;
  std::vector<std::string> replay_endpoints;
  // A seq, or "last" (from state_file): replay, then live. A seq counts for every endpoint.
  std::optional<std::string> since;
  std::string state_file;  // where the last printed seq of each endpoint is remembered
  std::string thread;
  bool json = false;
  long count = 0;  // exit after this many alerts; 0 = run until interrupted
  // CURVE: both set, or neither. The server's public NAME.key and our NAME.key_secret.
  std::string curve_server_key;
  std::string curve_key;
};

// newsmon board: a bus consumer that keeps the last day of alerts (at most `capacity`) and
// serves them to browsers (docs/board.md).
struct BoardOptions {
  std::string endpoint = "tcp://127.0.0.1:5556";
  std::string replay_endpoint = "tcp://127.0.0.1:5557";
  std::string listen = "127.0.0.1:8088";
  std::string token;  // required when `listen` is not a loopback address
  std::string curve_server_key;
  std::string curve_key;
  std::size_t capacity = 5000;
};

int RunDaemon(const RunOptions& options);
int CheckConfig(const std::string& config_path);
int ParseFile(const std::string& path, const std::string& content_type);
int Tail(const TailOptions& options);
int Board(const BoardOptions& options);
// Writes DIRECTORY/NAME.key and DIRECTORY/NAME.key_secret for CURVE on the bus.
int KeyGen(const std::string& name, const std::string& directory);
int ShowStatus(const std::string& config_path, const std::optional<std::string>& database);

}  // namespace newsmon
