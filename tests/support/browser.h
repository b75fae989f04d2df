// Debian's headless Chromium driven through chromedriver's W3C WebDriver protocol, so a
// browser test waits on what the page shows, with a deadline, instead of sleeping and hoping
// the page has loaded (Chromium's --dump-dom printed nothing at all when a cold machine took
// longer to start it than the test slept: CI, 2026-12-06).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace httplib {
class Client;
}

namespace newsmon::testing {

// Where Debian installs them, looked up on PATH; "" when missing.
std::string FindChromium();
std::string FindChromeDriver();

// One headless Chromium window. Failures throw std::runtime_error with the driver's own
// message, which Catch prints.
class Browser {
 public:
  // Starts chromedriver and a Chromium session with its profile under `dir`.
  Browser(const TempDir& dir, int width = 1200, int height = 800);
  ~Browser();  // closes the session, which quits Chromium, then stops the driver
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  void Open(const std::string& url);  // returns once the page has loaded
  std::string Title();
  std::string Html();  // the document as it stands now, serialised
  // True once `shown(Html())` holds; false at the deadline.
  bool WaitForHtml(const std::function<bool(const std::string&)>& shown,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void SavePng(const std::string& path);

 private:
  // The response's "value"; `body` null sends no body.
  nlohmann::json Call(const std::string& method, const std::string& path,
                      const nlohmann::json& body = nullptr);

  std::unique_ptr<Process> driver_;
  std::unique_ptr<httplib::Client> client_;
  std::string session_;
};

}  // namespace newsmon::testing
