// Input shaped to make the one loop do quadratic work (issue 13): documents and thread files
// that cost time in proportion to their size, and bounds that refuse the rest with a message.
// "Linear" is judged in the same test by timing ten inputs of size n against one of size 10·n,
// the same bytes either way, fastest of five runs each: linear work makes the ratio about 1,
// the quadratic paths these replace about 10; the bound is 4 (a loaded machine once showed 3.3).
// Equal amounts of work keep a loaded machine's noise from deciding (a ratio of two sub-millisecond
// timings did, once).
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "classifiers/classifier.h"
#include "feeds/feed_parser.h"

namespace newsmon {
namespace {

double FastestSeconds(const std::function<void()>& run) {
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
  }
  return best;
}

// How much longer one input ten times larger takes than ten inputs of size n; `make(n)` builds
// an input of size n.
double GrowthOfTenfold(const std::function<std::string(int)>& make,
                       const std::function<void(const std::string&)>& consume, int n) {
  const std::string small = make(n);
  const std::string large = make(10 * n);
  const double small_time = FastestSeconds([&] {
    for (int i = 0; i < 10; ++i) consume(small);
  });
  const double large_time = FastestSeconds([&] { consume(large); });
  return large_time / std::max(small_time, 1e-6);
}

void Parse(const std::string& body) {
  auto feed = ParseFeed(body, {});
  (void)feed;  // only the time matters; a refusal is fine
}

std::string Rss(const std::string& inside) {
  return "<rss version=\"2.0\"><channel><title>t</title>" + inside + "</channel></rss>";
}

std::string Repeat(std::string_view piece, int times) {
  std::string out;
  out.reserve(piece.size() * static_cast<std::size_t>(times));
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

// A word of letters only ("ba", "ca", ...), distinct for each n.
std::string Word(int n) {
  std::string word;
  do {
    word += static_cast<char>('a' + n % 26);
    n /= 26;
  } while (n > 0);
  return word + "x";
}

TEST_CASE("feed documents shaped for quadratic work parse in linear time", "[hostile]") {
  SECTION("one element with many duplicate attributes") {
    auto make = [](int n) {
      return Rss("<item " + Repeat("a=\"1\" ", n) + "><title>x</title></item>");
    };
    CHECK(GrowthOfTenfold(make, Parse, 20'000) < 4);
  }
  SECTION("a long element name and many attributes without values, each an error") {
    auto make = [](int n) {
      return Rss("<item" + std::string(static_cast<std::size_t>(n), 'x') + Repeat(" a", n) + "/>");
    };
    CHECK(GrowthOfTenfold(make, Parse, 5'000) < 4);
  }
  SECTION("deep nesting closed by end tags that match nothing") {
    auto make = [](int n) { return Rss(Repeat("<a>", n) + Repeat("</b>", n)); };
    CHECK(GrowthOfTenfold(make, Parse, 10'000) < 4);
  }
  SECTION("many namespace prefixes in scope, each looked up") {
    auto make = [](int n) {
      std::string declarations;
      for (int i = 0; i < n; ++i) declarations += "<e xmlns:" + Word(i) + "=\"u\">";
      return Rss(declarations + Repeat("<ax:b/>", n));
    };
    CHECK(GrowthOfTenfold(make, Parse, 5'000) < 4);
  }
}

TEST_CASE("an element with more than 1000 attributes is refused, naming it", "[hostile]") {
  std::string attributes;
  for (int i = 0; i < 1000; ++i) attributes += " " + Word(i) + "=\"1\"";
  auto kept = ParseFeed(Rss("<item" + attributes + "><title>x</title></item>"), {});
  REQUIRE(kept.ok());
  CHECK(kept->items.size() == 1);
  auto refused =
      ParseFeed(Rss("\n<item" + attributes + " one=\"more\"><title>x</title></item>"), {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message() == "not parsed: <item> at line 2 has more than 1000 attributes");
}

std::string ThreadFile(const std::string& terms, const std::string& extra = "") {
  return "[thread]\nid = \"big\"\ntitle = \"Big\"\n" + extra +
         "[[thread.terms]]\nweight = 1\nterms = [" + terms + "]\n";
}

std::string Terms(int n, const std::string& suffix = "") {
  std::string terms;
  for (int i = 0; i < n; ++i) terms += (i ? ", \"" : "\"") + Word(i) + suffix + "\"";
  return terms;
}

TEST_CASE("thread files compile in linear time up to their bounds", "[hostile]") {
  auto compile = [](const std::string& text) {
    auto thread = ParseThread(text, "big.toml");
    REQUIRE(thread.ok());
    auto classifier = Classifier::Build({std::move(thread).value()});
    REQUIRE(classifier.ok());
  };
  SECTION("plain terms") {
    CHECK(GrowthOfTenfold([](int n) { return ThreadFile(Terms(n)); }, compile, 1'500) < 4);
  }
  SECTION("prefix terms") {
    CHECK(GrowthOfTenfold([](int n) { return ThreadFile(Terms(n, "*")); }, compile, 1'500) < 4);
  }
  SECTION("many ways of writing one term") {
    // "peace talks" with the space written differently each time: one pattern, many terms.
    auto make = [](int n) {
      std::string terms = "\"truce\"";
      for (int i = 0; i < n; ++i) {
        std::string space;
        static const char* const kSpaces[] = {" ", "\\t", "\\n"};  // TOML escapes
        for (int k = 0, rest = i; k < 10; ++k, rest /= 3) space += kSpaces[rest % 3];
        terms += ", \"peace" + space + "talks\"";
      }
      return ThreadFile(terms);
    };
    CHECK(GrowthOfTenfold(make, compile, 1'500) < 4);
  }
}

TEST_CASE("thread files past their bounds are refused with file and line", "[hostile]") {
  auto too_many = ParseThread(ThreadFile(Terms(20'001)), "big.toml");
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.status().message() ==
        "big.toml:1: the thread has 20001 terms with its @references expanded; a thread file may "
        "have at most 20000");

  // A list referenced many times multiplies: counted before it is copied.
  const std::string list = "[[thread.lists]]\nname = \"many\"\nterms = [" + Terms(1'000) + "]\n";
  auto multiplied =
      ParseThread(ThreadFile(Repeat("\"@many\", ", 100) + "\"truce\"", list), "big.toml");
  REQUIRE_FALSE(multiplied.ok());
  CHECK(multiplied.status().message() ==
        "big.toml:1: the thread has 100001 terms with its @references expanded; a thread file "
        "may have at most 20000");

  auto long_term = ParseThread(ThreadFile("\"" + std::string(201, 'a') + "\""), "big.toml");
  REQUIRE_FALSE(long_term.ok());
  CHECK(long_term.status().message() ==
        "big.toml:6: term '" + std::string(40, 'a') + "...' is longer than 200 bytes");

  const std::string big = ThreadFile("\"truce\"", "# " + std::string(1 << 20, 'x') + "\n");
  auto big_file = ParseThread(big, "big.toml");
  REQUIRE_FALSE(big_file.ok());
  CHECK(big_file.status().message() == "big.toml:1: the file is " + std::to_string(big.size()) +
                                           " bytes; a thread file may have at most 1 MiB");
}

}  // namespace
}  // namespace newsmon
