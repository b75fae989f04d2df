// Small ASCII helpers every part needs for protocol text (header values, charset names, XML
// names, config words): one copy instead of one per file. Not for user text, which goes
// through ICU (classifiers/text_internal.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace newsmon {

// The bytes 0x00–0x20: ASCII space and every control character.
inline constexpr std::string_view kSpaceAndControls{
    "\0\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"
    "\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ",
    33};

// A–Z to a–z; every other byte as it is.
std::string AsciiLower(std::string_view text);

// Without the leading and trailing bytes found in `strip` (default: ASCII whitespace; pass
// kSpaceAndControls for every control byte too).
std::string_view Trim(std::string_view text, std::string_view strip = " \t\r\n\f\v");

// A URL as it may appear in a log: "user:password@" replaced by "***@", so credentials in a
// feed URL stay out of journals and log shippers.
std::string UrlForLog(std::string_view url);

// FNV-1a, 64 bits: a fast fingerprint for change detection and synthetic ids, not a security
// boundary. `basis` is the standard offset basis unless a stored value depends on another.
inline constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr std::uint64_t Fnv1aStep(std::uint64_t hash, unsigned char byte) {
  return (hash ^ byte) * kFnvPrime;
}
std::uint64_t Fnv1a(std::string_view data, std::uint64_t basis = kFnvOffsetBasis);
// 16 lowercase hex digits.
std::string Hex64(std::uint64_t value);

}  // namespace newsmon
