#include "daemon/labelled_news.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "core/time_format.h"
#include "feeds/feed_parser.h"

namespace newsmon {
namespace {

Result<std::vector<CorpusEntry>> ReadFeedFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read corpus file");
  std::stringstream body;
  body << in.rdbuf();
  auto feed = ParseFeed(body.str(), {});
  if (!feed.ok()) return feed.status().WithContext(path + ": ");
  std::vector<CorpusEntry> entries;
  for (const Item& item : feed->items) {
    entries.push_back({item.title, item.link, item.summary,
                       item.published ? FormatRfc3339(*item.published) : ""});
  }
  return entries;
}

// The news-2025 and news-ru folders hold JSON arrays of items; news/ holds feeds as saved
// (RSS, Atom, and JSON Feed, which is an object). The first byte tells them apart.
Result<std::vector<CorpusEntry>> ReadCorpusFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char first = 0;
  while (in.get(first) && std::isspace(static_cast<unsigned char>(first))) {
  }
  if (first == '[') return ReadJsonCorpusFile(path, HtmlToText);
  return ReadFeedFile(path);
}

}  // namespace

Result<LabelledNews> LoadLabelledNews(const std::vector<std::string>& label_files,
                                      const std::string& corpus_root) {
  LabelledNews news;
  for (const std::string& path : label_files) {
    auto items = ReadLabelledItems(path);
    if (!items.ok()) return items.status();
    news.items.insert(news.items.end(), items->begin(), items->end());
  }
  Status resolved = ResolveCorpusText(news.items, corpus_root, ReadCorpusFile);
  if (!resolved.ok()) return resolved;
  news.cuts = AssignSplits(news.items);
  return news;
}

}  // namespace newsmon
