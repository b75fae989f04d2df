// Measuring threads against a labelled set (tests/data/threads-labelled.jsonl): per-thread
// precision, recall, F1 and the TDT detection cost, plus every misclassified item. Used by
// bench/eval-threads and by classifier_test.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "classifiers/classifier.h"
#include "classifiers/labelled_set.h"
#include "core/item.h"
#include "core/status.h"

namespace newsmon {

// TDT detection cost parameters (Fiscus & Doddington): Cmiss, Cfa, Ptarget.
struct DetectionCost {
  double miss = 1.0;
  double false_alarm = 0.1;
  double target = 0.02;
};

struct ThreadScores {
  std::string thread;
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;
  int true_negatives = 0;
  double precision = 0;  // 1 when the thread matched nothing and nothing was labelled
  double recall = 0;     // 1 when nothing was labelled
  double f1 = 0;
  double p_miss = 0;
  double p_false_alarm = 0;
  // Cmiss·Pmiss·Ptarget + Cfa·Pfa·(1−Ptarget), divided by min(Cmiss·Ptarget, Cfa·(1−Ptarget)):
  // 0 is perfect, 1 is no better than always (or never) answering yes.
  double normalized_cost = 0;
};

struct Misclassification {
  const LabelledItem* item = nullptr;
  std::string thread;
  bool missed = false;               // labelled but not matched; else a false alarm
  std::optional<ThreadMatch> match;  // the match (false alarm) or the near miss, with evidence
  std::string reason;                // why a missed item did not match
};

// Hard negatives of one kind (LabelledItem::decoy): how many there were and on how many some
// thread raised a false alarm.
struct DecoyScores {
  std::string decoy;
  int items = 0;
  int false_alarms = 0;
};

struct Evaluation {
  std::size_t items = 0;
  std::vector<DecoyScores> decoys;    // by kind, sorted
  std::vector<ThreadScores> threads;  // in the classifier's thread order
  std::vector<Misclassification> errors;
  std::vector<std::string> unknown_threads;  // labels naming no thread of the classifier
};

// `items` must outlive the result (errors point into it).
Evaluation Evaluate(const Classifier& classifier, const std::vector<LabelledItem>& items,
                    const DetectionCost& cost = {});

// A table of the scores and one paragraph per misclassified item with its evidence.
std::string FormatEvaluation(const Evaluation& evaluation, bool with_errors = true);

}  // namespace newsmon
