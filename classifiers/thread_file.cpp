// Thread files: one [thread] table per TOML file (format in docs/threads.md). Every problem
// found is reported, one "FILE:LINE: message" line each, so an editor fixes them in one go.
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>
#include <utility>

#include "classifiers/classifier.h"
#include "classifiers/text_internal.h"
#include "core/bounded_read.h"
#include "core/toml_reader.h"

namespace newsmon {
namespace {

using toml_reader::LineOf;
using toml_reader::MustBe;
using toml_reader::Problems;
using toml_reader::ReadBool;
using toml_reader::ReadString;
using toml_reader::ReadStringArray;
using toml_reader::RejectUnknownKeys;
using toml_reader::TypeName;

// A finite number greater than zero; integers are accepted.
std::optional<double> ReadPositive(const toml::table& table, std::string_view key,
                                   Problems& problems) {
  const toml::node* node = table.get(key);
  if (!node) return std::nullopt;
  if (!node->is_number()) {
    problems.Add(LineOf(*node), MustBe(key, "a number", *node));
    return std::nullopt;
  }
  double value = *node->value<double>();
  if (!std::isfinite(value) || value <= 0) {
    problems.Add(LineOf(*node), "'" + std::string(key) + "' must be a number greater than 0");
    return std::nullopt;
  }
  return value;
}

// [thread.burst] (classifiers/bursts.h): each key optional, each bounded so that a typo cannot
// make every story a burst or keep a year of stories in memory.
void ReadBurst(const toml::table& thread, BurstRule& rule, Problems& problems) {
  const toml::node* node = thread.get("burst");
  if (!node) return;
  const toml::table* burst = node->as_table();
  if (!burst) return problems.Add(LineOf(*node), MustBe("burst", "a table", *node));
  RejectUnknownKeys(*burst, {"enabled", "window", "baseline", "min_stories", "p_value"},
                    "[thread.burst]", problems);
  if (auto enabled = ReadBool(*burst, "enabled", problems)) rule.enabled = *enabled;
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (auto window =
          toml_reader::ReadDuration(*burst, "window", {std::chrono::hours(24), "24h"}, problems)) {
    rule.window = std::max(seconds(1), duration_cast<seconds>(*window));
  }
  if (auto baseline =
          toml_reader::ReadDuration(*burst, "baseline", {std::chrono::days(90), "90d"}, problems)) {
    rule.baseline = std::max(seconds(1), duration_cast<seconds>(*baseline));
  }
  if (rule.baseline < 2 * rule.window) {
    problems.Add(LineOf(*burst), "'baseline' must be at least twice 'window'");
  }
  if (const toml::node* min = burst->get("min_stories")) {
    auto value = min->value<std::int64_t>();
    if (!value || *value < 1 || *value > 10000) {
      const std::string expected = "a whole number from 1 to 10000";
      problems.Add(LineOf(*min), value ? "'min_stories' must be " + expected
                                       : MustBe("min_stories", expected, *min));
    } else {
      rule.min_stories = static_cast<int>(*value);
    }
  }
  if (auto p = ReadPositive(*burst, "p_value", problems)) {
    if (*p >= 1) {
      problems.Add(LineOf(*burst->get("p_value")), "'p_value' must be below 1, e.g. 0.001");
    } else {
      rule.p_value = *p;
    }
  }
}

// A finite number other than zero; negative weights lower the score.
std::optional<double> ReadWeight(const toml::table& table, Problems& problems) {
  const toml::node* node = table.get("weight");
  if (!node) return std::nullopt;
  if (!node->is_number()) {
    problems.Add(LineOf(*node), MustBe("weight", "a number", *node));
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

// The start of an overlong term, for a message: 40 bytes, cut at a character boundary.
std::string Shortened(std::string_view term) {
  std::size_t cut = 40;
  while (cut > 0 && (static_cast<unsigned char>(term[cut]) & 0xC0) == 0x80) --cut;
  return std::string(term.substr(0, cut)) + "...";
}

// Reads a list of strings: plain terms are checked now, references when all groups are read.
void ReadTermList(const toml::table& group, std::string_view key, const std::string& where,
                  int group_line, const text::TermOptions& options, RawTerms& out,
                  Problems& problems) {
  const toml::node* node = group.get(key);
  if (!node) {
    if (key == "terms") problems.Add(group_line, where + " has no 'terms' list");
    return;
  }
  // Judged on the array as written: [7] is not empty, its entry is wrong.
  if (const toml::array* terms = node->as_array(); terms && terms->empty()) {
    problems.Add(LineOf(*node), "'" + std::string(key) + "' must not be empty");
    return;
  }
  for (auto& [term, line] : ReadStringArray(group, key, problems)) {
    if (term.size() > kMaxTermBytes) {
      problems.Add(line, "term '" + Shortened(term) + "' is longer than " +
                             std::to_string(kMaxTermBytes) + " bytes");
      continue;
    }
    if (!IsReference(term)) {
      text::CompiledTerm compiled = text::CompileTerm(term, options);
      if (!compiled.error.empty()) {
        problems.Add(line, compiled.error);
        continue;
      }
    }
    out.emplace_back(std::move(term), line);
  }
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
    const std::string expected = "a non-empty array of \"title\" and \"summary\"";
    problems.Add(LineOf(*node),
                 fields ? "'fields' must be " + expected : MustBe("fields", expected, *node));
    return;
  }
  for (const toml::node& entry : *fields) {
    auto field = entry.value<std::string>();
    if (!field || (*field != "title" && *field != "summary")) {
      const std::string message = "'fields' entries must be \"title\" or \"summary\"";
      problems.Add(LineOf(entry), field ? message : message + ", not " + TypeName(entry));
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
    const std::string expected = "a whole number of words from 1 to 1000";
    problems.Add(LineOf(*node),
                 value ? "'within' must be " + expected : MustBe("within", expected, *node));
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
      if (!table.get("name"))
        problems.Add(group.line, where + " needs a 'name' to be referenced by");
      group.weight = 0;
    } else if (weighted) {
      RejectUnknownKeys(
          table, {"name", "weight", "once", "terms", "lang", "stem", "fields", "near", "within"},
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

// Where each "@name" points: the [[thread.lists]] tables called `name`, or else the groups.
struct ReferenceTarget {
  const RawGroup* group = nullptr;
  int named = 0;  // how many lists (or, without one, groups) have the name
};

std::unordered_map<std::string, ReferenceTarget> IndexByName(const std::vector<RawGroup>& groups) {
  std::unordered_map<std::string, ReferenceTarget> lists;
  std::unordered_map<std::string, ReferenceTarget> others;
  for (const RawGroup& group : groups) {
    ReferenceTarget& target = (group.list ? lists : others)[group.group.name];
    target.group = &group;
    ++target.named;
  }
  for (auto& [name, target] : others) lists.try_emplace(name, target);
  return lists;
}

bool HasReferences(const RawGroup& group) {
  return std::any_of(group.terms.begin(), group.terms.end(),
                     [](const auto& term) { return IsReference(term.first); });
}

// Expands "@name" entries into the plain terms of the [[thread.lists]] table called `name`, or
// else of the group called `name`, in the same thread. One level only: a referenced list or
// group must hold plain terms, so there are no cycles to chase. Stops adding terms past
// kMaxThreadTerms (a list of 10,000 referenced 10,000 times would be 10^8) and says so.
void ResolveReferences(std::vector<RawGroup>& groups, int thread_line, Problems& problems) {
  const std::unordered_map<std::string, ReferenceTarget> by_name = IndexByName(groups);
  std::unordered_map<const RawGroup*, bool> referencing;
  for (const RawGroup& group : groups) referencing[&group] = HasReferences(group);
  std::size_t total = 0;  // of the groups matched: a list's own terms are only copied
  bool counting = true;
  auto add = [&](const std::string& term, int line, std::vector<std::string>& terms,
                 std::vector<int>& lines) {
    if (counting && ++total > kMaxThreadTerms) return;
    terms.push_back(term);
    lines.push_back(line);
  };
  auto expand = [&](const RawTerms& raw, std::vector<std::string>& terms, std::vector<int>& lines) {
    for (const auto& [term, line] : raw) {
      if (!IsReference(term)) {
        add(term, line, terms, lines);
        continue;
      }
      const std::string name = term.substr(1);
      auto found = by_name.find(name);
      if (found == by_name.end()) {
        problems.Add(line, "unknown group '" + term + "': no group of this thread has name = \"" +
                               name + "\"");
      } else if (found->second.named > 1) {
        problems.Add(line, "group reference '" + term +
                               "' is ambiguous: " + std::to_string(found->second.named) +
                               " groups are named \"" + name + "\"");
      } else if (referencing[found->second.group]) {
        problems.Add(line, "group '" + name + "' (referenced by '" + term +
                               "') uses references itself; a referenced group lists plain terms");
      } else {
        const RawTerms& plain = found->second.group->terms;
        if (counting && total + plain.size() > kMaxThreadTerms) {
          total += plain.size();  // counted, not copied
          continue;
        }
        for (const auto& entry : plain) add(entry.first, line, terms, lines);
      }
    }
  };
  for (RawGroup& raw : groups) {
    counting = !raw.list;
    expand(raw.terms, raw.group.terms, raw.group.term_lines);
    expand(raw.near, raw.group.near, raw.group.near_lines);
  }
  if (total > kMaxThreadTerms) {
    problems.Add(thread_line, "the thread has " + std::to_string(total) + " terms with its " +
                                  "@references expanded; a thread file may have at most " +
                                  std::to_string(kMaxThreadTerms));
  }
}

// "FILE:1: the file is N bytes; a thread file may have at most 1 MiB".
Status TooLarge(const std::string& source_name, const std::string& what) {
  Problems problems(source_name);
  problems.Add(1, what + "; a thread file may have at most " + DescribeBytes(kMaxThreadFileBytes));
  return problems.ToStatus();
}

}  // namespace

Result<ThreadDefinition> ParseThread(std::string_view toml_text, const std::string& source_name) {
  if (toml_text.size() > kMaxThreadFileBytes) {
    return TooLarge(source_name, "the file is " + std::to_string(toml_text.size()) + " bytes");
  }
  Problems problems(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(source_name));
  } catch (const toml::parse_error& error) {
    problems.AddSyntaxError(error);
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
                                    : MustBe("thread", "a table", *node));
    return problems.ToStatus();
  }
  const int thread_line = LineOf(*table);
  RejectUnknownKeys(*table,
                    {"id", "title", "threshold", "title_weight", "summary_weight", "follow_stories",
                     "burst", "terms", "require", "exclude", "context", "lists"},
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
  if (auto follow = ReadBool(*table, "follow_stories", problems)) thread.follow_stories = *follow;
  ReadBurst(*table, thread.burst, problems);

  std::vector<RawGroup> groups;
  ReadGroups(*table, "terms", thread.scored, groups, problems);
  ReadGroups(*table, "require", thread.required, groups, problems);
  ReadGroups(*table, "exclude", thread.excluded, groups, problems);
  ReadGroups(*table, "context", thread.context, groups, problems);
  std::vector<TermGroup> lists;  // only referenced, never matched
  ReadGroups(*table, "lists", lists, groups, problems);
  ResolveReferences(groups, thread_line, problems);
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
  auto text = ReadFileAtMost(path, kMaxThreadFileBytes);
  if (text.ok()) return ParseThread(*text, path);
  const Status& failed = text.status();
  if (failed.code() == StatusCode::kInvalidInput) return TooLarge(path, failed.message());
  return failed.WithContext(path + ": cannot read thread file: ");
}

}  // namespace newsmon
