// The daemon's list of feeds and what it knows about each between polls: when it is due,
// whether a fetch is in flight, how often it changes, how many times in a row it failed
// and why. It also keeps newsmon polite: a per-host limit on requests in flight and a
// host-wide pause when a server answers 429/503 with Retry-After. A reload replaces the
// list and keeps what it knew about feeds that stay.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "daemon/config.h"
#include "daemon/scheduler.h"
#include "store/store.h"

namespace newsmon {

struct PollingPolicy {
  std::optional<std::chrono::milliseconds> default_interval;  // unset: adapt per feed
  std::chrono::milliseconds min_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds max_interval{std::chrono::hours(1)};
  std::chrono::milliseconds max_backoff{std::chrono::hours(6)};
  int max_per_host = 2;
};

PollingPolicy PolicyOf(const Config& config);

struct FeedState {
  FeedConfig config;
  std::string host;
  int failures = 0;
  std::string last_error;
  Disabled disabled;
  bool in_flight = false;
  std::chrono::milliseconds adaptive_interval{0};
  Scheduler::Clock::time_point next_due{};
};

// What one fetch taught us about a feed.
struct FetchOutcome {
  Status status;
  Disabled disabled;  // set when the feed is gone for good
  bool new_items = false;
  std::optional<std::chrono::seconds> retry_after;
  std::optional<std::chrono::seconds> max_age;
};

std::string HostOf(const std::string& url);

// What the store knows of a feed from before (a previous run, or before a reload re-added
// it), for the URL the config names now.
struct StoredPoll {
  Disabled disabled;
  int failures = 0;                                          // failed polls in a row
  std::optional<std::chrono::steady_clock::time_point> due;  // when it was to be polled next
  std::string moved_to;  // where a 301/308 moved it, if anywhere
};

// What a fetch's outcome changed, so the log speaks when a feed's state changes and not
// on every failed poll.
enum class FeedChange { kNone, kStartedFailing, kErrorChanged, kRecovered, kDisabled };

class FeedBook {
 public:
  using Clock = Scheduler::Clock;

  // Jitter for backoff comes from `random`, which must outlive the book.
  explicit FeedBook(Random& random) : random_(random) {}

  // New feeds are due at now, unless the store has them failing (`stored`: a StoredPoll for
  // a FeedConfig): then they keep their failures and the retry they were due, so a restart
  // neither cuts a backoff or a Retry-After short nor, in a crash loop, polls a failing host
  // at every start. Feeds that stay keep their state and due time (brought forward if their
  // interval got shorter, unless they are failing: a reload does not cut a backoff short). A
  // feed whose URL changed starts afresh, once a fetch of its old URL still in flight ended.
  template <typename Stored>
  void Replace(const std::vector<FeedConfig>& feeds, const PollingPolicy& policy,
               Clock::time_point now, Stored stored) {
    std::vector<FeedState> replaced;
    for (const FeedConfig& config : feeds) {
      const bool known = Knows(config);
      FeedState& state = replaced.emplace_back(Carry(config, now));
      const StoredPoll from_store = stored(config);
      if (!state.disabled) state.disabled = from_store.disabled;
      if (!known) Resume(state, from_store, now);
      if (!known && !from_store.moved_to.empty()) state.host = HostOf(from_store.moved_to);
    }
    Install(std::move(replaced), policy, now);
  }

  // Marks the feeds that are due and allowed to go now in flight and returns them.
  std::vector<FeedConfig> StartDue(Clock::time_point now);
  std::optional<Clock::time_point> NextDue() const { return scheduler_.NextDue(); }
  // Whether the fetch of `name` in flight was started for the URL the feed has now: not when
  // a reload removed the feed, or gave it another URL, while it was being fetched.
  bool FetchIsCurrent(const std::string& name) const;
  // Records a finished current fetch and schedules the next one.
  FeedChange Finish(const std::string& name, const FetchOutcome& outcome, Clock::time_point now);
  // Ends a fetch that is not current without learning from it: its host's place is free
  // again, and a feed that stays (under a new URL) is due at once.
  void Abandon(const std::string& name, Clock::time_point now);
  // A 301/308 moved the feed to `url`: from its next fetch it counts against that host's
  // places and pauses, which are the ones it now loads.
  void MovedTo(const std::string& name, const std::string& url);

  const FeedState* Find(const std::string& name) const;
  const std::vector<FeedState>& feeds() const { return feeds_; }
  std::size_t failing() const;

 private:
  bool Knows(const FeedConfig& config) const;
  FeedState Carry(const FeedConfig& config, Clock::time_point now) const;
  static void Resume(FeedState& state, const StoredPoll& stored, Clock::time_point now);
  void Install(std::vector<FeedState> feeds, const PollingPolicy& policy, Clock::time_point now);
  bool Polite(const FeedState& feed) const;
  std::chrono::milliseconds IntervalOf(const FeedState& feed) const;
  std::chrono::milliseconds NextInterval(FeedState& feed, const FetchOutcome& outcome) const;
  std::chrono::milliseconds Backoff(const FeedState& feed);
  void ReleaseHost(const std::string& name, Clock::time_point now);
  void Schedule(std::size_t index, Clock::time_point due);

  std::vector<FeedState> feeds_;
  std::unordered_map<std::string, std::size_t> index_;  // name → position in feeds_
  std::unordered_map<std::string, int> in_flight_per_host_;
  // Fetches in flight by feed name: the host they hold a place of ("" for none) and the
  // config URL they were started for, which a reload may since have changed or removed.
  struct InFlight {
    std::string host;
    std::string config_url;
  };
  std::unordered_map<std::string, InFlight> in_flight_;
  std::unordered_map<std::string, std::deque<std::size_t>> waiting_per_host_;
  std::unordered_map<std::string, Clock::time_point> host_paused_until_;  // pruned in Install
  PollingPolicy policy_;
  Scheduler scheduler_;
  Random& random_;
};

// The host part of a URL ("" for file:// URLs).
std::string HostOf(const std::string& url);
// file:// and loopback feeds are ours to poll as often as we like.
bool IsLocalFeed(const std::string& url);

}  // namespace newsmon
