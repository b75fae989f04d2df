// Thread files: one [thread] table per TOML file (format in docs/threads.md). Every problem
// found is reported, one "FILE:LINE: message" line each, so an editor fixes them in one go.
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <utility>

#include "classifiers/classifier.h"
#include "classifiers/text_internal.h"

namespace newsmon {
namespace {

class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void Add(int line, std::string message) { lines_.emplace_back(line, std::move(message)); }
  bool empty() const { return lines_.empty(); }
  Status ToStatus() {
    std::stable_sort(lines_.begin(), lines_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string joined;
    for (const auto& [line, message] : lines_) {
      if (!joined.empty()) joined += '\n';
      joined += file_ + ":" + std::to_string(line) + ": " + message;
    }
    return Status::Error(joined);
  }

 private:
  std::string file_;
  std::vector<std::pair<int, std::string>> lines_;
};

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

void RejectUnknownKeys(const toml::table& table, std::initializer_list<std::string_view> known,
                       const std::string& where, Problems& problems) {
  for (const auto& [key, node] : table) {
    std::string_view name = key.str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = "unknown key '" + std::string(name) + "' in " + where;
    for (std::string_view candidate : known) {
      if (EditDistance(name, candidate) <= 2) {
        message += " (did you mean '" + std::string(candidate) + "'?)";
        break;
      }
    }
    problems.Add(LineOf(key), message);
  }
}

std::optional<std::string> ReadString(const toml::table& table, std::string_view key,
                                      Problems& problems) {
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  if (auto value = node->value<std::string>()) return *value;
  problems.Add(LineOf(*node),
               "'" + std::string(key) + "' must be a string, not " + TypeName(*node));
  return std::nullopt;
}

// A finite number greater than zero; integers are accepted.
std::optional<double> ReadPositive(const toml::table& table, std::string_view key,
                                   Problems& problems) {
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  if (!node->is_number()) {
    problems.Add(LineOf(*node),
                 "'" + std::string(key) + "' must be a number, not " + TypeName(*node));
    return std::nullopt;
  }
  double value = *node->value<double>();
  if (!std::isfinite(value) || value <= 0) {
    problems.Add(LineOf(*node), "'" + std::string(key) + "' must be a number greater than 0");
    return std::nullopt;
  }
  return value;
}

// A finite number other than zero; negative weights lower the score.
std::optional<double> ReadWeight(const toml::table& table, Problems& problems) {
  const toml::node* node = table.get("weight");
  if (!node) return std::nullopt;
  if (!node->is_number()) {
    problems.Add(LineOf(*node), "'weight' must be a number, not " + TypeName(*node));
    return std::nullopt;
  }
  double value = *node->value<double>();
  if (!std::isfinite(value) || value == 0) {
    problems.Add(LineOf(*node), "'weight' must be a number other than 0");
    return std::nullopt;
  }
  return value;
}

bool ValidId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

void ReadTerms(const toml::table& group, const std::string& where, TermGroup& out,
               Problems& problems) {
  const toml::node* node = group.get("terms");
  if (!node) {
    problems.Add(out.line, where + " has no 'terms' list");
    return;
  }
  const toml::array* terms = node->as_array();
  if (!terms) {
    problems.Add(LineOf(*node), "'terms' must be an array of strings, not " + TypeName(*node));
    return;
  }
  if (terms->empty()) {
    problems.Add(LineOf(*node), "'terms' must not be empty");
    return;
  }
  for (const toml::node& entry : *terms) {
    auto term = entry.value<std::string>();
    if (!term) {
      problems.Add(LineOf(entry), "terms must be strings, not " + TypeName(entry));
      continue;
    }
    text::CompiledTerm compiled = text::CompileTerm(*term);
    if (!compiled.error.empty()) {
      problems.Add(LineOf(entry), compiled.error);
      continue;
    }
    out.terms.push_back(*term);
    out.term_lines.push_back(LineOf(entry));
  }
}

void ReadGroups(const toml::table& thread, std::string_view key, bool weighted,
                std::vector<TermGroup>& out, Problems& problems) {
  const toml::node* node = thread.get(key);
  if (!node) return;
  const std::string where = "[[thread." + std::string(key) + "]]";
  const toml::array* groups = node->as_array();
  if (!groups || !std::all_of(groups->begin(), groups->end(),
                              [](const toml::node& g) { return g.is_table(); })) {
    problems.Add(LineOf(*node), "'" + std::string(key) + "' must be an array of tables (" + where +
                                    "), not " + (groups ? "an array of values" : TypeName(*node)));
    return;
  }
  for (const toml::node& entry : *groups) {
    const toml::table& table = *entry.as_table();
    TermGroup group;
    group.line = LineOf(table);
    if (weighted) {
      RejectUnknownKeys(table, {"name", "weight", "terms"}, where, problems);
      if (auto weight = ReadWeight(table, problems)) group.weight = *weight;
    } else {
      RejectUnknownKeys(table, {"name", "terms"}, where, problems);
      group.weight = 0;
    }
    if (auto name = ReadString(table, "name", problems)) group.name = *name;
    ReadTerms(table, where, group, problems);
    out.push_back(std::move(group));
  }
}

std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

Result<ThreadDefinition> ParseThread(std::string_view toml_text, const std::string& source_name) {
  Problems problems(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source_name));
  } catch (const toml::parse_error& error) {
    problems.Add(static_cast<int>(error.source().begin.line),
                 "TOML syntax error: " + OneLine(error.description()));
    return problems.ToStatus();
  }

  ThreadDefinition thread;
  thread.source = source_name;
  for (const auto& [key, node] : root) {
    if (key.str() != "thread") {
      problems.Add(LineOf(key), "unknown top-level key '" + std::string(key.str()) +
                                    "' (a thread file holds one [thread] table)");
    }
  }
  const toml::node* node = root.get("thread");
  if (!node) {
    problems.Add(1, "missing [thread] table");
    return problems.ToStatus();
  }
  const toml::table* table = node->as_table();
  if (!table) {
    problems.Add(LineOf(*node), node->is_array()
                                    ? "'thread' must be a single [thread] table, not an array "
                                      "(one thread per file)"
                                    : "'thread' must be a table, not " + TypeName(*node));
    return problems.ToStatus();
  }
  const int thread_line = LineOf(*table);
  RejectUnknownKeys(*table,
                    {"id", "title", "threshold", "title_weight", "terms", "require", "exclude"},
                    "[thread]", problems);

  if (const toml::node* id = table->get("id")) {
    thread.line = LineOf(*id);
    if (auto value = ReadString(*table, "id", problems)) {
      thread.id = *value;
      if (!ValidId(thread.id)) {
        problems.Add(LineOf(*id), "invalid id '" + thread.id +
                                      "': use lowercase letters a-z, digits 0-9 and '-'");
      }
    }
  } else {
    thread.line = thread_line;
    problems.Add(thread_line, "missing 'id' in [thread]");
  }
  if (const toml::node* title = table->get("title")) {
    if (auto value = ReadString(*table, "title", problems)) {
      thread.title = *value;
      if (thread.title.find_first_not_of(" \t") == std::string::npos) {
        problems.Add(LineOf(*title), "'title' must not be empty");
      }
    }
  } else {
    problems.Add(thread_line, "missing 'title' in [thread]");
  }
  if (auto threshold = ReadPositive(*table, "threshold", problems)) thread.threshold = *threshold;
  if (auto weight = ReadPositive(*table, "title_weight", problems)) thread.title_weight = *weight;

  ReadGroups(*table, "terms", true, thread.scored, problems);
  ReadGroups(*table, "require", false, thread.required, problems);
  ReadGroups(*table, "exclude", false, thread.excluded, problems);
  if (!table->get("terms")) {
    problems.Add(thread_line, "[thread] needs at least one [[thread.terms]] group");
  }

  if (!problems.empty()) return problems.ToStatus();
  return thread;
}

Result<ThreadDefinition> LoadThreadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read thread file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Error(path + ": cannot read thread file");
  return ParseThread(text.str(), path);
}

}  // namespace newsmon
