#include "bench/generated_feeds.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string_view>

#include "bench/xml_text.h"

namespace newsmon::bench {
namespace {

namespace fs = std::filesystem;
using Words = std::span<const std::string_view>;

// 2026-11-01T00:00:00Z: fixed, not "now", so the bytes never depend on when they are made.
constexpr std::int64_t kEpoch = 1793491200;
constexpr int kNewItemsPerGeneration = 10;

// splitmix64: its output is fixed by its definition, unlike std:: distributions, whose
// results differ between standard libraries.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<std::uint64_t>(n)); }
  std::string_view Pick(Words words) {
    return words[static_cast<std::size_t>(Below(static_cast<int>(words.size())))];
  }

 private:
  std::uint64_t state_;
};

// --- Vocabulary: items each default thread (config/threads/) should match, decoys that share
// its keywords but not its meaning, and plain news. "{x}" is filled from the lists below.

constexpr std::string_view kUaCities[] = {"Kharkiv", "Odesa",    "Dnipro", "Zaporizhzhia",
                                          "Lviv",    "Kyiv",     "Sumy",   "Mykolaiv",
                                          "Poltava", "Chernihiv"};
constexpr std::string_view kRuRegions[] = {"Saratov",   "Volgograd", "Ryazan", "Belgorod",
                                           "Krasnodar", "Samara",    "Tuapse", "Novorossiysk"};
constexpr std::string_view kVenues[] = {"Geneva", "Istanbul", "Riyadh", "Abu Dhabi",
                                        "Miami",  "Berlin",   "Doha"};
constexpr std::string_view kUs[] = {"Trump", "Rubio", "Witkoff", "Kushner", "Driscoll"};
constexpr std::string_view kRu[] = {"Putin", "Lavrov", "Dmitriev", "Ushakov", "Peskov"};
constexpr std::string_view kUa[] = {"Zelensky", "Umerov", "Sybiha", "Budanov"};
constexpr std::string_view kPlaces[] = {"Lyon",  "Leeds", "Porto",   "Gdansk", "Ohio",
                                        "Texas", "Osaka", "Nairobi", "Lima",   "Quebec"};
constexpr std::string_view kClubs[] = {"Arsenal", "Benfica", "Napoli", "Ajax", "Celtic"};

constexpr std::string_view kTalksTitles[] = {
    "{us} and {ru} discuss peace talks to end the war in Ukraine",
    "Peace talks: Ukrainian delegation led by {ua} arrives in {venue} for a round with Russia",
    "{us} envoy meets {ru} in {venue} on a plan to end the war",
    "Kremlin says {ru} ready for new round of peace talks with Kyiv in {venue}",
    "{ua} and {us} agree security guarantees for Ukraine after a peace deal"};
constexpr std::string_view kEnergyTitles[] = {
    "Russian drones strike power plant in {ua_city} region, causing blackouts",
    "Ukrainian drones hit oil refinery in {ru_region}, Russian officials say",
    "Russia attacks Ukraine's energy grid with missiles; emergency power outages in {ua_city}",
    "Missile strike damages substation near {ua_city}, leaving thousands without power",
    "Drone attack sets fire to oil depot in {ru_region} as Ukraine targets Russian energy"};
constexpr std::string_view kTruceTitles[] = {
    "Russia and Ukraine agree to a 30-day energy ceasefire after talks in {venue}",
    "{ua} proposes an Easter truce; Kremlin says {ru} will study it",
    "Ceasefire in Ukraine violated hours after it began near {ua_city}, Kyiv says",
    "{us} says Moscow and Kyiv accepted a ceasefire on strikes against energy",
    "Truce around Zaporizhzhia nuclear plant lets engineers repair power line"};
constexpr std::string_view kDecoyTitles[] = {
    "Dockworkers in {place} strike over pay as wage talks stall",
    "Storm knocks out power to 200,000 homes in {place}; crews restore the grid",
    "Gaza ceasefire talks resume in Cairo as mediators press both sides",
    "{club} in talks to sign striker before the transfer deadline",
    "Trade talks between the EU and China end without a deal on tariffs",
    "Oil prices hit a record as refinery maintenance season begins in {place}",
    "Unions call truce with city hall in {place} after weeks of protests"};
constexpr std::string_view kPlainTitles[] = {
    "{place} council approves budget for new tram line",
    "Central bank holds rates steady, citing slower inflation",
    "Scientists map deep-sea vents off the coast of {place}",
    "{club} wins derby with late goal in front of home crowd",
    "New museum of photography opens in {place} with free entry this month",
    "Heatwave warning issued for {place} as temperatures climb",
    "Tech firm unveils cheaper electric car battery made without cobalt",
    "Airport in {place} to add night flights despite residents' complaints"};

constexpr std::string_view kTalksText[] = {
    "Delegations from Russia, Ukraine and the United States met behind closed doors.",
    "{us} said the sides were closer than ever to an agreement to end the war.",
    "The Kremlin spokesman {ru} said Moscow would not comment on the details of the draft.",
    "{ua} told reporters in {venue} that Kyiv wants security guarantees before any deal.",
    "The next round of talks is expected within two weeks, officials said."};
constexpr std::string_view kEnergyText[] = {
    "Regional officials said drones and missiles hit energy infrastructure overnight.",
    "Ukrenergo announced emergency power cuts in {ua_city} and three other regions.",
    "A fire broke out at the refinery in {ru_region} after the drone attack, the governor said.",
    "Repair crews were working to restore electricity to hospitals and water pumps.",
    "Russia has repeatedly struck Ukraine's power grid since the full-scale invasion."};
constexpr std::string_view kTruceText[] = {
    "Both sides accused each other of violating the truce within hours.",
    "{ua} said Ukraine was ready for a full ceasefire if Russia stopped its attacks.",
    "{ru} said Moscow had ordered its forces to halt strikes on energy facilities.",
    "Monitors will watch the line of contact near {ua_city}, according to the agreement.",
    "The ceasefire was announced after a phone call between {us} and {ru}."};
constexpr std::string_view kDecoyText[] = {
    "Union leaders said the strike would continue until the company improves its offer.",
    "The storm brought down power lines across {place}; the utility expects repairs to take days.",
    "Negotiators in Cairo and Doha are trying to extend the ceasefire in Gaza.",
    "The club confirmed talks with the player's agent but no fee has been agreed.",
    "Analysts said the talks had stalled over tariffs on steel and electric cars."};
constexpr std::string_view kPlainText[] = {
    "The plan was approved by a large majority after a long debate on Tuesday.",
    "Local businesses welcomed the decision, saying it would bring more visitors to {place}.",
    "Critics said the cost had doubled since the project was first proposed in 2019.",
    "The report is based on data collected over ten years by three universities.",
    "Officials expect the work to be finished by the end of next year.",
    "Residents can send comments to the city council until the end of the month.",
    "The company said it would publish full results in its annual report in March."};

struct Category {
  std::string_view name;
  Words titles;
  Words text;
};

// Per 100 items: 4 talks, 4 energy strikes, 3 truces, 14 decoys, 75 plain news.
const Category& PickCategory(Rng& rng) {
  static const std::array<Category, 5> categories = {{
      {"diplomacy", kTalksTitles, kTalksText},
      {"war", kEnergyTitles, kEnergyText},
      {"war", kTruceTitles, kTruceText},
      {"world", kDecoyTitles, kDecoyText},
      {"local", kPlainTitles, kPlainText},
  }};
  const int roll = rng.Below(100);
  if (roll < 4) return categories[0];
  if (roll < 8) return categories[1];
  if (roll < 11) return categories[2];
  if (roll < 25) return categories[3];
  return categories[4];
}

std::string Fill(std::string_view pattern, Rng& rng) {
  static const std::array<std::pair<std::string_view, Words>, 8> slots = {{
      {"{ua_city}", kUaCities},
      {"{ru_region}", kRuRegions},
      {"{venue}", kVenues},
      {"{us}", kUs},
      {"{ru}", kRu},
      {"{ua}", kUa},
      {"{place}", kPlaces},
      {"{club}", kClubs},
  }};
  std::string out(pattern);
  for (const auto& [slot, words] : slots) {
    for (auto at = out.find(slot); at != std::string::npos; at = out.find(slot, at)) {
      const std::string_view word = rng.Pick(words);
      out.replace(at, slot.size(), word);
      at += word.size();
    }
  }
  return out;
}

// About 1 KB of HTML as a feed carries it: paragraphs of the item's own sentences mixed with
// plain ones, as stories quote background.
std::string Body(const Category& category, Rng& rng) {
  std::string html;
  while (html.size() < 720) {
    html += "<p>";
    for (int sentence = 0; sentence < 3; ++sentence) {
      const Words pool = rng.Below(3) == 0 ? Words(kPlainText) : category.text;
      html += Fill(rng.Pick(pool), rng) + " ";
    }
    html.pop_back();  // the space after the last sentence
    html += "</p>";
  }
  return html;
}

std::string FormatTime(std::int64_t unix_seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

struct ItemText {
  std::string id, title, link, html, category, author;
  std::int64_t published = 0;
};

// Item `serial` of feed `feed`: the same serial always gives the same item, so a rewritten
// feed keeps the items it still lists byte for byte.
ItemText MakeItem(std::uint64_t seed, int feed, int serial) {
  Rng rng(seed ^ (static_cast<std::uint64_t>(feed) << 32) ^ static_cast<std::uint64_t>(serial));
  rng.Next();
  const Category& category = PickCategory(rng);
  ItemText item;
  item.id = "urn:newsmon-bench:f" + std::to_string(feed) + ":" + std::to_string(serial);
  item.title = Fill(rng.Pick(category.titles), rng);
  item.link = "https://outlet" + std::to_string(feed / kFeedsPerHost) + ".example/" +
              std::string(category.name) + "/" + std::to_string(feed) + "-" +
              std::to_string(serial);
  item.html = Body(category, rng);
  item.category = std::string(category.name);
  item.author = "Desk " + std::to_string(rng.Below(40));
  item.published = kEpoch + static_cast<std::int64_t>(serial) * 900 + feed % 600;
  return item;
}

std::string Rss(int feed, const std::vector<ItemText>& items) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>Outlet " +
      std::to_string(feed / kFeedsPerHost) + " section " + std::to_string(feed) +
      "</title>\n<link>https://outlet" + std::to_string(feed / kFeedsPerHost) +
      ".example/</link>\n<description>Generated news for newsmon's cycle-bench</description>\n"
      "<language>en</language>\n<ttl>5</ttl>\n";
  for (const ItemText& item : items) {
    xml += "<item>\n<title>" + XmlText(item.title) + "</title>\n<link>" + item.link +
           "</link>\n<guid isPermaLink=\"false\">" + item.id + "</guid>\n<pubDate>" +
           FormatTime(item.published, "%a, %d %b %Y %H:%M:%S +0000") + "</pubDate>\n<dc:creator>" +
           item.author + "</dc:creator>\n<category>" + item.category +
           "</category>\n<description>" + XmlText(item.html) + "</description>\n</item>\n";
  }
  return xml + "</channel>\n</rss>\n";
}

std::string Atom(int feed, const std::vector<ItemText>& items) {
  const std::string updated = FormatTime(items.front().published, "%Y-%m-%dT%H:%M:%SZ");
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" "
      "xml:lang=\"en\">\n<title>Outlet " +
      std::to_string(feed / kFeedsPerHost) + " section " + std::to_string(feed) +
      "</title>\n<id>urn:newsmon-bench:f" + std::to_string(feed) + "</id>\n<updated>" + updated +
      "</updated>\n<link rel=\"alternate\" href=\"https://outlet" +
      std::to_string(feed / kFeedsPerHost) + ".example/\"/>\n";
  for (const ItemText& item : items) {
    const std::string when = FormatTime(item.published, "%Y-%m-%dT%H:%M:%SZ");
    xml += "<entry>\n<title>" + XmlText(item.title) + "</title>\n<link rel=\"alternate\" href=\"" +
           item.link + "\"/>\n<id>" + item.id + "</id>\n<published>" + when +
           "</published>\n<updated>" + when + "</updated>\n<author><name>" + item.author +
           "</name></author>\n<category term=\"" + item.category + "\"/>\n<summary type=\"html\">" +
           XmlText(item.html) + "</summary>\n</entry>\n";
  }
  return xml + "</feed>\n";
}

// Owns a deflate stream so every way out of Gzip ends it.
class Deflater {
 public:
  Deflater() {
    // windowBits 15 + 16: a gzip wrapper (with mtime 0, so the bytes stay the same).
    if (deflateInit2(&stream_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("deflateInit2 failed");
    }
  }
  ~Deflater() { deflateEnd(&stream_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  z_stream* get() { return &stream_; }

 private:
  z_stream stream_{};
};

std::string Gzip(const std::string& data) {
  Deflater deflater;
  z_stream* stream = deflater.get();
  std::string out(deflateBound(stream, data.size()), '\0');
  stream->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream->avail_in = static_cast<uInt>(data.size());
  stream->next_out = reinterpret_cast<Bytef*>(out.data());
  stream->avail_out = static_cast<uInt>(out.size());
  if (deflate(stream, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(stream->total_out);
  return out;
}

void WriteFile(const fs::path& path, const std::string& data, std::int64_t mtime) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
  }
  const timespec times[2] = {{static_cast<std::time_t>(mtime), 0},
                             {static_cast<std::time_t>(mtime), 0}};
  if (utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
    throw std::runtime_error("cannot set the mtime of " + path.string() + ": " +
                             std::strerror(errno));
  }
}

bool IsAtom(int feed) { return feed % 3 == 2; }

// Writes one feed at a generation, returning its uncompressed size.
std::size_t WriteFeed(const std::string& root, const GeneratedFeed& feed, std::uint64_t seed,
                      int generation) {
  std::vector<ItemText> items;
  const int newest = kItemsPerFeed - 1 + generation * kNewItemsPerGeneration;
  for (int serial = newest; serial > newest - kItemsPerFeed; --serial) {
    items.push_back(MakeItem(seed, feed.index, serial));
  }
  const std::string xml = IsAtom(feed.index) ? Atom(feed.index, items) : Rss(feed.index, items);
  // Modified just after its newest item, an hour later per generation: distinct ETags.
  const std::int64_t mtime = items.front().published + 60 + generation * 3600;
  const fs::path path = fs::path(root) / feed.path.substr(1);
  WriteFile(path, xml, mtime);
  WriteFile(path.string() + ".gz", Gzip(xml), mtime);
  return xml.size();
}

}  // namespace

bool IsChangedFeed(int index) { return index % 10 == 0; }

FeedSet GenerateFeeds(const std::string& root, int count, std::uint64_t seed) {
  FeedSet set;
  set.root = root;
  fs::create_directories(fs::path(root) / "feeds");
  for (int i = 0; i < count; ++i) {
    GeneratedFeed feed{i, i / kFeedsPerHost,
                       "/feeds/f" + std::to_string(i) + (IsAtom(i) ? ".atom" : ".xml")};
    set.bytes += WriteFeed(root, feed, seed, 0);
    set.feeds.push_back(std::move(feed));
  }
  return set;
}

void RewriteChangedFeeds(const FeedSet& set, std::uint64_t seed, int generation) {
  for (const GeneratedFeed& feed : set.feeds) {
    if (IsChangedFeed(feed.index)) WriteFeed(set.root, feed, seed, generation);
  }
}

}  // namespace newsmon::bench
