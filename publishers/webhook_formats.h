// What a webhook sink posts for an alert, in the shape each chat or push service reads
// (docs/alerts.md, "Chat and push services"): the headline linked to the article, the thread,
// the outlet, the matched terms, and for a story the sources that confirm it. Text from feeds
// is escaped for each service's markup, and Discord is told to ping nobody, so a feed cannot
// format, link or mention its way into a newsroom's channel.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newsmon {

enum class WebhookFormat { kJson, kSlack, kDiscord, kTeams, kNtfy, kTelegram };

// "json", "slack", … ; nullopt for any other name.
std::optional<WebhookFormat> WebhookFormatNamed(std::string_view name);
const char* WebhookFormatName(WebhookFormat format);

// What every message says about an alert, read once from its bus JSON; shared with the e-mail
// sink (publishers/email_message.h) so chat lines and mails tell the same facts.
struct AlertFacts {
  std::string kind;  // new, update, burst
  std::string thread;
  std::string title;
  std::string link;
  std::string feed;
  std::string matched;  // "ceasefire, truce"
  std::string sources;  // "3 sources: a, b, c" for a story with more than one
  std::vector<std::string> burst_titles;
  int burst_stories = 0;
  std::string detected_at;  // RFC 3339, as in the alert
};

// nullopt when alert_json is not a JSON object.
std::optional<AlertFacts> AlertFactsOf(const std::string& alert_json);

struct WebhookMessage {
  std::string content_type;
  std::string body;
  std::vector<std::string> headers;  // extra "Name: value" lines (ntfy's title and link)
};

// The message for one alert (its bus JSON). `chat_id` is Telegram's, required there and
// ignored elsewhere. An alert body that is not JSON is posted as it is.
WebhookMessage FormatWebhookMessage(WebhookFormat format, const std::string& alert_json,
                                    const std::string& chat_id = "");

}  // namespace newsmon
