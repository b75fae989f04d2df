#include "daemon/feed_book.h"

#include <algorithm>

#include "core/backoff.h"

namespace newsmon {

using std::chrono::milliseconds;

namespace {

constexpr std::chrono::seconds kLongestRetryAfter{std::chrono::hours(24)};

// An error without its numbers: "timed out after 60002 milliseconds" and "… after 60001
// milliseconds" are the same state of the feed, and are logged once.
std::string ErrorShape(const std::string& message) {
  std::string shape;
  for (char c : message) {
    const bool digit = c >= '0' && c <= '9';
    if (!digit)
      shape += c;
    else if (shape.empty() || shape.back() != '#')
      shape += '#';
  }
  return shape;
}

}  // namespace

PollingPolicy PolicyOf(const Config& config) {
  PollingPolicy policy;
  policy.default_interval = config.default_interval;
  policy.min_interval = config.min_interval;
  policy.max_interval = config.max_interval;
  policy.max_per_host = config.max_per_host;
  return policy;
}

std::string HostOf(const std::string& url) {
  auto start = url.find("://");
  if (start == std::string::npos || url.compare(0, start, "file") == 0) return "";
  start += 3;
  auto end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  std::transform(authority.begin(), authority.end(), authority.begin(), ::tolower);
  return authority;
}

bool IsLocalFeed(const std::string& url) {
  if (url.rfind("file://", 0) == 0) return true;
  std::string host = HostOf(url);
  std::string name =
      host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']' ? host.size()
                                                                                : host.rfind(':'));
  return name == "localhost" || name.rfind("127.", 0) == 0 || name == "[::1]";
}

bool FeedBook::Knows(const FeedConfig& config) const {
  const FeedState* old = Find(config.name);
  return old != nullptr && old->config.url == config.url;
}

void FeedBook::Resume(FeedState& state, const StoredPoll& stored, Clock::time_point now) {
  if (stored.failures <= 0) return;
  state.failures = stored.failures;
  // Never further than the longest pause a server can ask for: a stored time decades ahead
  // (a clock that was wrong) must not silence the feed.
  if (stored.due && *stored.due > now)
    state.next_due = std::min(*stored.due, now + kLongestRetryAfter);
}

FeedState FeedBook::Carry(const FeedConfig& config, Clock::time_point now) const {
  FeedState state;
  const FeedState* old = Find(config.name);
  if (old && old->config.url == config.url) {
    state = *old;
  } else {
    state.next_due = now;
    // One fetch of a feed at a time: its new URL waits for the old one's answer (Abandon),
    // also when an earlier reload had removed the feed while that fetch was running.
    state.in_flight = in_flight_.contains(config.name);
  }
  state.config = config;
  state.host = HostOf(config.url);
  return state;
}

void FeedBook::Install(std::vector<FeedState> feeds, const PollingPolicy& policy,
                       Clock::time_point now) {
  feeds_ = std::move(feeds);
  policy_ = policy;
  std::erase_if(host_paused_until_, [now](const auto& paused) { return paused.second <= now; });
  index_.clear();
  waiting_per_host_.clear();
  scheduler_.Clear();
  for (std::size_t i = 0; i < feeds_.size(); ++i) {
    FeedState& feed = feeds_[i];
    index_[feed.config.name] = i;
    if (feed.adaptive_interval.count() == 0) feed.adaptive_interval = policy_.min_interval;
    // In flight: scheduled when its fetch finishes. Disabled: never.
    if (feed.in_flight || feed.disabled) continue;
    Schedule(i,
             feed.failures > 0 ? feed.next_due : std::min(feed.next_due, now + IntervalOf(feed)));
  }
}

void FeedBook::Schedule(std::size_t index, Clock::time_point due) {
  feeds_[index].next_due = due;
  scheduler_.Schedule(index, due);
}

bool FeedBook::Polite(const FeedState& feed) const { return !feed.host.empty(); }

std::vector<FeedConfig> FeedBook::StartDue(Clock::time_point now) {
  std::vector<FeedConfig> started;
  for (std::size_t index : scheduler_.PopDue(now)) {
    FeedState& feed = feeds_[index];
    if (feed.in_flight || feed.disabled) continue;  // stale entry after a reload
    if (Polite(feed)) {
      if (auto paused = host_paused_until_.find(feed.host);
          paused != host_paused_until_.end() && paused->second > now) {
        Schedule(index, paused->second);
        continue;
      }
      if (in_flight_per_host_[feed.host] >= policy_.max_per_host) {
        waiting_per_host_[feed.host].push_back(index);
        continue;
      }
      ++in_flight_per_host_[feed.host];
    }
    in_flight_[feed.config.name] = {Polite(feed) ? feed.host : "", feed.config.url};
    feed.in_flight = true;
    started.push_back(feed.config);
  }
  return started;
}

// Ends the fetch of `name` in flight, freeing its host's place for the next feed waiting.
void FeedBook::ReleaseHost(const std::string& name, Clock::time_point now) {
  auto fetch = in_flight_.find(name);
  if (fetch == in_flight_.end()) return;
  const std::string host = std::move(fetch->second.host);
  in_flight_.erase(fetch);
  if (host.empty()) return;
  if (--in_flight_per_host_[host] <= 0) in_flight_per_host_.erase(host);
  auto waiting = waiting_per_host_.find(host);
  if (waiting == waiting_per_host_.end() || waiting->second.empty()) return;
  Schedule(waiting->second.front(), now);
  waiting->second.pop_front();
}

FeedChange FeedBook::Finish(const std::string& name, const FetchOutcome& outcome,
                            Clock::time_point now) {
  ReleaseHost(name, now);
  auto found = index_.find(name);
  if (found == index_.end()) return FeedChange::kNone;
  std::size_t index = found->second;
  FeedState& feed = feeds_[index];
  if (!feed.in_flight) return FeedChange::kNone;
  feed.in_flight = false;
  if (outcome.retry_after && Polite(feed)) {
    // A server may ask for years (or overflow the clock): a day is the most we honour.
    host_paused_until_[feed.host] = now + std::min(*outcome.retry_after, kLongestRetryAfter);
  }
  if (outcome.disabled) {
    feed.disabled = outcome.disabled;
    feed.last_error = outcome.status.message();
    return FeedChange::kDisabled;
  }
  FeedChange change = FeedChange::kNone;
  milliseconds delay{0};
  if (outcome.status.ok()) {
    if (feed.failures > 0) change = FeedChange::kRecovered;
    feed.failures = 0;
    feed.last_error.clear();
    delay = NextInterval(feed, outcome);
  } else {
    change = feed.failures == 0 ? FeedChange::kStartedFailing
             : ErrorShape(feed.last_error) != ErrorShape(outcome.status.message())
                 ? FeedChange::kErrorChanged
                 : FeedChange::kNone;
    ++feed.failures;
    feed.last_error = outcome.status.message();
    delay = Backoff(feed);
  }
  Clock::time_point due = now + delay;
  if (auto paused = host_paused_until_.find(feed.host); paused != host_paused_until_.end()) {
    due = std::max(due, paused->second);
  }
  Schedule(index, due);
  return change;
}

bool FeedBook::FetchIsCurrent(const std::string& name) const {
  auto fetch = in_flight_.find(name);
  const FeedState* feed = Find(name);
  return fetch != in_flight_.end() && feed != nullptr && feed->in_flight &&
         feed->config.url == fetch->second.config_url;
}

void FeedBook::MovedTo(const std::string& name, const std::string& url) {
  auto found = index_.find(name);
  if (found != index_.end()) feeds_[found->second].host = HostOf(url);
}

void FeedBook::Abandon(const std::string& name, Clock::time_point now) {
  ReleaseHost(name, now);
  auto found = index_.find(name);
  if (found == index_.end()) return;
  FeedState& feed = feeds_[found->second];
  if (!feed.in_flight) return;
  feed.in_flight = false;
  if (!feed.disabled) Schedule(found->second, now);
}

// Feeds without an explicit interval are polled more often while they change and less
// while they do not, within [min_interval, max_interval]; the server's max-age is a
// lower bound.
milliseconds FeedBook::NextInterval(FeedState& feed, const FetchOutcome& outcome) const {
  if (feed.config.interval || policy_.default_interval) return IntervalOf(feed);
  milliseconds next = outcome.new_items ? feed.adaptive_interval / 2
                                        : feed.adaptive_interval + feed.adaptive_interval / 4;
  next = std::clamp(next, policy_.min_interval, policy_.max_interval);
  // Capped in seconds before it becomes milliseconds: "max-age=9223372036854775807" would
  // overflow the conversion and come out negative.
  if (outcome.max_age) {
    next = std::max<milliseconds>(
        next, std::min<std::chrono::seconds>(*outcome.max_age, std::chrono::hours(24)));
  }
  feed.adaptive_interval = next;
  return next;
}

milliseconds FeedBook::IntervalOf(const FeedState& feed) const {
  if (feed.config.interval) return *feed.config.interval;
  if (policy_.default_interval) return *policy_.default_interval;
  return feed.adaptive_interval;
}

// Doubling per failure from the feed's interval, with ±20% jitter so feeds that failed
// together (a network outage) do not retry together, and never longer than max_backoff.
milliseconds FeedBook::Backoff(const FeedState& feed) {
  return JitteredBackoff({.first = IntervalOf(feed), .cap = policy_.max_backoff}, feed.failures,
                         random_);
}

const FeedState* FeedBook::Find(const std::string& name) const {
  auto found = index_.find(name);
  return found == index_.end() ? nullptr : &feeds_[found->second];
}

std::size_t FeedBook::failing() const {
  return static_cast<std::size_t>(std::count_if(
      feeds_.begin(), feeds_.end(), [](const FeedState& feed) { return feed.failures > 0; }));
}

}  // namespace newsmon
