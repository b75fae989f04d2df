#include "daemon/service_notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace newsmon {

ServiceNotifier::ServiceNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::milliseconds(usec / 2000);
  }
}

void ServiceNotifier::Ready() { sd_notify(0, "READY=1"); }

void ServiceNotifier::Reloading() {
  // systemd 253+ wants MONOTONIC_USEC with RELOADING=1; older ones ignore it.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  std::uint64_t usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 +
                       static_cast<std::uint64_t>(now.tv_nsec) / 1000;
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", static_cast<unsigned long long>(usec));
}

void ServiceNotifier::Stopping() { sd_notify(0, "STOPPING=1"); }

void ServiceNotifier::Status(const std::string& text) { sd_notifyf(0, "STATUS=%s", text.c_str()); }

void ServiceNotifier::WatchdogPing() { sd_notify(0, "WATCHDOG=1"); }

}  // namespace newsmon
