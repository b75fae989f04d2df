// `newsmon classify`: dry runs of the configured threads, without the daemon.
//   stdin mode     JSON lines {"id","title","summary"} in, one JSON line per input out
//   --feed FILE    the items of a feed file (RSS, Atom, RDF)
//   --since 7d     items the daemon stored in the database in the last 7 days (--database
//                  overrides the config's database; --database alone: every stored item)
//   --explain      adds each match's threshold and evidence (term, field, position, weight),
//                  and the threads that had hits but did not match, with the reason
// Output, one line per item:
//   {"id", ["feed",] ["title",] "threads": [{"id","score","matched"[,"threshold","evidence"]}]
//    [, "unmatched": [{"id","score","threshold","reason","evidence"}]]}
// ("feed" in database mode, "title" in feed and database modes). Feed and database modes end
// with a summary on stderr: how many items each thread matched.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

namespace newsmon {

struct ClassifyOptions {
  std::string config;
  std::optional<std::string> feed;      // a feed file to classify
  std::optional<std::string> database;  // a database to re-classify stored items from
  std::optional<std::string> since;     // "7d", "12h"... or a date ("2026-03-01T00:00:00Z")
  bool explain = false;
  std::size_t limit = 100000;  // most stored items to read in database mode
};

// Returns the exit status: 0, 1 on errors (printed to stderr), 2 on conflicting options.
int ClassifyCommand(const ClassifyOptions& options);
int ClassifyCommand(const ClassifyOptions& options, std::istream& in, std::ostream& out,
                    std::ostream& err);

}  // namespace newsmon
