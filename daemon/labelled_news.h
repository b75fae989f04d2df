// Labelled real news with its text, for measuring and tuning threads (docs/labelling.md): used
// by bench/eval-threads and `newsmon suggest-terms`.
#pragma once

#include <string>
#include <vector>

#include "classifiers/labelled_set.h"
#include "core/status.h"

namespace newsmon {

struct LabelledNews {
  std::vector<LabelledItem> items;
  std::vector<std::string> cuts;  // where each corpus's blind split starts (AssignSplits)
};

// Reads the label files, fills the text of corpus items from `corpus_root` (feed files through
// the feed parser, the corpus's JSON arrays through HtmlToText, so the text is what the daemon
// would classify) and assigns each item its split.
Result<LabelledNews> LoadLabelledNews(const std::vector<std::string>& label_files,
                                      const std::string& corpus_root);

}  // namespace newsmon
