#include "core/env.h"

#include <cstdlib>

namespace newsmon {

std::int64_t SystemClock::UnixSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t SeededRandom::SeedFromDevice() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

namespace {

std::uint64_t ChooseSeed() {
  if (const char* text = std::getenv("NEWSMON_SEED"); text != nullptr && *text != '\0') {
    char* end = nullptr;
    const unsigned long long seed = std::strtoull(text, &end, 10);
    if (end != nullptr && *end == '\0') return seed;
  }
  return SeededRandom::SeedFromDevice();
}

SeededRandom& DefaultRandom() {
  static SeededRandom random(ChooseSeed());
  return random;
}

}  // namespace

Env& Env::Default() {
  static SystemClock clock;
  static Env env{clock, DefaultRandom()};
  return env;
}

std::uint64_t Env::DefaultSeed() { return DefaultRandom().seed(); }

}  // namespace newsmon
