#include "core/curl_multi.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/feed_server.h"

namespace newsmon::testing {
namespace {

using std::chrono::milliseconds;

Resource Body(std::string body) {
  Resource resource;
  resource.body = std::move(body);
  return resource;
}

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

EasyHandle Get(const std::string& url) {
  EasyHandle easy(curl_easy_init());
  REQUIRE(easy);
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, Discard);
  return easy;
}

std::unique_ptr<CurlMulti> Driver(long budget) {
  auto driver = CurlMulti::Create(budget);
  REQUIRE(driver.ok());
  return std::move(driver).value();
}

// Waits in the driver until `count` callbacks have run, or 10 s.
void WaitForDone(CurlMulti& driver, const std::vector<std::string>& done, std::size_t count) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::vector<WaitFd> none;
  while (done.size() < count && std::chrono::steady_clock::now() < give_up) {
    REQUIRE(driver.Wait(none, milliseconds(100)).ok());
  }
  REQUIRE(done.size() == count);
}

TEST_CASE("bulk transfers beyond their share wait in the driver, a prompt one starts at once") {
  FeedServer server;
  Resource slow = Body("slow");
  slow.delay = milliseconds(200);  // far longer than the prompt transfer takes
  server.Serve("/slow", slow);
  server.Serve("/fast", Body("fast"));
  auto driver = Driver(5);  // a reserve of 4: one bulk transfer at a time
  REQUIRE(driver->bulk_limit() == 1);

  std::vector<std::string> done;
  std::vector<EasyHandle> feeds;
  for (int i = 0; i < 3; ++i) {
    feeds.push_back(Get(server.Url("/slow")));
    REQUIRE(driver
                ->Add(feeds.back().get(), CurlLane::kBulk,
                      [&done](CURLcode result) {
                        CHECK(result == CURLE_OK);
                        done.push_back("feed");
                      })
                .ok());
  }
  EasyHandle webhook = Get(server.Url("/fast"));
  REQUIRE(driver
              ->Add(webhook.get(), CurlLane::kPrompt,
                    [&done](CURLcode result) {
                      CHECK(result == CURLE_OK);
                      done.push_back("webhook");
                    })
              .ok());
  CHECK(driver->in_curl() == 2);
  CHECK(driver->queued() == 2);

  WaitForDone(*driver, done, 1);
  CHECK(done[0] == "webhook");  // not behind the three feeds' 0.6 s
  WaitForDone(*driver, done, 4);
  CHECK(driver->in_curl() == 0);
  CHECK(driver->queued() == 0);
  CHECK(server.HitCount("/slow") == 3);
}

TEST_CASE("however many descriptors allow, at most 256 feed transfers are in curl at once") {
  // Each holds its body until the loop parses it: the cap bounds that memory.
  CHECK(Driver(200)->bulk_limit() == 188);  // the budget less its reserve of 12
  CHECK(Driver(30000)->bulk_limit() == 256);
}

TEST_CASE("Remove takes a transfer back, queued or running, and its callback never runs") {
  FeedServer server;
  server.Serve("/feed", Body("x"));
  auto driver = Driver(5);
  EasyHandle running = Get(server.Url("/feed"));
  EasyHandle queued = Get(server.Url("/feed"));
  bool called = false;
  REQUIRE(driver->Add(running.get(), CurlLane::kBulk, [&](CURLcode) { called = true; }).ok());
  REQUIRE(driver->Add(queued.get(), CurlLane::kBulk, [&](CURLcode) { called = true; }).ok());
  REQUIRE(driver->queued() == 1);
  driver->Remove(queued.get());
  driver->Remove(running.get());
  driver->Remove(running.get());  // unknown by now: ignored
  CHECK(driver->in_curl() == 0);
  CHECK(driver->queued() == 0);
  std::vector<WaitFd> none;
  REQUIRE(driver->Wait(none, milliseconds(0)).ok());
  CHECK_FALSE(called);
}

TEST_CASE("a handle curl refuses is an error at Add, and nothing is queued") {
  auto driver = Driver(0);  // no budget: no bulk limit either
  CHECK(driver->bulk_limit() == 0);
  EasyHandle easy = Get("http://127.0.0.1:1/");
  REQUIRE(driver->Add(easy.get(), CurlLane::kBulk, [](CURLcode) {}).ok());
  Status again = driver->Add(easy.get(), CurlLane::kPrompt, [](CURLcode) {});
  CHECK_FALSE(again.ok());
  CHECK(again.message() == curl_multi_strerror(CURLM_ADDED_ALREADY));
  CHECK(driver->in_curl() == 1);
  driver->Remove(easy.get());
}

}  // namespace
}  // namespace newsmon::testing
