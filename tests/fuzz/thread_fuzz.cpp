// The thread compiler: a thread file as a reload reads it on the daemon's loop, compiled and
// run once against a document, so its matching code is reached too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "classifiers/classifier.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto thread = newsmon::ParseThread(text, "fuzz.toml");
  if (!thread.ok()) return 0;
  std::vector<newsmon::ThreadDefinition> threads;
  threads.push_back(std::move(thread).value());
  auto classifier = newsmon::Classifier::Build(std::move(threads));
  if (!classifier.ok()) return 0;
  const std::string title = "Ceasefire talks resume in Geneva as strikes hit power plants";
  newsmon::Document document{title, text};
  (*classifier)->Classify(document);
  (*classifier)->Explain(document);
  return 0;
}
