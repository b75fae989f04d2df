// Labelled items for measuring threads (docs/labelling.md): the written set
// (tests/data/threads-labelled.jsonl, text inline), real news pointed at in the shared corpus
// (tests/data/news-labels.jsonl: "source" and "index", text resolved from ../shared/corpus)
// and real items from other public archives (text inline with a "cite"). Each item falls in a
// split by its date, so rules are tuned on one part and judged on another they never saw.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace newsmon {

enum class Split { kWritten, kTraining, kBlind };
const char* SplitName(Split split);  // "written", "training", "blind"

struct LabelledItem {
  std::string id;  // "news-2025/bbc-europe/2025-03-01.json#4" for corpus items
  std::string lang;
  std::string title;
  std::string summary;
  std::vector<std::string> threads;  // the threads it belongs to, sorted

  std::string corpus = "written";  // "news-2025", "news-ru" (from source), "news-uk" (cited)
  std::string source;              // corpus file relative to the corpus root; empty if inline
  int index = -1;                  // position in that file's JSON array
  std::string link;
  std::string date;       // "YYYY-MM-DD" (or "YYYY-MM" when the feed gave none); empty: written
  std::string published;  // the item's own timestamp as its feed gave it (corpus items)
  std::string decoy;      // why a negative looks like a thread: "labour-strike", "other-war", ...
  std::string reason;
  Split split = Split::kWritten;
};

// Reads JSON lines; blank lines are skipped. Errors name the file and line. Corpus items
// ("source" without "title") come back without text: see ResolveCorpusText.
Result<std::vector<LabelledItem>> ReadLabelledItems(const std::string& path);

// One item of a corpus file, as the daemon would see it (plain text).
struct CorpusEntry {
  std::string title;
  std::string link;
  std::string summary;
  std::string published;  // as the feed wrote it; may be empty
};

// Reads one corpus file (its path under the corpus root) into its items, in file order.
using CorpusReader = std::function<Result<std::vector<CorpusEntry>>(const std::string& path)>;

// The corpus's JSON files (news-2025, news-ru): an array of {"title", "link", "description"},
// title and description passed through `to_text` (the feed parser's HTML-to-text, so the
// classifier sees what the daemon would).
Result<std::vector<CorpusEntry>> ReadJsonCorpusFile(
    const std::string& path, const std::function<std::string(std::string_view)>& to_text);

// Fills the title and summary of corpus items from `corpus_root` (../shared/corpus), each
// file read once by `read`. Fails naming the item when its file cannot be read or its index
// or link does not fit, so a changed corpus is never scored as empty items.
Status ResolveCorpusText(std::vector<LabelledItem>& items, const std::string& corpus_root,
                         const CorpusReader& read);

// The first day of the blind split of the labelled real news, by the item's language
// (docs/labelling.md, "Split"). English items are blind from 2026-10-02: the English batches
// dated from 2026-03-28 (news-cited-2, news-cited-3, and `news` from 2026-07-31), run blind once
// with the third tuning's rules, became training for the fourth, and a fifth batch of
// 2026-10-02 to 10-09 (news-cited-4) judges it. Every other item (Ukrainian, Russian, the odd
// other language, or none given) stays blind from 2025-11-23: no newer Ukrainian or Russian news
// could be found, and nobody has tuned on those items.
inline constexpr char kBlindFromEnglish[] = "2026-10-02";
inline constexpr char kBlindFrom[] = "2025-11-23";

// Puts each dated item in the training or the blind split: blind when dated on or after its
// language's cut (kBlindFromEnglish for `lang` "en", else kBlindFrom; a month without a day counts
// as its last day), in any corpus.
// Undated (written) items stay kWritten. Returns a line saying where the cuts fall, then one per
// corpus and cut, with the languages under it
// ("news-ru (lv, ru): blind from 2025-11-23, 163 of 1191 items, 13 of 50 dates").
std::vector<std::string> AssignSplits(std::vector<LabelledItem>& items);

// The old split, kept for the story labels (bench/eval-stories, docs/stories.md), which were
// judged on it: per corpus, the latest third of its distinct dates is blind. Returns one line
// per corpus ("news-2025: blind from 2025-09-09, 10 of 30 dates").
std::vector<std::string> AssignSplitsByThirds(std::vector<LabelledItem>& items);

}  // namespace newsmon
