#include "core/status.h"

namespace newsmon {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kFailed:
      return "failed";
    case StatusCode::kInvalidInput:
      return "invalid input";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kIoError:
      return "I/O error";
    case StatusCode::kBusy:
      return "busy";
  }
  return "unknown";
}

}  // namespace newsmon
