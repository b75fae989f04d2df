#include "tests/support/daemon_runner.h"

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "tests/support/wait.h"

namespace newsmon::testing {

DaemonRunner::DaemonRunner(Config config, Env& env) {
  auto daemon = Daemon::Create(std::move(config), {}, env);
  if (!daemon.ok()) throw std::runtime_error("daemon did not start: " + daemon.status().message());
  daemon_ = std::move(daemon).value();
  thread_ = std::thread([this] { run_status_ = daemon_->Run(-1); });
}

DaemonRunner::~DaemonRunner() { Stop(); }

void DaemonRunner::Stop() {
  if (!thread_.joinable()) return;
  daemon_->Stop();
  thread_.join();
}

struct LogCapture::Impl {
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10000);
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
};

LogCapture::LogCapture() : impl_(std::make_unique<Impl>()) {
  auto logger = std::make_shared<spdlog::logger>(
      "test",
      spdlog::sinks_init_list{impl_->sink, std::make_shared<spdlog::sinks::stderr_sink_mt>()});
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() { spdlog::set_default_logger(impl_->previous); }

std::vector<std::string> LogCapture::Lines() const { return impl_->sink->last_formatted(); }

bool LogCapture::Contains(const std::string& text) const {
  for (const std::string& line : Lines()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

bool LogCapture::WaitFor(const std::string& text) const {
  return WaitUntil([&] { return Contains(text); });
}

}  // namespace newsmon::testing
