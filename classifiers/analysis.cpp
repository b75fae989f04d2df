#include "classifiers/analysis.h"

#include "classifiers/text_internal.h"

namespace newsmon {

Analysis::Analysis(const Document& document)
    : text_(std::make_unique<text::AnalysedText>(text::Analyse(document.title, document.summary))) {
}

Analysis::~Analysis() = default;
Analysis::Analysis(Analysis&&) noexcept = default;
Analysis& Analysis::operator=(Analysis&&) noexcept = default;

}  // namespace newsmon
