#include "publishers/webhook_formats.h"

#include <nlohmann/json.hpp>

#include <array>
#include <utility>

namespace newsmon {
namespace {

using nlohmann::json;

// Discord refuses a message over 2,000 characters; the others take more, but a chat line
// that long is a wall of text, so every service gets the same bound (in bytes, cut on a
// UTF-8 character boundary).
constexpr std::size_t kMostText = 1900;

using Facts = AlertFacts;

// Feed text was made valid UTF-8 when the alert was written; replacing keeps a cut or a bad
// byte from throwing here all the same.
std::string Dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Joined(const json& list) {
  std::string joined;
  if (!list.is_array()) return joined;
  for (const json& entry : list) {
    if (!entry.is_string()) continue;
    joined += (joined.empty() ? "" : ", ") + entry.get<std::string>();
  }
  return joined;
}

Facts FactsOf(const json& alert) {
  Facts facts;
  facts.kind = alert.value("kind", "new");
  facts.thread = alert.value("thread", "");
  facts.detected_at = alert.value("detected_at", "");
  const json item = alert.value("item", json::object());
  if (item.is_object()) {
    facts.title = item.value("title", "");
    facts.link = item.value("link", "");
    facts.feed = item.value("feed", "");
  }
  facts.matched = Joined(alert.value("matched", json::array()));
  const json story = alert.value("story", json());
  if (story.is_object() && story.value("source_count", 0) > 1) {
    facts.sources = std::to_string(story.value("source_count", 0)) +
                    " sources: " + Joined(story.value("sources", json::array()));
  }
  const json burst = alert.value("burst", json());
  if (burst.is_object()) {
    facts.burst_stories = burst.value("stories", 0);
    for (const json& story_entry : alert.value("stories", json::array())) {
      if (story_entry.is_object()) facts.burst_titles.push_back(story_entry.value("title", ""));
    }
  }
  return facts;
}

std::string Cut(std::string text) {
  if (text.size() <= kMostText) return text;
  std::size_t end = kMostText;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "…";
}

// Escapes each character of `special` with what `escape` makes of it.
template <typename Escape>
std::string Escaped(std::string_view text, std::string_view special, Escape escape) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (special.find(c) != std::string_view::npos) {
      out += escape(c);
    } else {
      out += c;
    }
  }
  return out;
}

std::string HtmlEscaped(std::string_view text) {
  return Escaped(text, "&<>\"", [](char c) -> std::string {
    switch (c) {
      case '&':
        return "&amp;";
      case '<':
        return "&lt;";
      case '>':
        return "&gt;";
      default:
        return "&quot;";
    }
  });
}

// Slack's mrkdwn needs only &, < and > escaped.
std::string SlackEscaped(std::string_view text) {
  return Escaped(text, "&<>", [](char c) -> std::string {
    return c == '&' ? "&amp;" : c == '<' ? "&lt;" : "&gt;";
  });
}

std::string MarkdownEscaped(std::string_view text) {
  return Escaped(text, "\\*_~`|[]()<>#@", [](char c) { return std::string("\\") + c; });
}

// A link as a header or a markup target carries: no spaces, controls or bytes beyond ASCII
// (percent-encoded), nothing that closes the markup around it.
std::string SafeLink(std::string_view link) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : link) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == '|' || c == '<' || c == '>' || c == '"' || c == '(' ||
        c == ')') {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    } else {
      out += c;
    }
  }
  return out;
}

std::string KindWord(const Facts& facts) {
  if (facts.kind == "update") return "Update: ";
  return "";
}

// The lines after the headline, in plain text; `escape` makes feed text safe for the markup.
template <typename Escape>
std::string Details(const Facts& facts, Escape escape) {
  std::string details;
  if (facts.kind == "burst") {
    for (const std::string& title : facts.burst_titles) details += "\n• " + escape(title);
    return details;
  }
  if (!facts.matched.empty()) details += "\nmatched: " + escape(facts.matched);
  if (!facts.sources.empty()) details += "\n" + escape(facts.sources);
  return details;
}

std::string BurstLine(const Facts& facts) {
  return "Burst: " + std::to_string(facts.burst_stories) + " new stories";
}

WebhookMessage Slack(const Facts& facts) {
  std::string text = "*[" + facts.thread + "]* ";
  if (facts.kind == "burst") {
    text += BurstLine(facts);
  } else {
    text += KindWord(facts) + "<" + SafeLink(facts.link) + "|" + SlackEscaped(facts.title) + "> (" +
            SlackEscaped(facts.feed) + ")";
  }
  text += Details(facts, SlackEscaped);
  return {"application/json", Dump(json{{"text", Cut(text)}}), {}};
}

WebhookMessage Discord(const Facts& facts) {
  std::string text = "**[" + facts.thread + "]** ";
  if (facts.kind == "burst") {
    text += BurstLine(facts);
  } else {
    text += KindWord(facts) + "[" + MarkdownEscaped(facts.title) + "](<" + SafeLink(facts.link) +
            ">) (" + MarkdownEscaped(facts.feed) + ")";
  }
  text += Details(facts, MarkdownEscaped);
  json body = {{"content", Cut(text)}, {"allowed_mentions", {{"parse", json::array()}}}};
  return {"application/json", Dump(body), {}};
}

WebhookMessage Teams(const Facts& facts) {
  const bool burst = facts.kind == "burst";
  const std::string title =
      "[" + facts.thread + "] " + (burst ? BurstLine(facts) : KindWord(facts) + facts.title);
  std::string text = burst ? "" : MarkdownEscaped(facts.feed);
  const std::string details = Details(facts, MarkdownEscaped);
  text += burst ? details.substr(std::min<std::size_t>(1, details.size())) : details;
  json card = {{"@type", "MessageCard"},
               {"@context", "https://schema.org/extensions"},
               {"summary", Cut(title)},
               {"title", Cut(MarkdownEscaped(title))},
               {"text", Cut(text)}};
  if (!burst && !facts.link.empty()) {
    card["potentialAction"] = json::array(
        {{{"@type", "OpenUri"},
          {"name", "Open the article"},
          {"targets", json::array({{{"os", "default"}, {"uri", SafeLink(facts.link)}}})}}});
  }
  return {"application/json", Dump(card), {}};
}

// ntfy reads a plain-text body and its title and link from headers; the thread id is ASCII
// (thread ids are [a-z0-9-]), the link is made so, and feed text stays in the body.
WebhookMessage Ntfy(const Facts& facts) {
  const bool burst = facts.kind == "burst";
  std::string body =
      burst ? BurstLine(facts) : KindWord(facts) + facts.title + " (" + facts.feed + ")";
  body += Details(facts, [](std::string_view text) { return std::string(text); });
  std::vector<std::string> headers = {"X-Title: newsmon [" + facts.thread + "]",
                                      "X-Tags: " + facts.thread};
  if (!burst && !facts.link.empty()) headers.push_back("X-Click: " + SafeLink(facts.link));
  return {"text/plain; charset=utf-8", Cut(body), std::move(headers)};
}

WebhookMessage Telegram(const Facts& facts, const std::string& chat_id) {
  std::string text = "<b>[" + facts.thread + "]</b> ";
  if (facts.kind == "burst") {
    text += BurstLine(facts);
  } else {
    text += KindWord(facts) + "<a href=\"" + HtmlEscaped(SafeLink(facts.link)) + "\">" +
            HtmlEscaped(facts.title) + "</a> (" + HtmlEscaped(facts.feed) + ")";
  }
  text += Details(facts, HtmlEscaped);
  json body = {{"chat_id", chat_id},
               {"text", Cut(text)},
               {"parse_mode", "HTML"},
               {"disable_web_page_preview", true}};
  return {"application/json", Dump(body), {}};
}

constexpr std::array<std::pair<WebhookFormat, const char*>, 6> kNames = {{
    {WebhookFormat::kJson, "json"},
    {WebhookFormat::kSlack, "slack"},
    {WebhookFormat::kDiscord, "discord"},
    {WebhookFormat::kTeams, "teams"},
    {WebhookFormat::kNtfy, "ntfy"},
    {WebhookFormat::kTelegram, "telegram"},
}};

}  // namespace

std::optional<AlertFacts> AlertFactsOf(const std::string& alert_json) {
  const json alert = json::parse(alert_json, nullptr, false);
  if (!alert.is_object()) return std::nullopt;
  return FactsOf(alert);
}

std::optional<WebhookFormat> WebhookFormatNamed(std::string_view name) {
  for (const auto& [format, format_name] : kNames) {
    if (name == format_name) return format;
  }
  return std::nullopt;
}

const char* WebhookFormatName(WebhookFormat format) {
  for (const auto& [known, name] : kNames) {
    if (known == format) return name;
  }
  return "json";
}

WebhookMessage FormatWebhookMessage(WebhookFormat format, const std::string& alert_json,
                                    const std::string& chat_id) {
  if (format == WebhookFormat::kJson) return {"application/json", alert_json, {}};
  const std::optional<Facts> read = AlertFactsOf(alert_json);
  if (!read) return {"application/json", alert_json, {}};
  const Facts& facts = *read;
  switch (format) {
    case WebhookFormat::kSlack:
      return Slack(facts);
    case WebhookFormat::kDiscord:
      return Discord(facts);
    case WebhookFormat::kTeams:
      return Teams(facts);
    case WebhookFormat::kNtfy:
      return Ntfy(facts);
    case WebhookFormat::kTelegram:
      return Telegram(facts, chat_id);
    case WebhookFormat::kJson:
      break;
  }
  return {"application/json", alert_json, {}};
}

}  // namespace newsmon
