// `newsmon run --once`, as cron would run it: every feed fetched once, what they bring stored,
// published and posted to webhooks, then exit 0; a second run finds nothing new.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "tests/support/feed_server.h"
#include "tests/support/fixtures.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"
#include "tests/support/webhook_receiver.h"

namespace newsmon::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("run --once fetches every feed once, publishes and posts what they bring, and exits") {
  TempDir dir;
  FeedServer server;
  WebhookReceiver receiver;
  server.Serve("/a.xml", FeedResource({{"a1", "Ceasefire agreed in the south", ""}}, "\"a\""));
  server.Serve("/b.xml",
               FeedResource({{"b1", "Truce collapses after shelling of Kherson", ""}}, "\"b\""));
  const std::string webhook =
      "\n[[publish.webhook]]\nname = \"desk\"\nurl = \"" + receiver.Url() + "\"\n";
  Config config =
      TestConfig(dir, {{"a", server.Url("/a.xml")}, {"b", server.Url("/b.xml")}}, webhook);

  Process first({"run", "--config", config.path, "--once"});
  REQUIRE(first.Wait(20s) == 0);
  CHECK(server.HitCount("/a.xml") >= 1);
  CHECK(server.HitCount("/b.xml") >= 1);
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts") == 2);
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts WHERE sent_at IS NULL") == 0);
  CHECK(receiver.Seqs() == std::vector<std::int64_t>{1, 2});

  Process second({"run", "--config", config.path, "--once"});
  REQUIRE(second.Wait(20s) == 0);
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts") == 2);
  CHECK(receiver.RequestCount() == 2);
}

// Runs `newsmon args...` with its stdout and stderr on a pipe nobody reads any more, as
// `newsmon run 2>&1 | less` after the reader quit; its exit status (128 + signal if killed).
int RunWithClosedLog(const std::vector<std::string>& args) {
  int ends[2];
  REQUIRE(::pipe(ends) == 0);
  ::close(ends[0]);  // the reader is gone before the first line is written
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ends[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, ends[1], STDERR_FILENO);
  std::vector<std::string> argv_strings = {NEWSMON_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // As a shell starts it: SIGPIPE at its default, whatever this test process does with it.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &pipe_signal);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, NEWSMON_BINARY, &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(ends[1]);
  REQUIRE(spawned == 0);
  int status = 0;
  const bool exited = WaitUntil([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 20s);
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL("newsmon did not exit within 20 s");
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

TEST_CASE("a log nobody reads any more does not kill the daemon: it runs and stores as usual") {
  TempDir dir;
  FeedServer server;
  server.Serve("/a.xml", FeedResource({{"a1", "Ceasefire agreed in the south", ""}}, "\"a\""));
  Config config = TestConfig(dir, {{"a", server.Url("/a.xml")}});
  // Before, the first log line ended it with SIGPIPE (141) and nothing was stored.
  CHECK(RunWithClosedLog({"run", "--config", config.path, "--once"}) == 0);
  CHECK(CountRows(config.database, "SELECT COUNT(*) FROM alerts") == 1);
}

}  // namespace
}  // namespace newsmon::testing
