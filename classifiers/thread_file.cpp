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
    return Status::InvalidInput(joined);
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

// A term list as written: plain terms and "@group" references, each with its line.
using RawTerms = std::vector<std::pair<std::string, int>>;

struct RawGroup {
  TermGroup group;
  RawTerms terms;
  RawTerms near;
  std::vector<TermGroup>* kind = nullptr;
  bool list = false;  // a [[thread.lists]] table
};

bool IsReference(std::string_view term) { return term.size() > 1 && term.front() == '@'; }

// Reads a list of strings: plain terms are checked now, references when all groups are read.
void ReadTermList(const toml::table& group, std::string_view key, const std::string& where,
                  int group_line, const text::TermOptions& options, RawTerms& out,
                  Problems& problems) {
  const toml::node* node = group.get(key);
  if (!node) {
    if (key == "terms") problems.Add(group_line, where + " has no 'terms' list");
    return;
  }
  const std::string quoted = "'" + std::string(key) + "'";
  const toml::array* terms = node->as_array();
  if (!terms) {
    problems.Add(LineOf(*node), quoted + " must be an array of strings, not " + TypeName(*node));
    return;
  }
  if (terms->empty()) {
    problems.Add(LineOf(*node), quoted + " must not be empty");
    return;
  }
  for (const toml::node& entry : *terms) {
    auto term = entry.value<std::string>();
    if (!term) {
      problems.Add(LineOf(entry), "terms must be strings, not " + TypeName(entry));
      continue;
    }
    if (!IsReference(*term)) {
      text::CompiledTerm compiled = text::CompileTerm(*term, options);
      if (!compiled.error.empty()) {
        problems.Add(LineOf(entry), compiled.error);
        continue;
      }
    }
    out.emplace_back(*term, LineOf(entry));
  }
}

std::optional<bool> ReadBool(const toml::table& table, std::string_view key, Problems& problems) {
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  if (auto value = node->value<bool>()) return *value;
  problems.Add(LineOf(*node),
               "'" + std::string(key) + "' must be true or false, not " + TypeName(*node));
  return std::nullopt;
}

void ReadLanguage(const toml::table& table, TermGroup& group, Problems& problems) {
  auto lang = ReadString(table, "lang", problems);
  if (!lang) return;
  if (text::LanguageFromCode(*lang) == text::Language::kUnknown) {
    problems.Add(LineOf(*table.get("lang")),
                 "'lang' must be \"en\", \"uk\" or \"ru\", not '" + *lang + "'");
    return;
  }
  group.lang = *lang;
}

void ReadFields(const toml::table& table, TermGroup& group, Problems& problems) {
  const toml::node* node = table.get("fields");
  if (!node) return;
  const toml::array* fields = node->as_array();
  if (!fields || fields->empty()) {
    problems.Add(LineOf(*node), "'fields' must be a non-empty array of \"title\" and \"summary\"");
    return;
  }
  for (const toml::node& entry : *fields) {
    auto field = entry.value<std::string>();
    if (!field || (*field != "title" && *field != "summary")) {
      problems.Add(LineOf(entry), "'fields' entries must be \"title\" or \"summary\"");
      continue;
    }
    group.fields.push_back(*field);
  }
}

void ReadWithin(const toml::table& table, TermGroup& group, Problems& problems) {
  const toml::node* node = table.get("within");
  if (!node) return;
  auto value = node->value_exact<std::int64_t>();
  if (!value || *value < 1 || *value > 1000) {
    problems.Add(LineOf(*node), "'within' must be a whole number of words from 1 to 1000");
    return;
  }
  group.within = static_cast<int>(*value);
}

void ReadGroups(const toml::table& thread, std::string_view key, std::vector<TermGroup>& kind,
                std::vector<RawGroup>& out, Problems& problems) {
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
  const bool weighted = key == "terms";
  const bool context = key == "context";
  const bool list = key == "lists";
  for (const toml::node& entry : *groups) {
    const toml::table& table = *entry.as_table();
    RawGroup raw;
    raw.kind = &kind;
    raw.list = list;
    TermGroup& group = raw.group;
    group.line = LineOf(table);
    if (list) {
      RejectUnknownKeys(table, {"name", "terms"}, where, problems);
      if (!table.get("name")) problems.Add(group.line, where + " needs a 'name' to be referenced by");
      group.weight = 0;
    } else if (weighted) {
      RejectUnknownKeys(table,
                        {"name", "weight", "once", "terms", "lang", "stem", "fields", "near",
                         "within"},
                        where, problems);
      if (auto weight = ReadWeight(table, problems)) group.weight = *weight;
      if (auto once = ReadBool(table, "once", problems)) group.once = *once;
    } else if (context) {
      RejectUnknownKeys(table, {"name", "terms", "lang", "stem", "fields", "within"}, where,
                        problems);
      group.weight = 0;
    } else {
      RejectUnknownKeys(table, {"name", "terms", "lang", "stem", "fields", "near", "within"}, where,
                        problems);
      group.weight = 0;
    }
    if (auto name = ReadString(table, "name", problems)) group.name = *name;
    ReadLanguage(table, group, problems);
    if (auto stem = ReadBool(table, "stem", problems)) group.stem = *stem;
    ReadFields(table, group, problems);
    ReadWithin(table, group, problems);
    const text::TermOptions options{text::LanguageFromCode(group.lang), group.stem};
    ReadTermList(table, "terms", where, group.line, options, raw.terms, problems);
    if (list) {
      out.push_back(std::move(raw));
      continue;
    }
    if (!context) ReadTermList(table, "near", where, group.line, options, raw.near, problems);
    if (!context && table.get("near") && !table.get("within")) {
      problems.Add(LineOf(*table.get("near")),
                   "'near' needs 'within', the most words a hit may be from a near term");
    }
    if (!context && table.get("within") && !table.get("near")) {
      problems.Add(LineOf(*table.get("within")), "'within' needs a 'near' list in " + where);
    }
    out.push_back(std::move(raw));
  }
}

// Expands "@name" entries into the plain terms of the [[thread.lists]] table called `name`, or
// else of the group called `name`, in the same thread. One level only: a referenced list or
// group must hold plain terms, so there are no cycles to chase.
void ResolveReferences(std::vector<RawGroup>& groups, Problems& problems) {
  auto has_references = [](const RawGroup& group) {
    return std::any_of(group.terms.begin(), group.terms.end(),
                       [](const auto& term) { return IsReference(term.first); });
  };
  auto expand = [&](const RawTerms& raw, std::vector<std::string>& terms,
                    std::vector<int>& lines) {
    for (const auto& [term, line] : raw) {
      if (!IsReference(term)) {
        terms.push_back(term);
        lines.push_back(line);
        continue;
      }
      const std::string name = term.substr(1);
      const RawGroup* target = nullptr;
      int named = 0;
      for (bool lists : {true, false}) {
        for (const RawGroup& candidate : groups) {
          if (candidate.list == lists && candidate.group.name == name) {
            target = &candidate;
            ++named;
          }
        }
        if (named > 0) break;
      }
      if (named == 0) {
        problems.Add(line, "unknown group '" + term + "': no group of this thread has name = \"" +
                               name + "\"");
      } else if (named > 1) {
        problems.Add(line, "group reference '" + term + "' is ambiguous: " +
                               std::to_string(named) + " groups are named \"" + name + "\"");
      } else if (has_references(*target)) {
        problems.Add(line, "group '" + name + "' (referenced by '" + term +
                               "') uses references itself; a referenced group lists plain terms");
      } else {
        for (const auto& [plain, plain_line] : target->terms) {
          terms.push_back(plain);
          lines.push_back(line);
          (void)plain_line;
        }
      }
    }
  };
  for (RawGroup& raw : groups) {
    expand(raw.terms, raw.group.terms, raw.group.term_lines);
    expand(raw.near, raw.group.near, raw.group.near_lines);
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
                    {"id", "title", "threshold", "title_weight", "summary_weight", "terms",
                     "require", "exclude", "context", "lists"},
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
  if (auto weight = ReadPositive(*table, "summary_weight", problems)) {
    thread.summary_weight = *weight;
  }

  std::vector<RawGroup> groups;
  ReadGroups(*table, "terms", thread.scored, groups, problems);
  ReadGroups(*table, "require", thread.required, groups, problems);
  ReadGroups(*table, "exclude", thread.excluded, groups, problems);
  ReadGroups(*table, "context", thread.context, groups, problems);
  std::vector<TermGroup> lists;  // only referenced, never matched
  ReadGroups(*table, "lists", lists, groups, problems);
  ResolveReferences(groups, problems);
  for (RawGroup& raw : groups) {
    if (raw.kind != &lists) raw.kind->push_back(std::move(raw.group));
  }
  if (!table->get("terms")) {
    problems.Add(thread_line, "[thread] needs at least one [[thread.terms]] group");
  }

  if (!problems.empty()) return problems.ToStatus();
  return thread;
}

Result<ThreadDefinition> LoadThreadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return (errno == ENOENT ? Status::NotFound : Status::IoError)(
        path + ": cannot read thread file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Error(path + ": cannot read thread file");
  return ParseThread(text.str(), path);
}

}  // namespace newsmon
