// Where the daemon's log lines go and how they look: plain text for a terminal,
// priority-prefixed text without a timestamp under systemd (journald adds its own), or
// one JSON object per line for log shippers.
#pragma once

#include <string>

#include "core/status.h"

namespace newsmon {

enum class LogFormat { kAuto, kText, kJournal, kJson };

Result<LogFormat> ParseLogFormat(const std::string& name);
// kAuto picks kJournal when stderr is connected to the journal (JOURNAL_STREAM).
void SetUpLogging(LogFormat format);

}  // namespace newsmon
