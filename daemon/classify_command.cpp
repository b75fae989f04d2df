#include "daemon/classify_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "classifiers/classifier.h"
#include "core/time_format.h"
#include "daemon/config.h"
#include "feeds/feed_parser.h"
#include "store/store.h"

namespace newsmon {
namespace {

std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json EvidenceJson(const ThreadMatch& match) {
  nlohmann::json evidence = nlohmann::json::array();
  for (const MatchedTerm& hit : match.evidence) {
    evidence.push_back({{"term", hit.term},
                        {"field", hit.field},
                        {"position", hit.position},
                        {"weight", hit.weight}});
  }
  return evidence;
}

// The "threads" (and with --explain "unmatched") members of one output line.
struct Classified {
  std::vector<ThreadMatch> matches;
  nlohmann::json json;
};

Classified ClassifyItem(const Classifier& classifier, const std::string& title,
                        const std::string& summary, bool explain) {
  Classified result;
  result.json = nlohmann::json::object();
  nlohmann::json threads = nlohmann::json::array();
  nlohmann::json unmatched = nlohmann::json::array();
  auto add_match = [&](const ThreadMatch& match) {
    nlohmann::json thread = {
        {"id", match.thread}, {"score", match.score}, {"matched", match.MatchedTerms()}};
    if (explain) {
      thread["threshold"] = match.threshold;
      thread["evidence"] = EvidenceJson(match);
    }
    threads.push_back(std::move(thread));
  };
  if (explain) {
    for (ThreadExplanation& explanation : classifier.Explain({title, summary})) {
      if (explanation.matched) {
        add_match(explanation.match);
        result.matches.push_back(std::move(explanation.match));
      } else {
        unmatched.push_back({{"id", explanation.match.thread},
                             {"score", explanation.match.score},
                             {"threshold", explanation.match.threshold},
                             {"reason", explanation.reason},
                             {"evidence", EvidenceJson(explanation.match)}});
      }
    }
  } else {
    result.matches = classifier.Classify({title, summary});
    for (const ThreadMatch& match : result.matches) add_match(match);
  }
  result.json["threads"] = std::move(threads);
  if (explain) result.json["unmatched"] = std::move(unmatched);
  return result;
}

// One output line: the item's identity, then its threads.
std::string Line(nlohmann::json head, Classified classified) {
  for (auto& [key, value] : classified.json.items()) head[key] = std::move(value);
  return Dump(head);
}

// Counts per thread, for the summary at the end of a feed or database run.
class Tally {
 public:
  explicit Tally(const Classifier& classifier) {
    for (const ThreadDefinition& thread : classifier.threads()) counts_.emplace_back(thread.id, 0);
  }
  void Add(const std::vector<ThreadMatch>& matches) {
    ++items_;
    unmatched_ += matches.empty();
    for (const ThreadMatch& match : matches) {
      for (auto& [id, count] : counts_) count += id == match.thread;
    }
  }
  std::string Summary() const {
    std::string out = std::to_string(items_) + " items classified:";
    for (const auto& [id, count] : counts_) out += " " + id + " " + std::to_string(count) + ",";
    return out + " no thread " + std::to_string(unmatched_);
  }

 private:
  std::vector<std::pair<std::string, long>> counts_;
  long items_ = 0;
  long unmatched_ = 0;
};

int FromStdin(const Classifier& classifier, bool explain, std::istream& in, std::ostream& out,
              std::ostream& err) {
  std::string line;
  for (long number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto input = nlohmann::json::parse(line, nullptr, false);
    if (input.is_discarded() || !input.is_object()) {
      err << "stdin:" << number << ": not a JSON object\n";
      return 1;
    }
    auto text = [&](const char* key) {
      auto it = input.find(key);
      return it != input.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string title = text("title"), summary = text("summary");
    out << Line({{"id", input.value("id", nlohmann::json())}},
                ClassifyItem(classifier, title, summary, explain))
        << std::endl;  // one line at a time, for pipes
  }
  return 0;
}

int FromFeed(const Classifier& classifier, const std::string& path, bool explain, std::ostream& out,
             std::ostream& err) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    err << path << ": cannot open feed file\n";
    return 1;
  }
  std::stringstream body;
  body << file.rdbuf();
  const std::string url = "file://" + std::filesystem::absolute(path).string();
  auto feed = ParseFeed(body.str(), {url, "", UnixNow()});
  if (!feed.ok()) {
    err << path << ": " << feed.status().message() << "\n";
    return 1;
  }
  for (const std::string& warning : feed->warnings) err << path << ": warning: " << warning << "\n";
  Tally tally(classifier);
  for (const Item& item : feed->items) {
    Classified classified = ClassifyItem(classifier, item.title, item.summary, explain);
    tally.Add(classified.matches);
    out << Line({{"id", item.id}, {"title", item.title}}, std::move(classified)) << "\n";
  }
  out.flush();
  err << path << ": " << tally.Summary() << "\n";
  return 0;
}

// --since: a duration back from now, or a date.
std::optional<std::int64_t> SinceUnix(const std::string& since) {
  if (auto duration = ParseDuration(since)) {
    return UnixNow() - std::chrono::duration_cast<std::chrono::seconds>(*duration).count();
  }
  return ParseFeedDate(since);
}

int FromDatabase(const Classifier& classifier, const std::string& path, std::int64_t since,
                 std::size_t limit, bool explain, std::ostream& out, std::ostream& err) {
  // Store::Open would create a missing database; a dry run must not.
  std::error_code error;
  if (path != ":memory:" && !std::filesystem::is_regular_file(path, error)) {
    err << path << ": no such database\n";
    return 1;
  }
  auto store = Store::Open(path);
  if (!store.ok()) {
    err << path << ": " << store.status().message() << "\n";
    return 1;
  }
  auto items = (*store)->ItemsFetchedSince(since, limit);
  if (!items.ok()) {
    err << path << ": " << items.status().message() << "\n";
    return 1;
  }
  Tally tally(classifier);
  for (const Item& item : *items) {
    Classified classified = ClassifyItem(classifier, item.title, item.summary, explain);
    tally.Add(classified.matches);
    out << Line({{"id", item.id}, {"feed", item.feed}, {"title", item.title}},
                std::move(classified))
        << "\n";
  }
  out.flush();
  err << path << " (fetched since " << FormatRfc3339(since) << "): " << tally.Summary();
  if (items->size() == limit) err << " (stopped at the limit of " << limit << " items)";
  err << "\n";
  return 0;
}

}  // namespace

int ClassifyCommand(const ClassifyOptions& options, std::istream& in, std::ostream& out,
                    std::ostream& err) {
  if (options.feed && (options.database || options.since)) {
    err << "classify: --feed cannot be combined with --database or --since\n";
    return 2;
  }
  std::optional<std::int64_t> since;
  if (options.since) {
    since = SinceUnix(*options.since);
    if (!since) {
      err << "classify: --since must be a duration such as \"7d\" or \"12h\", or a date such as "
             "\"2026-03-01T00:00:00Z\", not '"
          << *options.since << "'\n";
      return 2;
    }
  }
  auto config = LoadConfig(options.config);
  if (!config.ok()) {
    err << config.status().message() << "\n";
    return 1;
  }
  auto classifier = Classifier::Build(config->threads);
  if (!classifier.ok()) {
    err << classifier.status().message() << "\n";
    return 1;
  }
  if (options.feed) return FromFeed(**classifier, *options.feed, options.explain, out, err);
  if (options.database || since) {
    return FromDatabase(**classifier, options.database.value_or(config->database),
                        since.value_or(0), options.limit, options.explain, out, err);
  }
  return FromStdin(**classifier, options.explain, in, out, err);
}

int ClassifyCommand(const ClassifyOptions& options) {
  return ClassifyCommand(options, std::cin, std::cout, std::cerr);
}

}  // namespace newsmon
