// What the thread-measuring tools (eval-threads, eval-learned) read by default, and how they
// build a classifier from thread files: one place, so the tools measure the same things.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "classifiers/classifier.h"
#include "core/status.h"

namespace newsmon::bench {

// The labelled real news of tests/data that exist in this checkout: news-cited.jsonl (English
// items of January to March 2026), news-cited-2.jsonl and news-cited-3.jsonl (English items of
// 2026-03-28 to 10-01; training since the English cut moved to 2026-10-02) and
// news-cited-4.jsonl (English items of 2026-10-02 to 10-09, blind; docs/labelling.md).
inline std::vector<std::string> DefaultLabelFiles() {
  std::vector<std::string> files;
  for (const char* name : {"news-labels.jsonl", "news-uk.jsonl", "news-cited.jsonl",
                           "news-cited-2.jsonl", "news-cited-3.jsonl", "news-cited-4.jsonl"}) {
    const std::string path = std::string(NEWSMON_SOURCE_DIR "/tests/data/") + name;
    if (std::filesystem::exists(path)) files.push_back(path);
  }
  return files;
}

// The three default threads of config/threads.
inline std::vector<std::string> DefaultThreadFiles() {
  std::vector<std::string> files;
  for (const char* name : {"talks", "truces", "energy-strikes"}) {
    files.push_back(std::string(NEWSMON_SOURCE_DIR "/config/threads/") + name + ".toml");
  }
  return files;
}

inline Result<std::shared_ptr<const Classifier>> LoadClassifier(
    const std::vector<std::string>& files) {
  std::vector<ThreadDefinition> threads;
  for (const std::string& file : files) {
    auto thread = LoadThreadFile(file);
    if (!thread.ok()) return thread.status();
    threads.push_back(std::move(thread).value());
  }
  return Classifier::Build(std::move(threads));
}

}  // namespace newsmon::bench
