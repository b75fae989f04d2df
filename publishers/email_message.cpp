#include "publishers/email_message.h"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>

#include "publishers/webhook_formats.h"

namespace newsmon {
namespace {

// RFC 2047 section 2: an encoded-word is at most 75 characters, and a line holding one at most
// 76; "=?UTF-8?B?" and "?=" take 12 of them.
constexpr std::size_t kMostWord = 75;
constexpr std::size_t kMostEncodedLine = 76;
constexpr std::size_t kWordFrame = 12;
constexpr std::size_t kMostPlainLine = 78;  // RFC 5322 section 2.1.1's "SHOULD"
// A digest's subject names its first headline; beyond this it is cut (the body has it all).
constexpr std::size_t kMostSubjectBytes = 512;

// Base64 by OpenSSL's EVP_EncodeBlock (libcrypto is linked for the webhook signature already),
// so the only hand-written part of the encoding is where to cut; no Debian library in the build
// (libcurl's MIME API, ICU) encodes RFC 2047 header words.
std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(written, 0)));
  return out;
}

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The end of the longest run from `from` of at most `most` bytes that does not cut a UTF-8
// sequence; a run of stray continuation bytes longer than that is cut anyway, to move on.
std::size_t CharBoundary(std::string_view text, std::size_t from, std::size_t most) {
  std::size_t end = std::min(text.size(), from + most);
  while (end > from && end < text.size() && IsContinuationByte(text[end])) --end;
  return end > from ? end : std::min(text.size(), from + most);
}

// Feed text on one line: line breaks and other controls would end or forge a header line.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = ' ';
  }
  return out;
}

std::string Cut(std::string text, std::size_t most) {
  if (text.size() <= most) return text;
  text.resize(CharBoundary(text, 0, most));
  return text + "…";
}

bool IsPlainAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

std::string ThreadOf(const AlertFacts& facts, const OutboxEntry& alert) {
  if (!facts.thread.empty()) return facts.thread;
  return alert.topic.substr(alert.topic.find('.') + 1);
}

std::string Headline(const AlertFacts& facts) {
  if (facts.kind == "burst")
    return "Burst: " + std::to_string(facts.burst_stories) + " new stories";
  return (facts.kind == "update" ? "Update: " : "") + OneLine(facts.title);
}

// One alert's lines, for a single mail or a digest's entry.
std::string AlertBlock(const AlertFacts& facts, const OutboxEntry& alert) {
  std::string block = Headline(facts) + "\n";
  if (facts.kind == "burst") {
    for (const std::string& title : facts.burst_titles) block += "• " + OneLine(title) + "\n";
  } else if (!facts.link.empty()) {
    block += OneLine(facts.link) + "\n";
  }
  block += "\nThread: " + ThreadOf(facts, alert) + "\nKind: " + facts.kind + "\n";
  if (!facts.feed.empty()) block += "Outlet: " + OneLine(facts.feed) + "\n";
  if (!facts.matched.empty()) block += "Matched: " + OneLine(facts.matched) + "\n";
  if (!facts.sources.empty()) block += "Sources: " + OneLine(facts.sources) + "\n";
  return block + "Seq: " + std::to_string(alert.seq) + "\n";
}

AlertFacts FactsOrBare(const OutboxEntry& alert) {
  if (auto facts = AlertFactsOf(alert.body)) return *facts;
  AlertFacts bare;
  bare.kind = "new";
  bare.title = "(alert " + std::to_string(alert.seq) + ")";
  return bare;
}

// "\n" to CRLF, for SMTP's line ends (RFC 5321 section 2.3.8).
std::string WithCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

bool IsMailAddress(std::string_view address) {
  const std::size_t at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view domain = address.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return false;
  return std::all_of(address.begin(), address.end(), [](char c) {
    return c > 0x20 && c < 0x7F && c != '<' && c != '>' && c != '"' && c != ',' && c != ';' &&
           c != '(' && c != ')' && c != '[' && c != ']' && c != '\\';
  });
}

std::string EncodedHeader(std::string_view name, std::string_view value) {
  const std::string text = OneLine(value);
  std::string out = std::string(name) + ": ";
  if (IsPlainAscii(text) && text.find("=?") == std::string::npos &&
      out.size() + text.size() <= kMostPlainLine) {
    return out + text;
  }
  // The first word shares its line with the field name; the others start a line after a space.
  std::size_t room = std::min(kMostWord, kMostEncodedLine - out.size());
  for (std::size_t from = 0; from < text.size();) {
    const std::size_t bytes = (room - kWordFrame) / 4 * 3;
    const std::size_t end = CharBoundary(text, from, bytes);
    if (from > 0) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(std::string_view(text).substr(from, end - from)) + "?=";
    from = end;
    room = std::min(kMostWord, kMostEncodedLine - 1);
  }
  return out;
}

std::string MailDate(std::int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return buffer;
}

std::string Base64Lines(std::string_view bytes) {
  const std::string encoded = Base64(bytes);
  std::string out;
  for (std::size_t at = 0; at < encoded.size(); at += 76) out += encoded.substr(at, 76) + "\r\n";
  return out;
}

MailText AlertMailText(const std::vector<OutboxEntry>& alerts) {
  if (alerts.empty()) return {};
  const AlertFacts first = FactsOrBare(alerts.front());
  const std::string thread = ThreadOf(first, alerts.front());
  if (alerts.size() == 1) {
    return {Cut("[" + thread + "] " + Headline(first), kMostSubjectBytes),
            AlertBlock(first, alerts.front())};
  }
  const std::string count = std::to_string(alerts.size());
  MailText text;
  text.subject = Cut("[" + thread + "] " + count + " alerts: " + Headline(first) + " (+" +
                         std::to_string(alerts.size() - 1) + " more)",
                     kMostSubjectBytes);
  text.body = count + " alerts in thread " + thread + ", oldest first.\n";
  for (const OutboxEntry& alert : alerts) {
    text.body += "\n" + AlertBlock(FactsOrBare(alert), alert);
  }
  return text;
}

std::string ComposeMail(const MailHeaders& headers, const MailText& text) {
  std::string to;
  for (const std::string& address : headers.to) to += (to.empty() ? "" : ",\r\n ") + address;
  std::string mail =
      "From: " + headers.from + "\r\nTo: " + to + "\r\n" + EncodedHeader("Subject", text.subject) +
      "\r\nDate: " + MailDate(headers.date) + "\r\nMessage-ID: " + headers.message_id +
      "\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n";
  return mail + Base64Lines(WithCrlf(text.body));
}

}  // namespace newsmon
