#include "daemon/opml_import.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <pugixml.hpp>
#include <set>

#include "core/bounded_read.h"
#include "daemon/config.h"

namespace newsmon {
namespace {

std::string TomlString(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      quoted += ' ';  // names and URLs have no business holding control characters
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

std::string UniqueName(std::string name, std::set<std::string>& taken) {
  if (name.empty()) name = "feed";
  std::string candidate = name;
  for (int n = 2; taken.count(candidate); ++n) candidate = name + " (" + std::to_string(n) + ")";
  taken.insert(candidate);
  return candidate;
}

void Collect(const pugi::xml_node& parent, std::vector<OpmlFeed>& feeds,
             std::set<std::string>& names) {
  for (const pugi::xml_node& outline : parent.children("outline")) {
    std::string url = outline.attribute("xmlUrl").as_string();
    if (!url.empty()) {
      std::string title = outline.attribute("title").as_string();
      if (title.empty()) title = outline.attribute("text").as_string();
      feeds.push_back({UniqueName(title, names), url});
    }
    Collect(outline, feeds, names);
  }
}

// Feed readers' exports run to a few hundred KB; the bound keeps /dev/zero from being read.
constexpr std::size_t kMaxOpmlBytes = 16 << 20;

// The file, or "PATH: the file is N bytes; an OPML file may have at most 16 MiB",
// "PATH: cannot read file: No such file or directory".
Result<std::string> ReadBounded(const std::string& path, std::size_t max_bytes,
                                const std::string& kind) {
  auto text = ReadFileAtMost(path, max_bytes);
  if (text.ok()) return text;
  if (text.status().code() == StatusCode::kInvalidInput) {
    return Status::InvalidInput(path + ": " + text.status().message() + "; " + kind +
                                " may have at most " + DescribeBytes(max_bytes));
  }
  return text.status().WithContext(path + ": cannot read file: ");
}

int Append(const std::string& config_path, const std::vector<OpmlFeed>& imported) {
  auto config = LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  std::set<std::string> urls, names;
  for (const FeedConfig& feed : config->feeds) {
    urls.insert(feed.url);
    names.insert(feed.name);
  }
  std::vector<OpmlFeed> fresh;
  for (const OpmlFeed& feed : imported) {
    if (urls.insert(feed.url).second) fresh.push_back({UniqueName(feed.name, names), feed.url});
  }
  auto text = ReadBounded(config_path, kMaxConfigFileBytes, "a config file");
  if (!text.ok()) {
    std::cerr << text.status().message() << "\n";
    return 1;
  }
  std::string temporary = config_path + ".import";
  std::ofstream(temporary, std::ios::binary) << *text << "\n" << FeedTablesToml(fresh);
  auto checked = LoadConfig(temporary);
  if (!checked.ok()) {
    std::remove(temporary.c_str());
    std::cerr << "not appended, the result would be invalid:\n"
              << checked.status().message() << "\n";
    return 1;
  }
  std::rename(temporary.c_str(), config_path.c_str());
  std::cout << "appended " << fresh.size() << " feeds to " << config_path << " ("
            << imported.size() - fresh.size() << " already there)\n";
  return 0;
}

}  // namespace

Result<std::vector<OpmlFeed>> ParseOpml(std::string_view document) {
  pugi::xml_document xml;
  // No DTDs, no external entities: pugixml never fetches anything.
  pugi::xml_parse_result parsed = xml.load_buffer(document.data(), document.size());
  if (!parsed) return Status::Error(std::string("not valid XML: ") + parsed.description());
  pugi::xml_node body = xml.child("opml").child("body");
  if (!body) return Status::Error("not an OPML document (no <opml><body>)");
  std::vector<OpmlFeed> feeds;
  std::set<std::string> names;
  Collect(body, feeds, names);
  return feeds;
}

std::string FeedTablesToml(const std::vector<OpmlFeed>& feeds) {
  std::string toml;
  for (const OpmlFeed& feed : feeds) {
    toml +=
        "[[feed]]\nname = " + TomlString(feed.name) + "\nurl = " + TomlString(feed.url) + "\n\n";
  }
  return toml;
}

int ImportOpml(const std::string& opml_path, const std::string& append_to) {
  auto document = ReadBounded(opml_path, kMaxOpmlBytes, "an OPML file");
  if (!document.ok()) {
    std::cerr << document.status().message() << "\n";
    return 1;
  }
  auto feeds = ParseOpml(*document);
  if (!feeds.ok()) {
    std::cerr << opml_path << ": " << feeds.status().message() << "\n";
    return 1;
  }
  if (!append_to.empty()) return Append(append_to, *feeds);
  std::cout << FeedTablesToml(*feeds);
  return 0;
}

}  // namespace newsmon
