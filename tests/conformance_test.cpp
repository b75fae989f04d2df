// Conformance of the feed parser with other projects' test suites.
//
// The shared corpus (../shared/corpus beside the project root, see its MANIFEST.md) holds
// fixtures copied from feedparser, gofeed, feed-rs, ROME, … and expectations.jsonl, the
// peers' own expected results converted to one JSON object per fixture. This test parses
// every fixture with ParseFeed, compares what the record states, prints a pass-rate table
// per source and requires an overall rate of at least 97 %. Remaining deviations and why
// they are accepted: docs/conformance.md.
//
// How a record is compared (a record passes when every field it states matches):
//   format       ParsedFeed::format ("rss", "rdf", "atom", "cdf", "json").
//   well_formed  true  <=> ParseFeed succeeded and no warning is a well-formedness warning
//                (IsWellFormednessWarning: XML errors, undefined entities, encoding
//                problems); false <=> ParseFeed reported such a warning, or failed and the
//                record states nothing else. Content notes (a date not understood, a cap)
//                do not count.
//   is_feed      false: ParseFeed must fail (with a message), not crash.
//   feed_title, first_item.title, item_checks[].title
//                equal after whitespace collapsing (peers differ on trimming).
//   items        the number of items.
//   first_item.link, .id  equal.
//   first_item.published  equal as Unix seconds and not published_estimated (the record
//                is RFC 3339 UTC; fractions are dropped: Item::published is whole seconds).
//   http_headers Content-Type is passed as ParseOptions::content_type.
//
//   well_formed only: a record that states nothing but well_formed: true (OPML,
//                Atom Publishing service documents) passes when ParseFeed rejects the
//                document as "not a feed: root element <x>" without an XML error: the XML
//                was read and is well-formed, it is just not a feed.
//   base URL     feedparser's harness served its files from http://127.0.0.1:8097/tests/…
//                and its expectations resolve relative links against that; a record's
//                Content-Location header is the base when given (the fetcher passes the
//                effective URL as base_url). Other peers parsed files without a URL: empty.
//
// NEWSMON_CONFORMANCE_VERBOSE=1 prints every failing record; otherwise the first few.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_parser.h"

namespace fs = std::filesystem;
using newsmon::IsWellFormednessWarning;
using newsmon::ParsedFeed;
using newsmon::ParseFeed;
using newsmon::ParseFeedDate;
using newsmon::ParseOptions;

namespace {

const fs::path kCorpus = fs::path(NEWSMON_SOURCE_DIR) / "../shared/corpus";

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Whitespace runs (ASCII and U+00A0) to one space, trimmed.
std::string Normalise(std::string_view text) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0) {
      ws = true;
      ++i;
    }
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(c);
  }
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out.append(s.substr(0, 160));
  if (s.size() > 160) out += "…";
  return out + "\"";
}

struct Tally {
  int records = 0;
  int passed = 0;
};

class Comparison {
 public:
  void Check(bool ok, std::string_view field, const std::string& expected, const std::string& got) {
    if (ok) return;
    if (!failures_.empty()) failures_ += "; ";
    failures_ += std::string(field) + ": expected " + expected + ", got " + got;
  }
  bool Passed() const { return failures_.empty(); }
  const std::string& Failures() const { return failures_; }

 private:
  std::string failures_;
};

std::string SourceOf(const std::string& file) {
  // "feeds/<source>/…" or "news/<outlet>/…"
  const std::size_t a = file.find('/');
  if (a == std::string::npos) return file;
  const std::size_t b = file.find('/', a + 1);
  if (file.compare(0, a, "news") == 0) return "news";
  return file.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

std::string HeaderOf(const nlohmann::json& record, std::string_view name) {
  const auto headers = record.find("http_headers");
  if (headers == record.end() || !headers->is_object()) return std::string();
  for (const auto& [key, value] : headers->items()) {
    std::string lower = key;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name && value.is_string()) return value.get<std::string>();
  }
  return std::string();
}

std::string BaseUrlOf(const nlohmann::json& record, const std::string& file) {
  if (std::string location = HeaderOf(record, "content-location"); !location.empty()) {
    return location;
  }
  constexpr std::string_view kFeedparser = "feeds/feedparser/";
  if (file.starts_with(kFeedparser)) {
    return "http://127.0.0.1:8097/tests/" + file.substr(kFeedparser.size());
  }
  return std::string();
}

std::string Str(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Compares one record; returns the failures ("" when it passed).
std::string CompareRecord(const nlohmann::json& record, const std::string& body) {
  ParseOptions options;
  options.content_type = HeaderOf(record, "content-type");
  options.base_url = BaseUrlOf(record, Str(record, "file"));
  options.fetched_at = 1'700'000'000;
  const auto result = ParseFeed(body, options);
  Comparison cmp;

  if (record.contains("is_feed") && record["is_feed"] == false) {
    cmp.Check(!result.ok(), "is_feed", "an error",
              "a " + (result.ok() ? result->format : std::string()) + " feed");
    return cmp.Failures();
  }
  const bool expect_wf = record.value("well_formed", true);
  if (!result.ok()) {
    // A document we reject outright is not well-formed; that alone satisfies a record that
    // says so and states nothing else.
    const std::string message = result.status().message();
    const bool only_wf = record.contains("well_formed") && !record.contains("format") &&
                         !record.contains("feed_title") && !record.contains("items") &&
                         !record.contains("first_item") && !record.contains("item_checks");
    const bool other_xml = message.starts_with("not a feed: root element <") &&
                           message.find("not well-formed") == std::string::npos;
    cmp.Check(only_wf && (!expect_wf || other_xml), "parse", "a feed", "error " + Quote(message));
    return cmp.Failures();
  }
  const ParsedFeed& feed = *result;

  if (record.contains("well_formed")) {
    std::string first_wf_warning;
    for (const std::string& w : feed.warnings) {
      if (IsWellFormednessWarning(w)) {
        first_wf_warning = w;
        break;
      }
    }
    const bool got_wf = first_wf_warning.empty();
    cmp.Check(got_wf == expect_wf, "well_formed", expect_wf ? "true" : "false",
              got_wf ? "true" : "false (" + Quote(first_wf_warning) + ")");
  }
  if (record.contains("format")) {
    const std::string expected = Str(record, "format");
    cmp.Check(feed.format == expected, "format", expected, Quote(feed.format));
  }
  if (record.contains("feed_title")) {
    const std::string expected = Normalise(Str(record, "feed_title"));
    const std::string got = Normalise(feed.title);
    cmp.Check(got == expected, "feed_title", Quote(expected), Quote(got));
  }
  if (record.contains("items")) {
    const auto expected = record["items"].get<std::size_t>();
    cmp.Check(feed.items.size() == expected, "items", std::to_string(expected),
              std::to_string(feed.items.size()));
  }
  if (record.contains("first_item")) {
    const nlohmann::json& first = record["first_item"];
    if (feed.items.empty()) {
      cmp.Check(false, "first_item", "an item", "none");
    } else {
      const newsmon::Item& item = feed.items.front();
      if (first.contains("title")) {
        const std::string expected = Normalise(Str(first, "title"));
        const std::string got = Normalise(item.title);
        cmp.Check(got == expected, "title", Quote(expected), Quote(got));
      }
      if (first.contains("link")) {
        const std::string expected = Str(first, "link");
        cmp.Check(item.link == expected, "link", Quote(expected), Quote(item.link));
      }
      if (first.contains("id")) {
        const std::string expected = Str(first, "id");
        cmp.Check(item.id == expected, "id", Quote(expected), Quote(item.id));
      }
      if (first.contains("published")) {
        const std::string expected = Str(first, "published");
        const auto want = ParseFeedDate(expected);
        const bool ok = want && item.published == want && !item.published_estimated;
        cmp.Check(ok, "published", expected,
                  item.published ? std::to_string(*item.published) +
                                       (item.published_estimated ? " (estimated)" : "") +
                                       (want ? " vs " + std::to_string(*want) : "")
                                 : std::string("none"));
      }
    }
  }
  if (record.contains("item_checks")) {
    for (const nlohmann::json& check : record["item_checks"]) {
      const auto index = check.value("index", std::size_t{0});
      const std::string expected = Normalise(Str(check, "title"));
      const std::string got =
          index < feed.items.size() ? Normalise(feed.items[index].title) : "<no item>";
      cmp.Check(got == expected, "item_checks[" + std::to_string(index) + "].title",
                Quote(expected), Quote(got));
    }
  }
  return cmp.Failures();
}

}  // namespace

TEST_CASE("Conformance with peer feed parsers on the shared corpus", "[feeds][conformance]") {
  const fs::path expectations = kCorpus / "expectations.jsonl";
  if (!fs::exists(expectations)) {
    WARN("conformance corpus missing: " << expectations.string()
                                        << " not found; skipping (see the corpus MANIFEST.md)");
    return;
  }
  const char* verbose_env = std::getenv("NEWSMON_CONFORMANCE_VERBOSE");
  const bool verbose = verbose_env != nullptr && *verbose_env != '\0' && *verbose_env != '0';
  const auto started = std::chrono::steady_clock::now();

  std::ifstream in(expectations);
  REQUIRE(in.good());
  std::map<std::string, Tally> per_source;
  Tally total;
  std::vector<std::string> failures;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      FAIL("expectations.jsonl line " << line_number << ": " << e.what());
    }
    const std::string file = Str(record, "file");
    Tally& tally = per_source[SourceOf(file)];
    ++tally.records;
    ++total.records;
    const std::optional<std::string> body = ReadFile(kCorpus / file);
    std::string failure;
    if (!body) {
      failure = "file missing";
    } else {
      failure = CompareRecord(record, *body);
    }
    if (failure.empty()) {
      ++tally.passed;
      ++total.passed;
    } else {
      failures.push_back(file + ": " + failure);
    }
  }
  REQUIRE(total.records > 0);

  const auto percent = [](const Tally& t) {
    return t.records == 0 ? 100.0 : 100.0 * t.passed / t.records;
  };
  std::ostringstream table;
  table << "\nFeed parser conformance (" << kCorpus.lexically_normal().string()
        << "/expectations.jsonl)\n";
  table << std::left << std::setw(18) << "source" << std::right << std::setw(9) << "records"
        << std::setw(9) << "passed" << std::setw(9) << "failed" << std::setw(10) << "rate"
        << "\n";
  table << std::string(55, '-') << "\n";
  const auto row = [&](const std::string& name, const Tally& t) {
    table << std::left << std::setw(18) << name << std::right << std::setw(9) << t.records
          << std::setw(9) << t.passed << std::setw(9) << (t.records - t.passed) << std::setw(9)
          << std::fixed << std::setprecision(1) << percent(t) << "%\n";
  };
  for (const auto& [name, tally] : per_source) row(name, tally);
  table << std::string(55, '-') << "\n";
  row("overall", total);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  table << "(" << std::setprecision(1) << seconds << " s)\n";

  const std::size_t shown = verbose ? failures.size() : std::min<std::size_t>(failures.size(), 15);
  if (shown > 0) {
    table << "\nfailing records" << (shown < failures.size() ? " (first " : " (") << shown << " of "
          << failures.size()
          << (shown < failures.size() ? "; NEWSMON_CONFORMANCE_VERBOSE=1 for all)" : ")") << ":\n";
    for (std::size_t i = 0; i < shown; ++i) table << "  " << failures[i] << "\n";
  }
  std::cout << table.str() << std::flush;

  CHECK(percent(total) >= 97.0);
  REQUIRE(percent(total) >= 97.0);
}
