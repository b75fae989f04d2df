// The one seam for time and chance (LevelDB's Env): every rule about time reads the clock and
// every jitter draws from the random source through these interfaces, so tests run a day of
// backoff on a FakeClock in milliseconds, and a failing run can be replayed from its seed.
// Only SystemClock and SeededRandom touch std::chrono's clocks and the entropy device.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace newsmon {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic: deadlines, intervals, timeouts.
  virtual TimePoint Now() const = 0;
  // Wall time in Unix seconds (UTC): what is stored and shown.
  virtual std::int64_t UnixSeconds() const = 0;
};

// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t UnixSeconds() const override;
};

// Time that moves only when told; both clocks move together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t unix_seconds = 1'767'225'600)  // 2026-01-01T00:00:00Z
      : unix_start_(unix_seconds) {}
  TimePoint Now() const override { return now_; }
  std::int64_t UnixSeconds() const override {
    return unix_start_ + std::chrono::duration_cast<std::chrono::seconds>(now_ - start_).count();
  }
  void Advance(Duration by) { now_ += by; }
  void AdvanceTo(TimePoint when) {
    if (when > now_) now_ = when;
  }

 private:
  TimePoint start_{std::chrono::hours(1)};  // not the epoch: code may subtract from Now()
  TimePoint now_{start_};
  std::int64_t unix_start_;
};

// A source of uniform numbers in [0, 1) for jitter.
class Random {
 public:
  virtual ~Random() = default;
  virtual double Next() = 0;
  // Uniform in [low, high).
  double Uniform(double low, double high) { return low + (high - low) * Next(); }
};

// Deterministic for a given seed; the daemon seeds it from the entropy device and logs the
// seed, so a run can be replayed.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : seed_(seed), engine_(seed) {}
  static std::uint64_t SeedFromDevice();
  double Next() override { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }
  std::uint64_t seed() const { return seed_; }

 private:
  std::uint64_t seed_;
  std::mt19937_64 engine_;
};

// Returns the same value every time: for tests that need the extremes of a jitter range.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(double value) : value_(value) {}
  double Next() override { return value_; }

 private:
  double value_;
};

// How long curl's DNS cache keeps a host's addresses, and how long a connection opened to one
// of them is reused (see core/curl_multi.h): curl's default for the first, and the same bound
// for the second, which libcurl 7.88 leaves unbounded.
inline constexpr std::chrono::seconds kDefaultAddressLifetime{60};

// What the parts of the daemon share about time and chance. The default is the machine's
// clock and a source seeded from $NEWSMON_SEED when set (to replay a run), else from the
// entropy device; DefaultSeed() tells which seed it got, for the log.
struct Env {
  Clock& clock;
  Random& random;
  // How long an address looked up for a host goes on being used (kDefaultAddressLifetime).
  // curl ages its caches on the machine's clock, which a FakeClock does not move: tests of a
  // host that moves shorten this instead.
  std::chrono::seconds address_lifetime = kDefaultAddressLifetime;
  static Env& Default();
  static std::uint64_t DefaultSeed();
};

}  // namespace newsmon
