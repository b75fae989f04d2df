#include "daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace newsmon {
namespace {

// sd-daemon(3) priority prefixes: journald reads "<3>" as "err" and strips it.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    static constexpr const char* kPrefixes[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const char* prefix = kPrefixes[static_cast<int>(message.level)];
    out.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

// The message as a JSON string literal, so a feed title with quotes cannot break a line.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    std::string text(message.payload.data(), message.payload.size());
    std::string quoted =
        nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out.append(quoted.data(), quoted.data() + quoted.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// JOURNAL_STREAM holds "device:inode" of the journal's stream; it only counts when it is
// still our stderr (a child of a journald-run shell inherits the variable).
bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat info {};
  if (!stream || fstat(2, &info) != 0) return false;
  std::string expected = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
  return expected == stream;
}

std::unique_ptr<spdlog::formatter> MakeFormatter(LogFormat format) {
  // UTC for JSON so the "Z" in its timestamps is true.
  auto formatter = std::make_unique<spdlog::pattern_formatter>(
      format == LogFormat::kJson ? spdlog::pattern_time_type::utc
                                 : spdlog::pattern_time_type::local);
  switch (format) {
    case LogFormat::kJournal:
      formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
      break;
    case LogFormat::kJson:
      formatter->add_flag<JsonMessageFlag>('*').set_pattern(
          R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","message":%*})");
      break;
    default:
      formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  return formatter;
}

}  // namespace

Result<LogFormat> ParseLogFormat(const std::string& name) {
  if (name == "auto") return LogFormat::kAuto;
  if (name == "text") return LogFormat::kText;
  if (name == "journal") return LogFormat::kJournal;
  if (name == "json") return LogFormat::kJson;
  return Status::Error("unknown log format '" + name + "' (auto, text, journal or json)");
}

void SetUpLogging(LogFormat format) {
  if (format == LogFormat::kAuto)
    format = StderrIsJournal() ? LogFormat::kJournal : LogFormat::kText;
  std::shared_ptr<spdlog::logger> logger = format == LogFormat::kText
                                               ? spdlog::stderr_color_mt("newsmon")
                                               : spdlog::stderr_logger_mt("newsmon");
  logger->set_formatter(MakeFormatter(format));
  spdlog::set_default_logger(logger);
  if (const char* level = std::getenv("NEWSMON_LOG_LEVEL")) {
    spdlog::set_level(spdlog::level::from_str(level));
  }
}

}  // namespace newsmon
