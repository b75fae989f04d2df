#include "core/toml_reader.h"

#include <algorithm>
#include <charconv>

namespace newsmon::toml_reader {
namespace {

// Levenshtein distance: enough to catch a typo ("treshold", "intervall") in keys this short.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

// A problem is one line of output, whatever the parser's description holds.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

void Problems::AddSyntaxError(const toml::parse_error& error) {
  Add(static_cast<int>(error.source().begin.line),
      "TOML syntax error: " + OneLine(error.description()));
}

void Problems::AddFromOtherFile(const Status& status) { other_files_.push_back(status.message()); }

Status Problems::ToStatus() const {
  std::vector<std::pair<int, std::string>> sorted = lines_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string joined;
  for (const auto& [line, message] : sorted) {
    if (!joined.empty()) joined += '\n';
    joined += file_ + ":" + std::to_string(line) + ": " + message;
  }
  for (const std::string& other : other_files_) {
    if (!joined.empty()) joined += '\n';
    joined += other;
  }
  return Status::InvalidInput(joined);
}

int LineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }
int LineOf(const toml::key& key) { return static_cast<int>(key.source().begin.line); }

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

std::string MustBe(std::string_view key, std::string_view expected, const toml::node& found) {
  return "'" + std::string(key) + "' must be " + std::string(expected) + ", not " + TypeName(found);
}

void RejectUnknownKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                       std::string_view where, Problems& problems) {
  for (const auto& [key, node] : table) {
    std::string_view name = key.str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = "unknown key '" + std::string(name) + "'";
    if (!where.empty()) message += " in " + std::string(where);
    // The nearest, not the first within reach: "stems" is one edit from 'stem' and two from
    // 'terms', which [[thread.terms]] lists first. Two edits rewrite most of a short key, and
    // 'ttl' is not a typo of 'url'.
    std::string_view suggestion;
    size_t best = name.size() <= 3 ? 2 : 3;
    for (std::string_view candidate : known) {
      size_t distance = EditDistance(name, candidate);
      if (distance < best) {
        best = distance;
        suggestion = candidate;
      }
    }
    if (!suggestion.empty()) message += " (did you mean '" + std::string(suggestion) + "'?)";
    problems.Add(LineOf(key), std::move(message));
  }
}

std::optional<std::string> ReadString(const toml::table& table, std::string_view key,
                                      Problems& problems) {
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  if (auto value = node->value<std::string>()) return *value;
  problems.Add(LineOf(*node), MustBe(key, "a string", *node));
  return std::nullopt;
}

std::optional<bool> ReadBool(const toml::table& table, std::string_view key, Problems& problems) {
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  if (auto value = node->value<bool>()) return *value;
  problems.Add(LineOf(*node), MustBe(key, "true or false", *node));
  return std::nullopt;
}

std::vector<StringEntry> ReadStringArray(const toml::table& table, std::string_view key,
                                         Problems& problems) {
  std::vector<StringEntry> entries;
  const toml::node* node = table.get(key);
  if (!node) return entries;
  const toml::array* array = node->as_array();
  if (!array) {
    problems.Add(LineOf(*node), MustBe(key, "an array of strings", *node));
    return entries;
  }
  for (const toml::node& entry : *array) {
    if (auto value = entry.value<std::string>()) {
      entries.push_back({*value, LineOf(entry)});
    } else {
      problems.Add(LineOf(entry),
                   "'" + std::string(key) + "' entries must be strings, not " + TypeName(entry));
    }
  }
  return entries;
}

ParsedDuration ParseDurationText(std::string_view text) {
  std::int64_t amount = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (end == text.data() || (error != std::errc() && error != std::errc::result_out_of_range)) {
    return {};
  }
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  static const std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    std::int64_t ms = 0;
    if (error == std::errc::result_out_of_range || __builtin_mul_overflow(amount, factor, &ms)) {
      return {std::nullopt, true};
    }
    return {std::chrono::milliseconds(ms), false};
  }
  return {};
}

std::optional<std::chrono::milliseconds> ReadDuration(const toml::table& table,
                                                      std::string_view key, DurationBound bound,
                                                      Problems& problems) {
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  auto text = node->value<std::string>();
  const ParsedDuration parsed = text ? ParseDurationText(*text) : ParsedDuration{};
  const std::string too_long =
      "'" + std::string(key) + "' must be at most \"" + bound.as_written + "\"";
  if (parsed.too_large || (parsed.value && *parsed.value > bound.most)) {
    problems.Add(LineOf(*node), too_long);
    return std::nullopt;
  }
  if (!parsed.value || parsed.value->count() <= 0) {
    const std::string expected = "a positive duration such as \"30s\", \"5m\" or \"1h\"";
    // A number (`interval = 30`) says so: what it lacks is a unit.
    problems.Add(LineOf(*node), text ? "'" + std::string(key) + "' must be " + expected
                                     : MustBe(key, expected, *node));
    return std::nullopt;
  }
  return parsed.value;
}

}  // namespace newsmon::toml_reader
