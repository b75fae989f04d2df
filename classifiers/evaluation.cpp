#include "classifiers/evaluation.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace newsmon {

namespace {

double Ratio(int numerator, int denominator, double if_empty) {
  return denominator == 0 ? if_empty : static_cast<double>(numerator) / denominator;
}

}  // namespace

Evaluation Evaluate(const Classifier& classifier, const std::vector<LabelledItem>& items,
                    const DetectionCost& cost) {
  Evaluation evaluation;
  evaluation.items = items.size();
  std::map<std::string, size_t> index;
  for (const ThreadDefinition& thread : classifier.threads()) {
    index.emplace(thread.id, evaluation.threads.size());
    evaluation.threads.push_back({});
    evaluation.threads.back().thread = thread.id;
  }
  std::set<std::string> unknown;
  std::map<std::string, DecoyScores> decoys;
  for (const LabelledItem& item : items) {
    const std::size_t errors_before = evaluation.errors.size();
    std::map<std::string, const ThreadMatch*> matched;
    std::vector<ThreadMatch> matches = classifier.Classify({item.title, item.summary});
    for (const ThreadMatch& match : matches) matched[match.thread] = &match;
    for (const std::string& label : item.threads) {
      if (!index.contains(label)) unknown.insert(label);
    }
    for (ThreadScores& scores : evaluation.threads) {
      const bool labelled =
          std::binary_search(item.threads.begin(), item.threads.end(), scores.thread);
      auto found = matched.find(scores.thread);
      const bool predicted = found != matched.end();
      if (labelled && predicted) ++scores.true_positives;
      if (!labelled && !predicted) ++scores.true_negatives;
      if (labelled && !predicted) {
        ++scores.false_negatives;
        Misclassification miss{&item, scores.thread, true, std::nullopt,
                               "no term of the thread occurs"};
        for (ThreadExplanation& explanation : classifier.Explain({item.title, item.summary})) {
          if (explanation.match.thread != scores.thread) continue;
          miss.reason = explanation.reason;
          miss.match = std::move(explanation.match);
        }
        evaluation.errors.push_back(std::move(miss));
      }
      if (!labelled && predicted) {
        ++scores.false_positives;
        evaluation.errors.push_back({&item, scores.thread, false, *found->second, ""});
      }
    }
    if (!item.decoy.empty()) {
      DecoyScores& decoy = decoys[item.decoy];
      decoy.decoy = item.decoy;
      ++decoy.items;
      const bool false_alarm = std::any_of(
          evaluation.errors.begin() + static_cast<std::ptrdiff_t>(errors_before),
          evaluation.errors.end(), [](const Misclassification& e) { return !e.missed; });
      if (false_alarm) ++decoy.false_alarms;
    }
  }
  for (auto& [name, scores] : decoys) evaluation.decoys.push_back(scores);
  const double norm = std::min(cost.miss * cost.target, cost.false_alarm * (1 - cost.target));
  for (ThreadScores& s : evaluation.threads) {
    const int labelled = s.true_positives + s.false_negatives;
    const int predicted = s.true_positives + s.false_positives;
    s.precision = Ratio(s.true_positives, predicted, labelled == 0 ? 1.0 : 0.0);
    s.recall = Ratio(s.true_positives, labelled, 1.0);
    s.f1 = s.precision + s.recall == 0 ? 0 : 2 * s.precision * s.recall / (s.precision + s.recall);
    s.p_miss = Ratio(s.false_negatives, labelled, 0.0);
    s.p_false_alarm = Ratio(s.false_positives, s.false_positives + s.true_negatives, 0.0);
    const double c_det =
        cost.miss * s.p_miss * cost.target + cost.false_alarm * s.p_false_alarm * (1 - cost.target);
    s.normalized_cost = c_det / norm;
  }
  evaluation.unknown_threads.assign(unknown.begin(), unknown.end());
  return evaluation;
}

std::string FormatEvaluation(const Evaluation& evaluation, bool with_errors) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%zu labelled items\n", evaluation.items);
  out += line;
  std::snprintf(line, sizeof line, "%-20s %5s %5s %5s %5s  %9s %6s %6s %8s\n", "thread", "TP", "FP",
                "FN", "TN", "precision", "recall", "F1", "Cdet");
  out += line;
  for (const ThreadScores& s : evaluation.threads) {
    std::snprintf(line, sizeof line, "%-20s %5d %5d %5d %5d  %9.3f %6.3f %6.3f %8.4f\n",
                  s.thread.c_str(), s.true_positives, s.false_positives, s.false_negatives,
                  s.true_negatives, s.precision, s.recall, s.f1, s.normalized_cost);
    out += line;
  }
  for (const DecoyScores& decoy : evaluation.decoys) {
    std::snprintf(line, sizeof line,
                  "hard negatives %-16s %4d items, %3d false alarms, %5.1f%% kept silent\n",
                  decoy.decoy.c_str(), decoy.items, decoy.false_alarms,
                  100.0 * (decoy.items - decoy.false_alarms) / decoy.items);
    out += line;
  }
  for (const std::string& thread : evaluation.unknown_threads) {
    out += "warning: items are labelled with '" + thread + "', which no thread file defines\n";
  }
  if (!with_errors) return out;
  for (const Misclassification& error : evaluation.errors) {
    out += "\n" + std::string(error.missed ? "MISSED " : "FALSE ALARM ") + error.thread + ": " +
           error.item->id + " [" + error.item->lang + "]\n  title:   " + error.item->title +
           "\n  summary: " + error.item->summary + "\n";
    if (!error.item->reason.empty()) {
      out += "  label:   " + error.item->reason +
             (error.item->decoy.empty() ? "" : " (" + error.item->decoy + ")") + "\n";
    }
    if (!error.reason.empty()) out += "  why: " + error.reason + "\n";
    if (error.match) {
      std::snprintf(line, sizeof line, "  score %.2f / threshold %.2f:", error.match->score,
                    error.match->threshold);
      out += line;
      for (const MatchedTerm& hit : error.match->evidence) {
        std::snprintf(line, sizeof line, " %s@%s:%d=%g", hit.term.c_str(), hit.field.c_str(),
                      hit.position, hit.weight);
        out += line;
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace newsmon
