// Feed dates to Unix seconds (UTC).
//
// Hand-written: strptime/get_time depend on the C locale and on TZ for zone names, and
// neither accepts the broken forms real feeds carry (missing weekday, 2-digit years, "EST",
// "+02:00" in an RFC 822 date). ICU's SimpleDateFormat would need one pattern per variant
// and still not cover them. The arithmetic is Howard Hinnant's days_from_civil, so no
// timegm() and no TZ environment dependence.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_parser.h"
#include "feeds/feed_parser_internal.h"

namespace newsmon {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// Non-negative integer of at most 9 digits; -1 when `s` is not that.
int ToInt(std::string_view s) {
  if (!AllDigits(s) || s.size() > 9) return -1;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

struct Fields {
  int year = -1, month = -1, day = -1;
  int hour = 0, minute = 0, second = 0;
  int offset_seconds = 0;  // local time minus UTC
};

std::optional<std::int64_t> ToUnix(const Fields& f) {
  if (f.year < 1 || f.year > 9999 || f.month < 1 || f.month > 12 || f.day < 1 ||
      f.day > DaysInMonth(f.year, f.month)) {
    return std::nullopt;
  }
  const bool end_of_day = f.hour == 24 && f.minute == 0 && f.second == 0;  // ISO "24:00"
  if ((f.hour > 23 && !end_of_day) || f.minute > 59 || f.second > 60) return std::nullopt;
  const std::int64_t days =
      DaysFromCivil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day));
  return days * 86400 + f.hour * 3600 + f.minute * 60 + f.second - f.offset_seconds;
}

// "+0200", "-05:00", "+02", "+2" -> seconds east of UTC.
std::optional<int> ParseNumericOffset(std::string_view s) {
  if (s.size() < 2 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const int sign = s[0] == '-' ? -1 : 1;
  std::string digits;
  for (char c : s.substr(1)) {
    if (c == ':') continue;
    if (!IsDigit(c)) return std::nullopt;
    digits += c;
  }
  int hours, minutes = 0;
  if (digits.size() <= 2) {
    hours = ToInt(digits);
  } else if (digits.size() == 4) {
    hours = ToInt(digits.substr(0, 2));
    minutes = ToInt(digits.substr(2));
  } else if (digits.size() == 3) {  // "+200"
    hours = ToInt(digits.substr(0, 1));
    minutes = ToInt(digits.substr(1));
  } else {
    return std::nullopt;
  }
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return std::nullopt;
  return sign * (hours * 3600 + minutes * 60);
}

// RFC 822 zone names and the abbreviations feeds commonly use instead of offsets.
std::optional<int> NamedZoneOffset(std::string_view lower_name) {
  struct Zone {
    std::string_view name;
    int hours_x10;  // tenths of hours, for IST +5:30 and friends
  };
  static constexpr Zone kZones[] = {
      {"gmt", 0},
      {"ut", 0},
      {"utc", 0},
      {"z", 0},
      {"wet", 0},
      {"est", -50},
      {"edt", -40},
      {"cst", -60},
      {"cdt", -50},
      {"mst", -70},
      {"mdt", -60},
      {"pst", -80},
      {"pdt", -70},
      {"akst", -90},
      {"akdt", -80},
      {"hst", -100},
      {"ast", -40},
      {"adt", -30},
      {"nst", -35},
      {"ndt", -25},
      {"bst", 10},
      {"ist", 55},
      {"cet", 10},
      {"cest", 20},
      {"met", 10},
      {"mest", 20},
      {"west", 10},
      {"eet", 20},
      {"eest", 30},
      {"msk", 30},
      {"jst", 90},
      {"kst", 90},
      {"hkt", 80},
      {"sgt", 80},
      {"aest", 100},
      {"aedt", 110},
      {"acst", 95},
      {"awst", 80},
      {"nzst", 120},
      {"nzdt", 130},
      // German, African, Middle Eastern and Asian abbreviations seen in news feeds, and US
      // "ET"/"PT" without the season (standard time: at most an hour off).
      {"mez", 10},
      {"mesz", 20},
      {"wat", 10},
      {"cat", 20},
      {"sast", 20},
      {"eat", 30},
      {"idt", 30},
      {"trt", 30},
      {"gst", 40},
      {"irst", 35},
      {"pkt", 50},
      {"ict", 70},
      {"wib", 70},
      {"wita", 80},
      {"wit", 90},
      {"pht", 80},
      {"et", -50},
      {"ct", -60},
      {"mt", -70},
      {"pt", -80},
      {"brt", -30},
      {"art", -30}};
  for (const auto& z : kZones) {
    if (z.name == lower_name) return z.hours_x10 * 360;
  }
  return std::nullopt;
}

int MonthFromName(std::string_view lower) {
  // English names and prefixes ("Nov", "Nov.", "November", "Sept"); the German
  // abbreviations that differ ("Mär", "Mai", "Okt", "Dez") because German feeds emit them.
  static constexpr std::array<std::string_view, 12> kMonths = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  if (lower.size() >= 3) {
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
      if (kMonths[i].starts_with(lower)) return static_cast<int>(i) + 1;
    }
  }
  // Abbreviations of the other languages feeds in Europe and Latin America emit that do not
  // already match an English prefix (German first row, then as marked; "sept" is English).
  struct Other {
    std::string_view name;
    int month;
  };
  // clang-format off
  static constexpr Other kOther[] = {
      {"m\xC3\xA4r", 3}, {"m\xC3\xA4rz", 3}, {"mrz", 3}, {"mai", 5}, {"okt", 10}, {"dez", 12},
      {"ene", 1}, {"abr", 4}, {"ago", 8}, {"dic", 12},                 // Spanish
      {"fev", 2}, {"set", 9}, {"out", 10},                             // Portuguese
      {"gen", 1}, {"mag", 5}, {"giu", 6}, {"lug", 7}, {"ott", 10},     // Italian
      {"janv", 1}, {"f\xC3\xA9v", 2}, {"f\xC3\xA9vr", 2}, {"fevr", 2}, {"mars", 3}, {"avr", 4},
      {"juin", 6}, {"juil", 7}, {"ao\xC3\xBBt", 8}, {"d\xC3\xA9" "c", 12},  // French
      {"sept", 9}};
  // clang-format on
  for (const auto& o : kOther) {
    if (o.name == lower) return o.month;
  }
  return 0;
}

bool IsWeekdayName(std::string_view lower) {
  static constexpr std::array<std::string_view, 7> kDays = {
      "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  if (lower.size() < 2) return false;
  for (auto d : kDays) {
    if (d.starts_with(lower)) return true;
  }
  // "Thur", "Tues", "Weds"
  return lower == "thur" || lower == "thurs" || lower == "tues" || lower == "weds";
}

// "09:00:00", "9:00", "09:00:00.123" -> fields. False if malformed.
bool ParseClock(std::string_view s, Fields& f) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ':') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() < 2 || parts.size() > 3) return false;
  if (parts.size() == 3) {
    std::string_view sec = parts[2];
    if (const auto dot = sec.find_first_of(".,"); dot != std::string_view::npos) {
      if (!AllDigits(sec.substr(dot + 1))) return false;
      sec = sec.substr(0, dot);
    }
    if (sec.size() > 2) return false;
    f.second = ToInt(sec);
  }
  if (parts[0].size() > 2 || parts[1].size() != 2) return false;
  f.hour = ToInt(parts[0]);
  f.minute = ToInt(parts[1]);
  return f.hour >= 0 && f.minute >= 0 && f.second >= 0;
}

int ExpandYear(std::string_view digits) {
  const int y = ToInt(digits);
  if (y < 0) return -1;
  if (digits.size() == 2) return y < 50 ? 2000 + y : 1900 + y;  // RFC 2822 section 4.3
  if (digits.size() == 3) return 1900 + y;
  if (digits.size() == 4) return y;
  return -1;
}

// RFC 3339 / ISO 8601 extended: "2026-11-23", "2026-11-23T09:00:00Z",
// "2026-11-23 09:00:00.5+02:00", "2026-11-23T09:00+0200", "2026-11", "2026".
std::optional<std::int64_t> ParseIso8601(std::string_view s) {
  Fields f;
  if (s.size() < 4 || !AllDigits(s.substr(0, 4))) return std::nullopt;
  f.year = ToInt(s.substr(0, 4));
  std::size_t i = 4;
  f.month = 1;
  f.day = 1;
  if (i < s.size() && s[i] == '-') {
    if (i + 3 > s.size() || !AllDigits(s.substr(i + 1, 2))) return std::nullopt;
    f.month = ToInt(s.substr(i + 1, 2));
    i += 3;
    if (i < s.size() && s[i] == '-') {
      if (i + 3 > s.size() || !AllDigits(s.substr(i + 1, 2))) return std::nullopt;
      f.day = ToInt(s.substr(i + 1, 2));
      i += 3;
    }
  }
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    std::size_t j = i + 1;
    while (j < s.size() && s[j] == ' ') ++j;
    std::size_t k = j;
    while (k < s.size() && (IsDigit(s[k]) || s[k] == ':' || s[k] == '.' || s[k] == ',')) ++k;
    if (k > j) {
      if (!ParseClock(s.substr(j, k - j), f)) return std::nullopt;
      i = k;
    } else if (s[i] != ' ') {
      return std::nullopt;  // "T" with no time
    }
  }
  while (i < s.size() && s[i] == ' ') ++i;
  std::string_view zone = s.substr(i);
  while (!zone.empty() && zone.back() == ' ') zone.remove_suffix(1);
  if (!zone.empty()) {
    if (zone[0] == '+' || zone[0] == '-') {
      const auto off = ParseNumericOffset(zone);
      if (!off) return std::nullopt;
      f.offset_seconds = *off;
    } else {
      const auto off = NamedZoneOffset(LowerCopy(zone));
      if (!off) return std::nullopt;
      f.offset_seconds = *off;
    }
  }
  return ToUnix(f);
}

// Tokens of an RFC 822 date: split on spaces, tabs and commas; a comment "(...)" is dropped.
std::vector<std::string_view> Rfc822Tokens(std::string_view s) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == ',' || c == '\t') {
      ++i;
      continue;
    }
    if (c == '(') {
      const std::size_t end = s.find(')', i);
      i = end == std::string_view::npos ? s.size() : end + 1;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != ',' && s[j] != '\t' && s[j] != '(') ++j;
    tokens.push_back(s.substr(i, j - i));
    i = j;
  }
  return tokens;
}

// A leading word is a weekday, possibly localised ("mer, 16 nov 2022"): skip it.
void DropLeadingWeekday(std::vector<std::string_view>& tokens) {
  if (!tokens.empty() && !tokens[0].empty() && !IsDigit(tokens[0][0]) &&
      MonthFromName(LowerCopy(tokens[0])) == 0 && !(tokens.size() > 1 && !IsDigit(tokens[1][0]))) {
    tokens.erase(tokens.begin());
  }
}

// What the tokens of an RFC 822 date have said so far.
struct Rfc822Date {
  Fields f;
  bool have_time = false, have_zone = false;
  bool zone_guessed = false;  // an unknown abbreviation, taken for UTC
  int meridiem = 0;  // 1 "am", 2 "pm"
};

// "23-Nov-2026"
bool ReadDashedDate(std::string_view tok, Rfc822Date& date) {
  const auto dash = tok.find('-');
  const auto dash2 = tok.find('-', dash + 1);
  if (dash2 == std::string_view::npos || date.f.month > 0) return false;
  const std::string_view d = tok.substr(0, dash);
  const std::string_view m = tok.substr(dash + 1, dash2 - dash - 1);
  const std::string_view y = tok.substr(dash2 + 1);
  date.f.day = ToInt(d);
  date.f.month = MonthFromName(LowerCopy(m));
  date.f.year = ExpandYear(y);
  return d.size() <= 2 && date.f.month != 0;
}

bool ReadTime(std::string_view tok, Rfc822Date& date) {
  if (date.have_time) return false;
  // The zone may be glued on: "09:00:00+0200", "09:00:00Z", "09:00:00GMT".
  std::size_t end = 0;
  while (end < tok.size() && (IsDigit(tok[end]) || tok[end] == ':' || tok[end] == '.')) ++end;
  if (!ParseClock(tok.substr(0, end), date.f)) return false;
  date.have_time = true;
  if (end < tok.size()) {
    const std::string_view zone = tok.substr(end);
    auto off = (zone[0] == '+' || zone[0] == '-') ? ParseNumericOffset(zone)
                                                  : NamedZoneOffset(LowerCopy(zone));
    if (!off) return false;
    date.f.offset_seconds = *off;
    date.have_zone = true;
  }
  return true;
}

// A day of the month, or a year.
bool ReadNumber(std::string_view tok, Rfc822Date& date) {
  if (tok.size() >= 3 || (date.f.day >= 0 && date.f.year < 0)) {
    if (date.f.year >= 0) return false;
    date.f.year = ExpandYear(tok);
    return date.f.year >= 0;
  }
  if (date.f.day >= 0) return false;
  date.f.day = ToInt(tok);
  return true;
}

// Sets the zone; false when there is no offset or a zone was given before.
bool ReadZoneOffset(std::optional<int> offset, Rfc822Date& date) {
  if (!offset || date.have_zone) return false;
  date.f.offset_seconds = *offset;
  date.have_zone = true;
  return true;
}

// A zone name ("EST"), a zone name with an offset ("GMT+2", "UTC-05:00"), or an unknown
// abbreviation after the time.
bool ReadZoneName(std::string_view tok, const std::string& lower, Rfc822Date& date) {
  if (const auto off = NamedZoneOffset(lower)) return ReadZoneOffset(off, date);
  if (lower.starts_with("gmt") || lower.starts_with("utc")) {
    return ReadZoneOffset(ParseNumericOffset(tok.substr(3)), date);
  }
  // An unknown zone abbreviation after the time counts as UTC: better an hour off
  // than no date at all. Anything else unknown means this is not a date.
  if (date.have_time && !date.have_zone && tok.size() <= 5) {
    date.have_zone = true;
    date.zone_guessed = true;
    return true;
  }
  return false;
}

// A month, a weekday, "am" or "pm", or a zone.
bool ReadWord(std::string_view tok, Rfc822Date& date) {
  const std::string lower = LowerCopy(tok);
  if (date.f.month < 1) {
    if (const int m = MonthFromName(lower); m > 0) {
      date.f.month = m;
      return true;
    }
  }
  if (IsWeekdayName(lower)) return true;
  if (date.have_time && date.meridiem == 0 &&
      (lower == "am" || lower == "pm" || lower == "a.m" || lower == "p.m")) {
    date.meridiem = lower[0] == 'a' ? 1 : 2;
    return true;
  }
  return ReadZoneName(tok, lower, date);
}

// One token into `date`; like each reader it hands the token to, false when the text is not a
// date.
bool ReadRfc822Token(std::string_view tok, Rfc822Date& date) {
  while (!tok.empty() && tok.back() == '.') tok.remove_suffix(1);  // "Nov."
  if (tok.empty()) return true;
  const bool has_colon = tok.find(':') != std::string_view::npos;
  if (const auto dash = tok.find('-');
      dash != std::string_view::npos && dash > 0 && IsDigit(tok[0]) && !has_colon) {
    return ReadDashedDate(tok, date);
  }
  if (IsDigit(tok[0]) && has_colon) return ReadTime(tok, date);
  if (AllDigits(tok)) return ReadNumber(tok, date);
  if (tok[0] == '+' || tok[0] == '-') return ReadZoneOffset(ParseNumericOffset(tok), date);
  if (IsAlpha(tok[0]) || static_cast<unsigned char>(tok[0]) >= 0x80) return ReadWord(tok, date);
  return false;
}

// RFC 822 / 1123 / 2822 and the forms feeds actually send: "Mon, 23 Nov 2026 09:00:00 GMT",
// "23 Nov 2026 09:00 +0200", "Monday, 23 November 26 9:00:00 EST", "Nov 23 2026 09:00:00",
// "Mon Nov 23 09:00:00 2026" (asctime), "Mon, 23 Nov 2026 09:00:00 +0000 (UTC)".
std::optional<std::int64_t> ParseRfc822(std::string_view s, bool& zone_guessed) {
  std::vector<std::string_view> tokens = Rfc822Tokens(s);
  DropLeadingWeekday(tokens);
  Rfc822Date date;
  for (std::string_view tok : tokens) {
    if (!ReadRfc822Token(tok, date)) return std::nullopt;
  }
  zone_guessed = date.zone_guessed;
  Fields& f = date.f;
  if (f.day < 0 || f.month <= 0 || f.year < 0) return std::nullopt;
  if (date.meridiem != 0) {  // "8:19 pm": 12-hour clock
    if (f.hour < 1 || f.hour > 12) return std::nullopt;
    f.hour = f.hour % 12 + (date.meridiem == 2 ? 12 : 0);
  }
  return ToUnix(f);
}

}  // namespace

std::optional<std::int64_t> ParseFeedDate(std::string_view text) {
  bool zone_guessed = false;
  return feeds_internal::ParseFeedDate(text, zone_guessed);
}

namespace feeds_internal {

std::optional<std::int64_t> ParseFeedDate(std::string_view text, bool& zone_guessed) {
  zone_guessed = false;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 100) return std::nullopt;
  if (text.size() >= 4 && AllDigits(text.substr(0, 4)) && (text.size() == 4 || text[4] == '-')) {
    return ParseIso8601(text);
  }
  if (text.size() >= 8 && AllDigits(text.substr(0, 4)) && text[4] == '/') {
    // "2020/1/10 14:33:00": the slashed form some CMSs write; rewritten as ISO 8601.
    std::string iso(text.substr(0, 4));
    std::size_t i = 5;
    for (int part = 0; part < 2; ++part) {
      std::size_t j = i;
      while (j < text.size() && IsDigit(text[j])) ++j;
      if (j == i || j - i > 2 || (part == 0 && (j >= text.size() || text[j] != '/'))) {
        return std::nullopt;
      }
      iso += '-';
      if (j - i == 1) iso += '0';
      iso += text.substr(i, j - i);
      i = j + 1;
    }
    iso += text.substr(i - 1);
    return ParseIso8601(iso);
  }
  return ParseRfc822(text, zone_guessed);
}

}  // namespace feeds_internal

}  // namespace newsmon
