// The e-mail an e-mail sink sends for one alert or a digest of a thread's alerts: an RFC 5322
// message, text/plain in UTF-8, CRLF line ends, ready for SMTP DATA (libcurl dot-stuffs it).
// Feed text reaches the headers only in the Subject, as RFC 2047 encoded-words whenever it is
// not short printable ASCII, so a headline can neither break a header line nor add one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace newsmon {

// An addr-spec as SMTP takes it in MAIL FROM / RCPT TO without SMTPUTF8: printable ASCII
// local part and domain around one '@', no spaces, brackets or quotes.
bool IsMailAddress(std::string_view address);

// "NAME: VALUE" as one header field without its final CRLF: VALUE as it is when it is
// printable ASCII that fits a 78-character line and holds no "=?"; else as UTF-8 "B"
// encoded-words of at most 75 characters, folded so no line exceeds 76, each holding whole
// UTF-8 characters (RFC 2047 sections 2 and 5). Control characters become spaces first.
std::string EncodedHeader(std::string_view name, std::string_view value);

// RFC 5322 date-time in UTC: "Thu, 01 Jan 2026 00:00:00 +0000".
std::string MailDate(std::int64_t unix_seconds);

// Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 section 6.8).
std::string Base64Lines(std::string_view bytes);

struct MailHeaders {
  std::string from;
  std::vector<std::string> to;
  std::int64_t date = 0;   // Unix seconds
  std::string message_id;  // "<...@...>"
};

struct MailText {
  std::string subject;  // UTF-8, unencoded
  std::string body;     // UTF-8, lines ended by "\n"
};

// One alert ("[truces] Ceasefire agreed"), or a digest of a thread's alerts, oldest first
// ("[truces] 3 alerts: Ceasefire agreed (+2 more)"), each with its link, thread, kind, outlet,
// matched terms and a story's sources.
MailText AlertMailText(const std::vector<OutboxEntry>& alerts);

// The whole message: headers (From, To, Subject, Date, Message-ID, MIME-Version,
// Content-Type, Content-Transfer-Encoding) and the body in base64.
std::string ComposeMail(const MailHeaders& headers, const MailText& text);

}  // namespace newsmon
