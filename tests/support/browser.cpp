#include "tests/support/browser.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <httplib.h>
#include <fstream>
#include <stdexcept>

#include "tests/support/wait.h"

namespace newsmon::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// chromedriver picks a free port for --port=0 and says which once it listens.
int DriverPort(Process& driver) {
  const std::string said = "started successfully on port ";
  if (!WaitUntil([&] { return driver.Stdout().find(said) != std::string::npos; }, 30s)) {
    throw std::runtime_error("chromedriver did not start: " + driver.Stdout() + driver.Stderr());
  }
  const std::string out = driver.Stdout();
  return std::stoi(out.substr(out.find(said) + said.size()));
}

std::string DecodeBase64(const std::string& text) {
  std::string bytes(text.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  if (length < 0) throw std::runtime_error("chromedriver sent a screenshot that is not base64");
  // EVP_DecodeBlock counts the padding's bytes as data.
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  bytes.resize(static_cast<std::size_t>(length) - padding);
  return bytes;
}

}  // namespace

std::string FindChromium() {
  const std::string chromium = FindProgram("chromium");
  return chromium.empty() ? FindProgram("chromium-browser") : chromium;
}
std::string FindChromeDriver() { return FindProgram("chromedriver"); }

Browser::Browser(const TempDir& dir, int width, int height)
    : driver_(Process::Program({FindChromeDriver(), "--port=0"})) {
  client_ = std::make_unique<httplib::Client>("127.0.0.1", DriverPort(*driver_));
  // Starting Chromium on a cold machine takes seconds; loading a page may too. A call that
  // hangs fails in 20 s, so a test fails with its message inside CTest's timeout.
  client_->set_read_timeout(20, 0);
  const json options = {
      {"binary", FindChromium()},
      {"args",
       {"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--user-data-dir=" + dir.File("chromium"),
        "--window-size=" + std::to_string(width) + "," + std::to_string(height)}}};
  const json created = Call(
      "POST", "/session", {{"capabilities", {{"alwaysMatch", {{"goog:chromeOptions", options}}}}}});
  session_ = created.at("sessionId").get<std::string>();
}

Browser::~Browser() {
  if (!session_.empty()) {
    try {
      Call("DELETE", "/session/" + session_);
    } catch (const std::exception&) {
      // Chromium is gone already; the driver is stopped below either way.
    }
  }
  driver_->Signal(SIGTERM);
  driver_->Wait(10s);
}

void Browser::Open(const std::string& url) {
  Call("POST", "/session/" + session_ + "/url", {{"url", url}});
}

std::string Browser::Title() {
  return Call("GET", "/session/" + session_ + "/title").get<std::string>();
}

std::string Browser::Html() {
  return Call("POST", "/session/" + session_ + "/execute/sync",
              {{"script", "return document.documentElement.outerHTML;"}, {"args", json::array()}})
      .get<std::string>();
}

bool Browser::WaitForHtml(const std::function<bool(const std::string&)>& shown,
                          std::chrono::milliseconds timeout) {
  return WaitUntil([&] { return shown(Html()); }, timeout);
}

void Browser::SavePng(const std::string& path) {
  const std::string png =
      DecodeBase64(Call("GET", "/session/" + session_ + "/screenshot").get<std::string>());
  std::ofstream(path, std::ios::binary) << png;
}

json Browser::Call(const std::string& method, const std::string& path, const json& body) {
  httplib::Result response = method == "GET" ? client_->Get(path.c_str())
                             : method == "DELETE"
                                 ? client_->Delete(path.c_str())
                                 : client_->Post(path.c_str(), body.dump(), "application/json");
  if (!response) {
    throw std::runtime_error("chromedriver: " + method + " " + path + ": " +
                             httplib::to_string(response.error()));
  }
  const json answer = json::parse(response->body, nullptr, false);
  if (response->status != 200 || answer.is_discarded() || !answer.contains("value")) {
    throw std::runtime_error("chromedriver: " + method + " " + path + " answered " +
                             std::to_string(response->status) + ": " + response->body);
  }
  return answer["value"];
}

}  // namespace newsmon::testing
