// What making alerts durable before they are published costs (docs/design.md, "Durability").
// A turn of the loop as the daemon runs it: F feeds fetched, each storing one matching item in
// its own transaction, then every alert marked sent. Three ways, on a real file in --dir:
//   none      commits only (WAL, synchronous=NORMAL): survives a process crash, not power loss
//   per-turn  one Store::MakeDurable before publishing (what the outbox does)
//   full      one sync per commit, which is what synchronous=FULL does in WAL mode
// Usage: sync-bench [--dir DIR] [--turns N] [--feeds F]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/store.h"

namespace {

using newsmon::ClassifiedItem;
using newsmon::FetchRecord;
using newsmon::Store;

enum class Mode { kNone, kPerTurn, kFull };

FetchRecord OneItem(const std::string& feed, int n) {
  FetchRecord record;
  record.feed = feed;
  record.config_url = "https://example.org/" + feed;
  record.fetched_at = 1'795'424'500 + n;
  ClassifiedItem classified;
  std::string id = feed + "-" + std::to_string(n);
  classified.item = {
      feed, id, "Ceasefire " + id, "https://example.org/" + id, 1795424400, "The truce holds."};
  classified.matches = {{"truces", 3, 2, {{"ceasefire", "title", 0, 3}}, 0}};
  record.new_items = {classified};
  return record;
}

bool Check(const newsmon::Status& status) {
  if (!status.ok()) std::fprintf(stderr, "sync-bench: %s\n", status.message().c_str());
  return status.ok();
}

// Milliseconds per turn.
double Run(Mode mode, const std::filesystem::path& dir, int turns, int feeds) {
  const auto path = dir / "sync-bench.db";
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  auto store = Store::Open(path.string());
  if (!store.ok() || !Check((*store)->MakeDurable())) return -1;
  const auto start = std::chrono::steady_clock::now();
  for (int turn = 0; turn < turns; ++turn) {
    std::vector<std::int64_t> seqs;
    for (int f = 0; f < feeds; ++f) {
      auto stored = (*store)->RecordFetch(OneItem("feed" + std::to_string(f), turn));
      if (!stored.ok() || (mode == Mode::kFull && !Check((*store)->MakeDurable()))) return -1;
      seqs.insert(seqs.end(), stored->begin(), stored->end());
    }
    if (mode == Mode::kPerTurn && !Check((*store)->MakeDurable())) return -1;
    for (std::int64_t seq : seqs) {
      if (!Check((*store)->MarkSent(seq, turn))) return -1;
      if (mode == Mode::kFull && !Check((*store)->MakeDurable())) return -1;
    }
  }
  std::chrono::duration<double, std::milli> spent = std::chrono::steady_clock::now() - start;
  return spent.count() / turns;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  int turns = 200, feeds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--turns") turns = std::atoi(argv[i + 1]);
    if (flag == "--feeds") feeds = std::atoi(argv[i + 1]);
  }
  std::printf("%d turns of %d feeds with one new alert each, database in %s\n", turns, feeds,
              dir.c_str());
  for (auto [mode, name] : {std::pair{Mode::kNone, "none"}, std::pair{Mode::kPerTurn, "per-turn"},
                            std::pair{Mode::kFull, "full"}}) {
    double ms = Run(mode, dir, turns, feeds);
    if (ms < 0) return 1;
    std::printf("%-9s %8.2f ms per turn\n", name, ms);
  }
  std::filesystem::remove(dir / "sync-bench.db");
  std::filesystem::remove((dir / "sync-bench.db").string() + "-wal");
  std::filesystem::remove((dir / "sync-bench.db").string() + "-shm");
  return 0;
}
