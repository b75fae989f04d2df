#include "classifiers/labelled_set.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

namespace newsmon {

const char* SplitName(Split split) {
  switch (split) {
    case Split::kWritten:
      return "written";
    case Split::kTraining:
      return "training";
    case Split::kBlind:
      return "blind";
  }
  return "?";
}

namespace {

std::string CorpusOf(const std::string& source) {
  const std::size_t slash = source.find('/');
  return slash == std::string::npos ? source : source.substr(0, slash);
}

LabelledItem ItemFromJson(const nlohmann::json& json) {
  LabelledItem item;
  item.source = json.value("source", "");
  item.index = json.value("index", -1);
  item.id = json.contains("id")   ? json.at("id").get<std::string>()
            : item.source.empty() ? json.value("link", "")
                                  : item.source + "#" + std::to_string(item.index);
  item.lang = json.value("lang", "");
  item.title = json.value("title", "");
  item.summary = json.value("summary", "");
  item.threads = json.at("threads").get<std::vector<std::string>>();
  std::sort(item.threads.begin(), item.threads.end());
  item.link = json.value("link", "");
  item.date = json.value("date", "");
  item.decoy = json.value("decoy", "");
  item.reason = json.value("reason", "");
  if (!item.source.empty()) {
    item.corpus = CorpusOf(item.source);
  } else if (json.contains("cite")) {
    item.corpus = json.value("corpus", "news-uk");
  }
  return item;
}

}  // namespace

Result<std::vector<LabelledItem>> ReadLabelledItems(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read labelled items");
  std::vector<LabelledItem> items;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return Status::Error(where + "not a JSON object");
    try {
      items.push_back(ItemFromJson(json));
    } catch (const nlohmann::json::exception& error) {
      return Status::Error(where + "needs \"threads\" and \"id\", \"source\" or \"cite\" (" +
                           error.what() + ")");
    }
    if (items.back().id.empty()) {
      return Status::Error(where + "needs \"id\", \"source\" and \"index\", or \"link\"");
    }
  }
  return items;
}

namespace {

std::string StringField(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

}  // namespace

Result<std::vector<CorpusEntry>> ReadJsonCorpusFile(
    const std::string& path, const std::function<std::string(std::string_view)>& to_text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read corpus file");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_array()) {
    return Status::Error(path + ": not a JSON array of items");
  }
  std::vector<CorpusEntry> entries;
  for (const nlohmann::json& entry : json) {
    if (!entry.is_object()) return Status::Error(path + ": not a JSON array of items");
    entries.push_back({to_text(StringField(entry, "title")), StringField(entry, "link"),
                       to_text(StringField(entry, "description")), StringField(entry, "date")});
  }
  return entries;
}

Status ResolveCorpusText(std::vector<LabelledItem>& items, const std::string& corpus_root,
                         const CorpusReader& read) {
  std::map<std::string, std::vector<CorpusEntry>> files;
  for (LabelledItem& item : items) {
    if (item.source.empty()) continue;
    const std::string path = corpus_root + "/" + item.source;
    auto file = files.find(item.source);
    if (file == files.end()) {
      auto entries = read(path);
      if (!entries.ok()) return entries.status().WithContext(item.id + ": ");
      file = files.emplace(item.source, std::move(entries).value()).first;
    }
    if (item.index < 0 || static_cast<std::size_t>(item.index) >= file->second.size()) {
      return Status::Error(item.id + ": no such item in " + path);
    }
    const CorpusEntry& entry = file->second[static_cast<std::size_t>(item.index)];
    if (!item.link.empty() && entry.link != item.link) {
      return Status::Error(item.id + ": the corpus item's link is " + entry.link +
                           ", the label's " + item.link + " (has the corpus changed?)");
    }
    item.title = entry.title;
    item.summary = entry.summary;
    item.published = entry.published;
  }
  return Status::Ok();
}

namespace {

// A month given without a day ("2025-07", the feed had no date) sorts as its last day, so it
// never lands before a cut that falls inside that month.
std::string SortableDate(const std::string& date) { return date.size() == 7 ? date + "-31" : date; }

}  // namespace

namespace {

std::string BlindFrom(const std::string& lang) {
  return lang == "en" ? kBlindFromEnglish : kBlindFrom;
}

}  // namespace

std::vector<std::string> AssignSplits(std::vector<LabelledItem>& items) {
  struct Count {
    std::set<std::string> languages;
    std::set<std::string> dates;
    std::set<std::string> blind_dates;
    std::size_t items = 0;
    std::size_t blind = 0;
  };
  // (corpus, its cut) -> the languages, dates and items under that cut, all and blind
  std::map<std::pair<std::string, std::string>, Count> counts;
  for (LabelledItem& item : items) {
    if (item.date.empty()) continue;  // undated: the written set, in no split
    const std::string date = SortableDate(item.date);
    const std::string cut = BlindFrom(item.lang);
    const bool blind = date >= cut;
    item.split = blind ? Split::kBlind : Split::kTraining;
    Count& count = counts[{item.corpus, cut}];
    count.languages.insert(item.lang.empty() ? "?" : item.lang);
    count.dates.insert(date);
    ++count.items;
    if (blind) {
      count.blind_dates.insert(date);
      ++count.blind;
    }
  }
  std::vector<std::string> cuts;
  cuts.push_back(std::string("blind from ") + kBlindFromEnglish + " in English, from " +
                 kBlindFrom + " in Ukrainian, Russian and any other language, in every corpus");
  for (const auto& [key, count] : counts) {
    std::string languages;
    for (const std::string& lang : count.languages) {
      languages += (languages.empty() ? "" : ", ") + lang;
    }
    cuts.push_back(key.first + " (" + languages + "): blind from " + key.second + ", " +
                   std::to_string(count.blind) + " of " + std::to_string(count.items) + " items, " +
                   std::to_string(count.blind_dates.size()) + " of " +
                   std::to_string(count.dates.size()) + " dates");
  }
  return cuts;
}

std::vector<std::string> AssignSplitsByThirds(std::vector<LabelledItem>& items) {
  std::map<std::string, std::set<std::string>> dates;  // corpus -> distinct dates
  for (const LabelledItem& item : items) {
    if (!item.date.empty()) dates[item.corpus].insert(SortableDate(item.date));
  }
  std::map<std::string, std::string> first_blind;
  std::vector<std::string> cuts;
  for (const auto& [corpus, days] : dates) {
    const std::size_t blind = (days.size() + 2) / 3;
    auto cut = std::next(days.begin(), static_cast<std::ptrdiff_t>(days.size() - blind));
    first_blind[corpus] = *cut;
    cuts.push_back(corpus + ": blind from " + *cut + ", " + std::to_string(blind) + " of " +
                   std::to_string(days.size()) + " dates");
  }
  for (LabelledItem& item : items) {
    if (item.date.empty()) continue;
    item.split =
        SortableDate(item.date) >= first_blind[item.corpus] ? Split::kBlind : Split::kTraining;
  }
  return cuts;
}

}  // namespace newsmon
