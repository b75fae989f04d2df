// Tells systemd how the service is doing (sd_notify): ready, reloading, stopping, a
// one-line status, and watchdog pings. Without NOTIFY_SOCKET every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace newsmon {

class ServiceNotifier {
 public:
  ServiceNotifier();

  void Ready();
  void Reloading();
  void Stopping();
  void Status(const std::string& text);
  void WatchdogPing();
  // How often to ping: half of WatchdogSec, or nullopt when no watchdog is set.
  std::optional<std::chrono::milliseconds> watchdog_interval() const { return watchdog_interval_; }

 private:
  std::optional<std::chrono::milliseconds> watchdog_interval_;
};

}  // namespace newsmon
