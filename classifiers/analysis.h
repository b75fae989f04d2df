// An item's text read once for everything that reads words: tokenised, its language
// detected from title and summary together, and every token stemmed. The classifier and the
// story clusterer both take one, so an item is tokenised once at ingest; each tokenising on
// its own was the largest part of what stories cost (docs/stories.md, "Cost at ingest").
#pragma once

#include <memory>
#include <string_view>

namespace newsmon {

namespace text {
struct AnalysedText;  // classifiers/text_internal.h
}

struct Document {
  std::string_view title;
  std::string_view summary;
};

class Analysis {
 public:
  explicit Analysis(const Document& document);
  ~Analysis();
  Analysis(Analysis&&) noexcept;
  Analysis& operator=(Analysis&&) noexcept;

  const text::AnalysedText& text() const { return *text_; }

 private:
  std::unique_ptr<text::AnalysedText> text_;
};

}  // namespace newsmon
