#include <CLI/CLI.hpp>

#include "core/version.h"
#include "daemon/classify_command.h"
#include "daemon/commands.h"
#include "daemon/opml_import.h"
#include "daemon/suggest_terms_command.h"

int main(int argc, char** argv) {
  using namespace newsmon;
  CLI::App app{"newsmon: real-time news monitoring daemon"};
  app.set_version_flag("--version", NEWSMON_VERSION);
  app.require_subcommand(1);

  RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Run the daemon");
  run_cmd->add_option("--config", run.config, "Configuration file (TOML)")->required();
  run_cmd->add_option("--database", run.database, "SQLite database (overrides the config)");
  run_cmd->add_option("--publish", run.publish, "ZeroMQ endpoint to bind (overrides the config)");
  run_cmd->add_option("--replay", run.replay, "Replay endpoint to bind (overrides the config)");
  run_cmd->add_flag("--once", run.once,
                    "Fetch every feed once, publish what they bring (webhooks too, for up to "
                    "30 s), then exit: for cron, and to time one cycle");
  run_cmd
      ->add_option("--log-format", run.log_format,
                   "auto (journal under systemd, else text), text, journal or json")
      ->capture_default_str();

  std::string check_path;
  auto* check_cmd = app.add_subcommand("check-config", "Validate a configuration and its threads");
  check_cmd->add_option("--config", check_path, "Configuration file (TOML)")->required();

  std::string parse_path;
  auto* parse_cmd = app.add_subcommand("parse", "Parse one feed file and print it as JSON");
  std::string parse_content_type;
  parse_cmd->add_option("FILE", parse_path, "Feed file (RSS, RDF, Atom or JSON Feed)")->required();
  parse_cmd->add_option("--content-type", parse_content_type,
                        "Content-Type as a server would have sent it (charset matters)");

  ClassifyOptions classify;
  auto* classify_cmd = app.add_subcommand(
      "classify", "Dry-run the threads on JSON lines from stdin, a feed file or stored items");
  classify_cmd->add_option("--config", classify.config, "Configuration file (TOML)")->required();
  classify_cmd->add_option("--feed", classify.feed, "Classify the items of this feed file");
  classify_cmd->add_option("--database", classify.database,
                           "Re-classify items stored in this database (default: the config's)");
  classify_cmd->add_option("--since", classify.since,
                           "Stored items fetched since a duration (7d, 12h) or a date");
  classify_cmd->add_option("--limit", classify.limit, "Most stored items to read")
      ->capture_default_str();
  classify_cmd->add_flag("--explain", classify.explain, "Add thresholds, evidence and near misses");

  SuggestTermsOptions suggest;
  auto* suggest_cmd = app.add_subcommand(
      "suggest-terms",
      "Propose terms for a thread from labelled examples, as lines to paste into a terms list");
  suggest_cmd->add_option("--config", suggest.config, "Configuration file (TOML)")->required();
  suggest_cmd
      ->add_option("--labels", suggest.labels,
                   "Labelled items, JSON lines (docs/labelling.md); repeat for several files")
      ->required()
      ->allow_extra_args(false);
  suggest_cmd->add_option("--corpus", suggest.corpus,
                          "Folder of the corpus that labels with \"source\" point into");
  suggest_cmd->add_option("--thread", suggest.thread, "Thread id to learn terms for")->required();
  suggest_cmd->add_option("--top", suggest.top, "Most terms to print")->capture_default_str();
  suggest_cmd
      ->add_option("--min-count", suggest.min_count,
                   "Least number of positive items a term must occur in")
      ->capture_default_str();
  suggest_cmd->add_flag("--all-splits", suggest.all_splits,
                        "Learn from the blind split too (it then no longer measures the thread)");
  suggest_cmd->footer(
      "Learns from the training split and the written set only: the blind split is kept for\n"
      "measuring the thread (docs/labelling.md). See docs/threads.md, \"Learning terms from\n"
      "examples\".");

  TailOptions tail;
  auto* tail_cmd = app.add_subcommand("tail", "Print alerts from the bus as they arrive");
  tail_cmd
      ->add_option("--endpoint", tail.endpoints,
                   "Publisher endpoint to connect to; repeat it for each shard")
      ->allow_extra_args(false)
      ->default_str(kDefaultTailEndpoint);
  tail_cmd
      ->add_option("--replay-endpoint", tail.replay_endpoints,
                   "Replay endpoint: for --since, and to fill gaps; one per --endpoint, in order")
      ->allow_extra_args(false)
      ->default_str(kDefaultTailReplayEndpoint);
  tail_cmd->add_option("--since", tail.since,
                       "First print every stored alert after this seq (0: all; 'last': where "
                       "--state left off), then go live");
  tail_cmd->add_option("--state", tail.state_file,
                       "File that remembers the last alert printed and its database (per "
                       "endpoint), for --since last");
  tail_cmd->add_option("--thread", tail.thread, "Only this thread's alerts");
  tail_cmd->add_flag("--json", tail.json, "Print each alert's raw JSON body");
  tail_cmd->add_option("--count", tail.count, "Exit after this many alerts");
  auto* server_key =
      tail_cmd->add_option("--curve-server-key", tail.curve_server_key,
                           "The daemon's public certificate (NAME.key) when its bus uses CURVE");
  auto* client_key = tail_cmd->add_option("--curve-key", tail.curve_key,
                                          "Our own secret certificate (NAME.key_secret) for CURVE");
  server_key->needs(client_key);
  client_key->needs(server_key);

  BoardOptions board;
  auto* board_cmd = app.add_subcommand(
      "board", "Serve a live board of the bus's alerts to browsers (the last day, then live)");
  board_cmd->add_option("--endpoint", board.endpoint, "Publisher endpoint to connect to")
      ->capture_default_str();
  board_cmd
      ->add_option("--replay,--replay-endpoint", board.replay_endpoint,
                   "Replay endpoint, to fill the board")
      ->capture_default_str();
  board_cmd
      ->add_option("--listen", board.listen,
                   "HOST:PORT to serve the board on; other than loopback needs --token")
      ->capture_default_str();
  board_cmd
      ->add_option("--token", board.token,
                   "Secret that browsers must present (header, cookie or ?token= once)")
      ->envname("NEWSMON_BOARD_TOKEN");
  board_cmd->add_option("--max-alerts", board.capacity, "Most alerts held and shown")
      ->capture_default_str();
  auto* board_server_key =
      board_cmd->add_option("--curve-server-key", board.curve_server_key,
                            "The daemon's public certificate (NAME.key) when its bus uses CURVE");
  auto* board_client_key = board_cmd->add_option(
      "--curve-key", board.curve_key, "Our own secret certificate (NAME.key_secret) for CURVE");
  board_server_key->needs(board_client_key);
  board_client_key->needs(board_server_key);

  std::string keygen_name, keygen_dir = ".";
  auto* keygen_cmd = app.add_subcommand(
      "keygen", "Write a CURVE key pair for the bus: DIR/NAME.key (public), DIR/NAME.key_secret");
  keygen_cmd->add_option("NAME", keygen_name, "Base name, e.g. 'server' or 'desk-1'")->required();
  keygen_cmd->add_option("--dir", keygen_dir, "Directory to write into")->capture_default_str();

  std::string status_config;
  std::optional<std::string> status_database;
  auto* status_cmd = app.add_subcommand(
      "status", "Each feed's state, last success, last error and next poll; alerts per thread");
  status_cmd->add_option("--config", status_config, "Configuration file (TOML)")->required();
  status_cmd->add_option("--database", status_database, "SQLite database (overrides the config)");

  std::string opml_path, opml_append;
  auto* opml_cmd = app.add_subcommand(
      "import-opml", "Print [[feed]] tables for every feed in an OPML file, or append them");
  opml_cmd->add_option("FILE", opml_path, "OPML file exported by a feed reader")->required();
  opml_cmd->add_option("--append", opml_append,
                       "Append the feeds not yet in this config file (checked before writing)");

  CLI11_PARSE(app, argc, argv);
  if (*run_cmd) return RunDaemon(run);
  if (*check_cmd) return CheckConfig(check_path);
  if (*parse_cmd) return ParseFile(parse_path, parse_content_type);
  if (*classify_cmd) return ClassifyCommand(classify);
  if (*suggest_cmd) return SuggestTermsCommand(suggest);
  if (*tail_cmd) return Tail(tail);
  if (*board_cmd) return Board(board);
  if (*keygen_cmd) return KeyGen(keygen_name, keygen_dir);
  if (*opml_cmd) return ImportOpml(opml_path, opml_append);
  if (*status_cmd) return ShowStatus(status_config, status_database);
  return 2;
}
