// Reading the TOML files people write for newsmon (the daemon's config, thread files): one
// copy of the problem list and of the typed readers, so both kinds of file report mistakes in
// the same words. Every problem is collected rather than returned at the first, so one
// `check-config` run shows them all, as "FILE:LINE: message" lines; every type mistake names
// the key, what it must be and what was written ("'title' must be a string, not an integer"),
// and an unknown key that is a typo of a known one says which ("did you mean 'threshold'?").
//
// The readers report into a Problems and return nothing (std::nullopt, an empty list) when the
// key is absent or wrong, so a caller keeps its default and goes on to the next key.
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace newsmon::toml_reader {

// The problems found in one file.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  void Add(int line, std::string message) { lines_.emplace_back(line, std::move(message)); }
  // A parse failure with a line (a syntax error), as "TOML syntax error: ..." on one line.
  void AddSyntaxError(const toml::parse_error& error);
  // The problems of another file this one names (a thread file the config lists): a Status
  // message already made of "FILE:LINE: message" lines. They follow this file's own problems,
  // in the order added, so each file's problems stay together.
  void AddFromOtherFile(const Status& status);

  bool empty() const { return lines_.empty() && other_files_.empty(); }
  // Every problem as one InvalidInput Status, one "FILE:LINE: message" line each: this file's
  // sorted by line (problems on one line in the order found), then the other files'.
  Status ToStatus() const;

 private:
  std::string file_;
  std::vector<std::pair<int, std::string>> lines_;
  std::vector<std::string> other_files_;
};

// The line a value or a key starts on, as Problems counts them (from 1).
int LineOf(const toml::node& node);
int LineOf(const toml::key& key);

// What a value is, for messages: "a string", "an integer", "a floating-point number",
// "a boolean", "an array", "a table", "a date", "a time", "a date-time".
std::string TypeName(const toml::node& node);

// "'KEY' must be EXPECTED, not TYPE", e.g. MustBe("stem", "true or false", node).
std::string MustBe(std::string_view key, std::string_view expected, const toml::node& found);

// Reports each key of `table` not in `known` as "unknown key 'K' in WHERE", or "unknown key
// 'K'" when `where` is empty (the top level), followed by " (did you mean 'X'?)" when a known
// key is at most two edits away, one for keys of up to three letters (the nearest; on a tie,
// the first in `known`).
void RejectUnknownKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                       std::string_view where, Problems& problems);

std::optional<std::string> ReadString(const toml::table& table, std::string_view key,
                                      Problems& problems);

struct ParsedDuration {
  std::optional<std::chrono::milliseconds> value;
  bool too_large = false;  // a number and a unit, but past what milliseconds can hold
};
// "250ms", "30s", "5m", "1h", "1d".
ParsedDuration ParseDurationText(std::string_view text);

// The longest a duration may be, and how it is written in messages ("7d"): a value near 2^63
// ms overflowed the clock once and made the daemon poll in a tight loop.
struct DurationBound {
  std::chrono::milliseconds most;
  const char* as_written;
};
// A positive duration of at most `bound`; anything else is reported at its line.
std::optional<std::chrono::milliseconds> ReadDuration(const toml::table& table,
                                                      std::string_view key, DurationBound bound,
                                                      Problems& problems);
std::optional<bool> ReadBool(const toml::table& table, std::string_view key, Problems& problems);

// One string of an array, with the line it is written on.
struct StringEntry {
  std::string value;
  int line = 0;
};
// An array of strings: its string entries. Not an array: reported, and none. An entry that is
// not a string is reported at its own line and left out.
std::vector<StringEntry> ReadStringArray(const toml::table& table, std::string_view key,
                                         Problems& problems);

}  // namespace newsmon::toml_reader
