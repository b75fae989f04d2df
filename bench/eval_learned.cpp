// eval-learned: does a learned scorer add recall at equal precision to the rule-based threads?
//   eval-learned [--labelled FILE]... [--corpus DIR] [--with-written] [--written FILE]
//                [--jobs N] [--quick] [--blind] [THREAD_FILE...]
// Trains fastText supervised models (libfasttext 0.9.2) on the training split of the labelled
// real news (docs/labelling.md) and compares, per thread, in all languages, English and
// Ukrainian/Russian:
//   - the rules alone (the thread files, read at run time);
//   - the model alone, at p >= 0.5 and at the threshold with the most recall whose precision
//     is not below the rules';
//   - rules OR (model p >= t), t chosen the same way.
// Everything is chosen by 5-fold cross-validation inside the training split: the
// hyper-parameters (a small grid, two stages), one multi-label model or a binary model per
// thread, and the thresholds. Folds hold whole weeks, so one story told by several outlets over
// a few days does not sit on both sides of a fold. The table also shows the OR with t chosen on
// the other four folds only: choosing t on the very predictions it is scored on flatters it.
// --with-written adds tests/data/threads-labelled.jsonl to every training set (never scored).
// --blind trains on the whole training split with the chosen settings and reports the blind
// split; without it blind items are dropped as soon as they are loaded. --quick runs one small
// configuration (a smoke test). Output is deterministic (one fastText thread, fixed seeds,
// folds by date); the run time goes to stderr.
#include <fasttext/fasttext.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/labelled_inputs.h"
#include "classifiers/classifier.h"
#include "classifiers/labelled_set.h"
#include "classifiers/text_internal.h"
#include "daemon/labelled_news.h"

namespace {

// ctest reads this as "skipped" (SKIP_RETURN_CODE), not as a pass.
constexpr int kSkipped = 77;

using namespace newsmon;

constexpr int kFolds = 5;
constexpr int kSeed = 1729;                          // fastText's and the training-line shuffle's
constexpr double kNever = 2.0;                       // a threshold no probability reaches
constexpr int kThresholdSteps = 20;                  // thresholds 0.05, 0.10 ... 0.95
constexpr const char* kNoThread = "__label___none";  // '_' is not allowed in thread ids

struct Options {
  std::vector<std::string> labelled;
  std::string written = NEWSMON_SOURCE_DIR "/tests/data/threads-labelled.jsonl";
  std::string corpus = NEWSMON_SOURCE_DIR "/../shared/corpus";
  std::vector<std::string> thread_files;
  bool with_written = false;
  bool blind = false;
  bool quick = false;
  int jobs = 2;
};

int Usage(const char* program, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s [--labelled FILE]... [--corpus DIR] [--with-written] [--written FILE] "
               "[--jobs N] [--quick] [--blind] [THREAD_FILE...]\n",
               program);
  return code;
}

void AddDefaults(Options& options) {
  if (options.labelled.empty()) options.labelled = bench::DefaultLabelFiles();
  if (options.thread_files.empty()) options.thread_files = bench::DefaultThreadFiles();
}

bool ParseArguments(int argc, char** argv, Options& options, int& exit_code) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--labelled" && has_value) {
      options.labelled.push_back(argv[++i]);
    } else if (arg == "--written" && has_value) {
      options.written = argv[++i];
    } else if (arg == "--corpus" && has_value) {
      options.corpus = argv[++i];
    } else if (arg == "--jobs" && has_value) {
      options.jobs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--with-written") {
      options.with_written = true;
    } else if (arg == "--blind") {
      options.blind = true;
    } else if (arg == "--quick") {
      options.quick = true;
    } else if (arg.starts_with("-")) {
      exit_code = Usage(argv[0], arg == "--help" || arg == "-h" ? 0 : 2);
      return false;
    } else {
      options.thread_files.push_back(arg);
    }
  }
  AddDefaults(options);
  return true;
}

// ---- Examples ----

// One labelled item as the models and the rules see it.
struct Example {
  std::string text;  // what fastText reads: normalised words of title and summary
  std::string lang;
  std::vector<bool> labelled;  // per thread, in the classifier's order
  std::vector<bool> rules;     // per thread: the rules matched
  int fold = -1;               // -1: training data only (the written set), never scored
};

// Title and summary as normalised lowercase words joined by spaces, through the classifier's
// own tokeniser, so model and rules read the same words ("перемир’я" = "перемир'я"). fastText
// splits on the spaces; its subword n-grams then cover Ukrainian and Russian endings.
std::string ModelText(const LabelledItem& item) {
  std::string text;
  for (const std::string* field : {&item.title, &item.summary}) {
    for (const std::string& word : text::Tokenize(*field).Words()) {
      if (!text.empty()) text += ' ';
      text += word;
    }
  }
  return text;
}

Example MakeExample(const LabelledItem& item, const Classifier& classifier, int fold) {
  Example example{ModelText(item), item.lang, {}, {}, fold};
  const std::vector<ThreadMatch> matches = classifier.Classify({item.title, item.summary});
  for (const ThreadDefinition& thread : classifier.threads()) {
    example.labelled.push_back(std::ranges::find(item.threads, thread.id) != item.threads.end());
    example.rules.push_back(std::ranges::any_of(
        matches, [&](const ThreadMatch& match) { return match.thread == thread.id; }));
  }
  return example;
}

// The week of a "YYYY-MM-DD" date; a month-only date ("YYYY-MM") is a group of its own.
std::string WeekOf(const std::string& date) {
  int y = 0, m = 0, d = 0;
  if (std::sscanf(date.c_str(), "%d-%d-%d", &y, &m, &d) != 3) return date;
  const std::chrono::year_month_day day{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!day.ok()) return date;
  const long days = std::chrono::sys_days{day}.time_since_epoch().count();
  char key[32];
  std::snprintf(key, sizeof key, "week %08ld", days / 7);
  return key;
}

// Folds by week, weeks dealt round-robin in date order, so each fold spans the whole period
// and a story's run over a few days (often one event in several outlets) stays in one fold.
std::map<std::string, int> FoldsByWeek(const std::vector<const LabelledItem*>& items) {
  std::map<std::string, int> folds;
  for (const LabelledItem* item : items) folds.emplace(WeekOf(item->date), 0);
  int next = 0;
  for (auto& [week, fold] : folds) fold = next++ % kFolds;
  return folds;
}

std::vector<Example> TrainingExamples(const std::vector<LabelledItem>& news,
                                      const Classifier& classifier) {
  std::vector<const LabelledItem*> training;
  for (const LabelledItem& item : news) {
    if (item.split == Split::kTraining) training.push_back(&item);
  }
  const std::map<std::string, int> folds = FoldsByWeek(training);
  std::vector<Example> examples;
  for (const LabelledItem* item : training) {
    examples.push_back(MakeExample(*item, classifier, folds.at(WeekOf(item->date))));
  }
  return examples;
}

std::vector<Example> ExamplesOf(const std::vector<LabelledItem>& items, Split split,
                                const Classifier& classifier) {
  std::vector<Example> examples;
  for (const LabelledItem& item : items) {
    if (item.split == split) examples.push_back(MakeExample(item, classifier, 0));
  }
  return examples;
}

// ---- fastText ----

enum class Layout { kMultiLabel, kBinary };

struct ModelConfig {
  Layout layout = Layout::kMultiLabel;
  int epoch = 25;
  double lr = 0.5;
  int word_ngrams = 2;
  int minn = 3;
  int maxn = 5;
  int dim = 50;
};

std::string Describe(const ModelConfig& config) {
  char text[160];
  std::snprintf(text, sizeof text, "%-6s epoch %2d lr %.2f wordNgrams %d minn/maxn %d/%d dim %3d",
                config.layout == Layout::kMultiLabel ? "multi" : "binary", config.epoch, config.lr,
                config.word_ngrams, config.minn, config.maxn, config.dim);
  return text;
}

fasttext::Args MakeArgs(const ModelConfig& config, const std::string& input) {
  fasttext::Args args;
  args.input = input;
  args.model = fasttext::model_name::sup;
  // One-vs-all scores each thread on its own, so an item can belong to several; a binary
  // model has two labels, where softmax is the logistic.
  args.loss = config.layout == Layout::kMultiLabel ? fasttext::loss_name::ova
                                                   : fasttext::loss_name::softmax;
  args.epoch = config.epoch;
  args.lr = config.lr;
  args.wordNgrams = config.word_ngrams;
  args.minn = config.minn;
  args.maxn = config.maxn;
  args.dim = config.dim;
  args.minCount = 1;  // what `fasttext supervised` sets; Args() defaults to unsupervised's 5
  // The default 2M hash buckets × dim floats is 400 MB per model, for a few thousand items.
  args.bucket = config.word_ngrams > 1 || config.maxn > 0 ? 200000 : 0;
  args.thread = 1;  // more threads make the result depend on scheduling
  args.seed = kSeed;
  args.verbose = 0;
  return args;
}

// fastText reports bad input (an empty file, no labels) by throwing.
Result<std::unique_ptr<fasttext::FastText>> TrainModel(const fasttext::Args& args) {
  auto model = std::make_unique<fasttext::FastText>();
  try {
    model->train(args);
  } catch (const std::exception& error) {
    return Status::Error("fastText training on " + args.input + ": " + error.what());
  }
  return model;
}

// Each label's probability for one text. 0.9.2's predictLine exponentiates the log
// probabilities predict() works with; one-vs-all sigmoids can pass 1 by a rounding error.
Result<std::map<std::string, double>> Predict(const fasttext::FastText& model,
                                              const std::string& text) {
  std::vector<std::pair<fasttext::real, std::string>> predictions;
  std::istringstream line(text + "\n");
  try {
    model.predictLine(line, predictions, -1, 0.0);
  } catch (const std::exception& error) {
    return Status::Error(std::string("fastText prediction: ") + error.what());
  }
  std::map<std::string, double> probabilities;
  for (const auto& [probability, label] : predictions) {
    probabilities[label] = std::clamp(static_cast<double>(probability), 0.0, 1.0);
  }
  return probabilities;
}

// Training lines in a fixed pseudo-random order: the label files run by outlet and date, and
// SGD would learn the last outlet's days best. mt19937's sequence is fixed by the standard
// (std::shuffle's use of it is not).
std::vector<const Example*> Shuffled(std::vector<const Example*> examples) {
  std::mt19937 engine(kSeed);
  for (size_t i = examples.size(); i > 1; --i) std::swap(examples[i - 1], examples[engine() % i]);
  return examples;
}

using LabelsOf = std::function<std::string(const Example&)>;

Status WriteTrainingFile(const std::string& path, const std::vector<const Example*>& examples,
                         const LabelsOf& labels) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const Example* example : Shuffled(examples)) {
    out << labels(*example) << ' ' << example->text << '\n';
  }
  out.close();
  if (!out) return Status::Error(path + ": cannot write fastText training file");
  return Status::Ok();
}

// Per example, per thread: the model's probability that the example belongs to the thread.
using Probabilities = std::vector<std::vector<double>>;

// Trains one model on `train` labelled by `labels` and stores, for each test example, the
// probability of each (thread, label) pair into `out`.
Status TrainAndScore(const ModelConfig& config, const std::string& file,
                     const std::vector<const Example*>& train, const LabelsOf& labels,
                     const std::vector<const Example*>& test,
                     const std::vector<std::pair<size_t, std::string>>& read, Probabilities& out) {
  Status written = WriteTrainingFile(file, train, labels);
  if (!written.ok()) return written;
  auto model = TrainModel(MakeArgs(config, file));
  std::error_code ignored;  // the scratch directory goes at exit anyway
  std::filesystem::remove(file, ignored);
  if (!model.ok()) return model.status();
  for (size_t i = 0; i < test.size(); ++i) {
    auto probabilities = Predict(**model, test[i]->text);
    if (!probabilities.ok()) return probabilities.status();
    for (const auto& [thread, label] : read) {
      auto found = probabilities->find(label);
      out[i][thread] = found == probabilities->end() ? 0.0 : found->second;
    }
  }
  return Status::Ok();
}

std::string MultiLabels(const Example& example, const std::vector<std::string>& threads) {
  std::string labels;
  for (size_t t = 0; t < threads.size(); ++t) {
    if (!example.labelled[t]) continue;
    labels += (labels.empty() ? "__label__" : " __label__") + threads[t];
  }
  // fastText skips lines without a label, so the items in no thread need one of their own.
  return labels.empty() ? kNoThread : labels;
}

// Probabilities of `test` under models trained on `train`: one multi-label model, or one
// binary model per thread. `file` is a scratch path for fastText's input.
Result<Probabilities> TrainAndPredict(const ModelConfig& config,
                                      const std::vector<const Example*>& train,
                                      const std::vector<const Example*>& test,
                                      const std::vector<std::string>& threads,
                                      const std::string& file) {
  Probabilities probabilities(test.size(), std::vector<double>(threads.size(), 0.0));
  if (config.layout == Layout::kMultiLabel) {
    std::vector<std::pair<size_t, std::string>> read;
    for (size_t t = 0; t < threads.size(); ++t) read.emplace_back(t, "__label__" + threads[t]);
    auto labels = [&](const Example& example) { return MultiLabels(example, threads); };
    Status status = TrainAndScore(config, file, train, labels, test, read, probabilities);
    if (!status.ok()) return status;
    return probabilities;
  }
  for (size_t t = 0; t < threads.size(); ++t) {
    auto labels = [t](const Example& example) {
      return std::string(example.labelled[t] ? "__label__yes" : "__label__no");
    };
    Status status =
        TrainAndScore(config, file, train, labels, test, {{t, "__label__yes"}}, probabilities);
    if (!status.ok()) return status.WithContext("thread '" + threads[t] + "': ");
  }
  return probabilities;
}

// ---- Cross-validation ----

// Runs `count` tasks on `jobs` threads. Results are stored by task index, so the output does
// not depend on which thread finished first.
template <typename T>
std::vector<std::optional<T>> RunParallel(size_t count, int jobs,
                                          const std::function<T(size_t)>& task) {
  std::vector<std::optional<T>> results(count);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < count; i = next++) results[i].emplace(task(i));
  };
  {
    // Joined here, before `results` may be moved out.
    std::vector<std::jthread> workers;
    for (int j = 1; j < jobs; ++j) workers.emplace_back(worker);
    worker();
  }
  return results;
}

// A private directory for fastText's input files, removed on every way out.
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code error;
    std::string pattern =
        (std::filesystem::temp_directory_path(error) / "eval-learned.XXXXXX").string();
    if (!error && mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }  // empty: could not be created

 private:
  std::string path_;
};

struct Data {
  std::vector<Example> scored;  // the training split, each in a fold
  std::vector<Example> extra;   // more training data, never scored (the written set)
  std::vector<std::string> threads;
};

// Out-of-fold probabilities of every scored example, for each configuration.
Result<std::vector<Probabilities>> CrossValidate(const std::vector<ModelConfig>& configs,
                                                 const Data& data, int jobs,
                                                 const ScratchDir& scratch) {
  auto task = [&](size_t index) -> Result<Probabilities> {
    const int fold = static_cast<int>(index % kFolds);
    std::vector<const Example*> train, test;
    for (const Example& example : data.scored) {
      (example.fold == fold ? test : train).push_back(&example);
    }
    for (const Example& example : data.extra) train.push_back(&example);
    const std::string file = scratch.path() + "/task-" + std::to_string(index) + ".txt";
    return TrainAndPredict(configs[index / kFolds], train, test, data.threads, file);
  };
  auto results = RunParallel<Result<Probabilities>>(configs.size() * kFolds, jobs, task);
  std::vector<Probabilities> out_of_fold(configs.size(), Probabilities(data.scored.size()));
  for (size_t index = 0; index < results.size(); ++index) {
    const Result<Probabilities>& fold_result = *results[index];
    if (!fold_result.ok()) return fold_result.status();
    size_t next = 0;
    for (size_t e = 0; e < data.scored.size(); ++e) {
      if (data.scored[e].fold != static_cast<int>(index % kFolds)) continue;
      out_of_fold[index / kFolds][e] = (*fold_result)[next++];
    }
  }
  return out_of_fold;
}

// ---- Decisions and scores ----

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  void Add(bool predicted, bool labelled) {
    tp += predicted && labelled;
    fp += predicted && !labelled;
    fn += !predicted && labelled;
  }
  Counts& operator+=(const Counts& other) {
    tp += other.tp, fp += other.fp, fn += other.fn;
    return *this;
  }
  // Nothing predicted is no false alarm: precision 1 (with recall 0 if anything was labelled).
  double Precision() const { return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / (tp + fp); }
  double Recall() const { return tp + fn == 0 ? 1.0 : static_cast<double>(tp) / (tp + fn); }
  double F1() const {
    const double p = Precision(), r = Recall();
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }
};

// How an example is judged for a thread: the rules (if used) OR the model at a threshold.
struct Method {
  std::string name;
  bool with_rules = false;
  std::vector<double> thresholds;             // per thread; kNever: the model never fires
  std::vector<std::vector<double>> per_fold;  // if set: per fold, per thread (overrides)
  bool chosen = false;                        // thresholds chosen per thread: print them

  double Threshold(const Example& example, size_t thread) const {
    return per_fold.empty() ? thresholds[thread] : per_fold[example.fold][thread];
  }
};

// Examples with the model's probabilities for them (out of fold in cross-validation).
struct Scored {
  const std::vector<Example>& examples;
  const Probabilities& probabilities;
};

bool Decide(const Scored& scored, size_t e, const Method& method, size_t thread) {
  const Example& example = scored.examples[e];
  return (method.with_rules && example.rules[thread]) ||
         scored.probabilities[e][thread] >= method.Threshold(example, thread);
}

using Filter = std::function<bool(const Example&)>;

Counts Count(const Scored& scored, const Method& method, size_t thread, const Filter& include) {
  Counts counts;
  for (size_t e = 0; e < scored.examples.size(); ++e) {
    if (!include(scored.examples[e])) continue;
    counts.Add(Decide(scored, e, method, thread), scored.examples[e].labelled[thread]);
  }
  return counts;
}

Method Uniform(std::string name, bool with_rules, double threshold, size_t threads) {
  return {std::move(name), with_rules, std::vector<double>(threads, threshold), {}, false};
}
Method Rules(size_t threads) { return Uniform("rules", true, kNever, threads); }
Method Chosen(std::string name, bool with_rules, std::vector<double> thresholds) {
  return {std::move(name), with_rules, std::move(thresholds), {}, true};
}

// The threshold with the most recall whose precision is not below the rules' on the same
// items; kNever when none keeps it. Steps of 0.05: finer ones would fit the few positives of a
// thread rather than the model.
double ChooseThreshold(const Scored& scored, size_t thread, bool with_rules,
                       const Filter& include) {
  const size_t threads = scored.examples.empty() ? 0 : scored.examples[0].rules.size();
  const double floor = Count(scored, Rules(threads), thread, include).Precision();
  double best = kNever;
  Counts best_counts = Count(scored, Uniform("", with_rules, kNever, threads), thread, include);
  for (int step = kThresholdSteps - 1; step >= 1; --step) {
    const double threshold = step / static_cast<double>(kThresholdSteps);
    const Counts counts =
        Count(scored, Uniform("", with_rules, threshold, threads), thread, include);
    if (counts.Precision() + 1e-12 >= floor && counts.tp > best_counts.tp) {
      best = threshold;
      best_counts = counts;
    }
  }
  return best;
}

std::vector<double> ChooseThresholds(const Scored& scored, bool with_rules, const Filter& include) {
  const size_t threads = scored.examples.empty() ? 0 : scored.examples[0].rules.size();
  std::vector<double> thresholds;
  for (size_t t = 0; t < threads; ++t) {
    thresholds.push_back(ChooseThreshold(scored, t, with_rules, include));
  }
  return thresholds;
}

bool Everything(const Example&) { return true; }

// Rules OR model, with each fold's thresholds chosen on the other folds only.
Method NestedOr(const Scored& scored) {
  Method method{"rules OR model, t from other folds", true, {}, {}, false};
  for (int fold = 0; fold < kFolds; ++fold) {
    method.per_fold.push_back(ChooseThresholds(
        scored, true, [fold](const Example& example) { return example.fold != fold; }));
  }
  return method;
}

// The methods of the table, thresholds chosen on `cv` (out-of-fold predictions).
std::vector<Method> Methods(const Scored& cv, bool with_nested) {
  const size_t threads = cv.examples.empty() ? 0 : cv.examples[0].rules.size();
  std::vector<Method> methods = {
      Rules(threads),
      Uniform("model p>=0.50", false, 0.5, threads),
      Chosen("model p>=t", false, ChooseThresholds(cv, false, Everything)),
      Chosen("rules OR model p>=t", true, ChooseThresholds(cv, true, Everything)),
  };
  if (with_nested) methods.push_back(NestedOr(cv));
  return methods;
}

// ---- Configurations ----

// Stage one: the choices that change what the model sees (layout, subwords, word bigrams) and
// how long it trains, at fastText's usual lr 0.5 and a small dim.
std::vector<ModelConfig> FirstStage() {
  std::vector<ModelConfig> configs;
  for (Layout layout : {Layout::kMultiLabel, Layout::kBinary}) {
    for (int subwords : {0, 1}) {
      for (int word_ngrams : {1, 2}) {
        for (int epoch : {10, 25}) {
          configs.push_back(
              {layout, epoch, 0.5, word_ngrams, subwords ? 3 : 0, subwords ? 5 : 0, 50});
        }
      }
    }
  }
  return configs;
}

// Stage two: learning rate and dimension around the best of stage one.
std::vector<ModelConfig> SecondStage(const ModelConfig& best) {
  std::vector<ModelConfig> configs;
  for (double lr : {0.2, 1.0}) {
    configs.push_back(best);
    configs.back().lr = lr;
  }
  configs.push_back(best);
  configs.back().dim = 100;
  return configs;
}

ModelConfig QuickConfig() { return {Layout::kMultiLabel, 10, 0.5, 1, 0, 0, 20}; }

// Average precision of the model for one thread over the items `include` admits: how well it
// ranks their positives first, at every threshold rather than the few near the rules'
// precision. -1 when they hold no positive.
double AveragePrecision(const Scored& scored, size_t thread, const Filter& include) {
  std::vector<size_t> order;
  for (size_t e = 0; e < scored.examples.size(); ++e) {
    if (include(scored.examples[e])) order.push_back(e);
  }
  std::ranges::stable_sort(order, [&](size_t a, size_t b) {
    return scored.probabilities[a][thread] > scored.probabilities[b][thread];
  });
  int seen = 0, positives = 0;
  double sum = 0;
  for (size_t e : order) {
    ++seen;
    if (!scored.examples[e].labelled[thread]) continue;
    sum += static_cast<double>(++positives) / seen;
  }
  return positives == 0 ? -1 : sum / positives;
}

// Mean over the threads with positives among the items `include_for(thread)` admits.
double MeanAveragePrecision(const Scored& scored,
                            const std::function<Filter(size_t thread)>& include_for) {
  double sum = 0;
  int threads = 0;
  for (size_t t = 0; t < scored.examples[0].rules.size(); ++t) {
    const double average_precision = AveragePrecision(scored, t, include_for(t));
    if (average_precision < 0) continue;
    sum += average_precision;
    ++threads;
  }
  return threads == 0 ? 0 : sum / threads;
}

// What a configuration earns: rules OR model at the thresholds chosen on the folds, summed
// over the threads (each thread keeping the rules' precision), and the model's ranking.
struct Merit {
  Counts pooled;                 // t chosen on all folds
  Counts nested;                 // t chosen on the other folds
  double average_precision = 0;  // of the model, over all items
  double on_misses = 0;          // ... over the items the rules did not match: what OR adds
};

Merit Assess(const Scored& cv) {
  const std::vector<Method> methods = Methods(cv, true);
  Merit merit;
  for (size_t t = 0; t < cv.examples[0].rules.size(); ++t) {
    merit.pooled += Count(cv, methods[3], t, Everything);
    merit.nested += Count(cv, methods[4], t, Everything);
  }
  merit.average_precision = MeanAveragePrecision(cv, [](size_t) { return Filter(Everything); });
  merit.on_misses = MeanAveragePrecision(cv, [](size_t thread) {
    return Filter([thread](const Example& example) { return !example.rules[thread]; });
  });
  return merit;
}

// More true positives of rules OR model, then fewer false alarms; on a tie (the model's few
// additions often coincide) the better ranking of the rules' misses; earlier wins exact ties.
bool Better(const Merit& a, const Merit& b) {
  if (a.pooled.tp != b.pooled.tp) return a.pooled.tp > b.pooled.tp;
  if (a.pooled.fp != b.pooled.fp) return a.pooled.fp < b.pooled.fp;
  return a.on_misses > b.on_misses + 1e-9;
}

struct Candidate {
  ModelConfig config;
  Probabilities out_of_fold;
  Merit merit;
};

void PrintMerit(const Candidate& candidate) {
  const Merit& m = candidate.merit;
  std::printf("  %s | %3d/%-3d %3d/%-3d | %.3f %.3f\n", Describe(candidate.config).c_str(),
              m.pooled.tp, m.pooled.fp, m.nested.tp, m.nested.fp, m.average_precision, m.on_misses);
  std::fflush(stdout);  // a full grid takes minutes: show progress when piped
}

// Cross-validates `configs`, prints each one's merit and adds them to `candidates`.
Status Explore(const std::vector<ModelConfig>& configs, const Data& data, int jobs,
               const ScratchDir& scratch, std::vector<Candidate>& candidates) {
  auto out_of_fold = CrossValidate(configs, data, jobs, scratch);
  if (!out_of_fold.ok()) return out_of_fold.status();
  for (size_t c = 0; c < configs.size(); ++c) {
    Candidate candidate{configs[c], std::move((*out_of_fold)[c]), {}};
    candidate.merit = Assess({data.scored, candidate.out_of_fold});
    PrintMerit(candidate);
    candidates.push_back(std::move(candidate));
  }
  return Status::Ok();
}

const Candidate& Best(const std::vector<Candidate>& candidates) {
  const Candidate* best = &candidates.front();
  for (const Candidate& candidate : candidates) {
    if (Better(candidate.merit, best->merit)) best = &candidate;
  }
  return *best;
}

Result<Candidate> Tune(const Data& data, const Options& options, const ScratchDir& scratch) {
  std::vector<Candidate> candidates;
  std::printf(
      "\n-- grid: rules OR model, TP/FP summed over threads, t chosen on all folds | on "
      "the other folds; model average precision over all items | over the rules' "
      "misses --\n");
  if (options.quick) {
    Status status = Explore({QuickConfig()}, data, options.jobs, scratch, candidates);
    if (!status.ok()) return status;
    return candidates.front();
  }
  Status status = Explore(FirstStage(), data, options.jobs, scratch, candidates);
  if (!status.ok()) return status;
  status = Explore(SecondStage(Best(candidates).config), data, options.jobs, scratch, candidates);
  if (!status.ok()) return status;
  return Best(candidates);
}

// ---- Output ----

const char* const kLanguageGroups[] = {"all", "en", "uk+ru"};

bool InGroup(const Example& example, const std::string& group) {
  if (group == "all") return true;
  if (group == "en") return example.lang == "en";
  return example.lang == "uk" || example.lang == "ru";
}

std::string ThresholdLabel(const Method& method, size_t thread) {
  if (!method.chosen) return method.name;
  const double threshold = method.thresholds[thread];
  if (threshold >= kNever) return method.name + ": no t keeps P";
  char label[96];
  std::snprintf(label, sizeof label, "%s, t=%.2f", method.name.c_str(), threshold);
  return label;
}

std::string Cell(const Counts& counts, bool with_counts) {
  char cell[64];
  if (with_counts) {
    std::snprintf(cell, sizeof cell, "%3d %3d %3d %5.3f %5.3f %5.3f", counts.tp, counts.fp,
                  counts.fn, counts.Precision(), counts.Recall(), counts.F1());
  } else {
    std::snprintf(cell, sizeof cell, "%5.3f %5.3f %5.3f", counts.Precision(), counts.Recall(),
                  counts.F1());
  }
  return cell;
}

void PrintRow(const std::string& thread, const std::string& method,
              const std::vector<Counts>& by_group) {
  std::printf("%-15s %-36s |%s |%s |%s\n", thread.c_str(), method.c_str(),
              Cell(by_group[0], true).c_str(), Cell(by_group[1], false).c_str(),
              Cell(by_group[2], false).c_str());
}

void PrintTable(const Scored& scored, const std::vector<Method>& methods,
                const std::vector<std::string>& threads) {
  std::printf("%-52s |%-29s |%-17s |%s\n", "", "all languages", "English", "Ukrainian/Russian");
  std::printf("%-15s %-36s |%s |%s |%s\n", "thread", "method", " TP  FP  FN     P     R    F1",
              "    P     R    F1", "    P     R    F1");
  std::vector<std::vector<Counts>> totals(methods.size(), std::vector<Counts>(3));
  for (size_t t = 0; t < threads.size(); ++t) {
    for (size_t m = 0; m < methods.size(); ++m) {
      std::vector<Counts> by_group;
      for (size_t g = 0; g < 3; ++g) {
        const std::string group = kLanguageGroups[g];
        by_group.push_back(Count(scored, methods[m], t,
                                 [&](const Example& example) { return InGroup(example, group); }));
        totals[m][g] += by_group.back();
      }
      PrintRow(threads[t], ThresholdLabel(methods[m], t), by_group);
    }
  }
  for (size_t m = 0; m < methods.size(); ++m) PrintRow("(all threads)", methods[m].name, totals[m]);
}

// What the model adds to the rules, threshold by threshold: items the rules missed that it
// flags, right / wrong. Adding recall at equal precision needs about as many right per wrong
// as the rules have (their TP / FP).
void PrintAdditions(const Scored& cv, const std::vector<std::string>& threads) {
  std::printf(
      "\n-- model flags the rules missed (cross-validation), right/wrong, by "
      "threshold --\n");
  std::printf("%-15s", "thread");
  for (int step = 9; step >= 1; --step) std::printf("  t=%.1f ", step / 10.0);
  std::printf("\n");
  for (size_t t = 0; t < threads.size(); ++t) {
    std::printf("%-15s", threads[t].c_str());
    for (int step = 9; step >= 1; --step) {
      int right = 0, wrong = 0;
      for (size_t e = 0; e < cv.examples.size(); ++e) {
        if (cv.examples[e].rules[t] || cv.probabilities[e][t] < step / 10.0) continue;
        (cv.examples[e].labelled[t] ? right : wrong) += 1;
      }
      std::printf(" %3d/%-3d", right, wrong);
    }
    std::printf("\n");
  }
}

void PrintData(const Data& data) {
  std::vector<int> items(kFolds), positives(data.threads.size());
  for (const Example& example : data.scored) {
    ++items[example.fold];
    for (size_t t = 0; t < data.threads.size(); ++t) positives[t] += example.labelled[t];
  }
  std::printf("training split: %zu items in %d folds by week (", data.scored.size(), kFolds);
  for (int fold = 0; fold < kFolds; ++fold) std::printf("%s%d", fold ? " " : "", items[fold]);
  std::printf(" items); positives:");
  for (size_t t = 0; t < data.threads.size(); ++t) {
    std::printf(" %s %d", data.threads[t].c_str(), positives[t]);
  }
  std::printf("\nextra training data (never scored): %zu written items\n", data.extra.size());
}

// ---- Blind split ----

Status ReportBlind(const std::vector<LabelledItem>& news, const Classifier& classifier,
                   const Data& data, const Candidate& chosen, const ScratchDir& scratch) {
  const std::vector<Example> blind = ExamplesOf(news, Split::kBlind, classifier);
  std::vector<const Example*> train, test;
  for (const Example& example : data.scored) train.push_back(&example);
  for (const Example& example : data.extra) train.push_back(&example);
  for (const Example& example : blind) test.push_back(&example);
  auto probabilities =
      TrainAndPredict(chosen.config, train, test, data.threads, scratch.path() + "/final.txt");
  if (!probabilities.ok()) return probabilities.status();
  std::printf(
      "\n== blind split: %zu items; model trained on the whole training split, "
      "thresholds from cross-validation ==\n",
      blind.size());
  PrintTable({blind, *probabilities}, Methods({data.scored, chosen.out_of_fold}, false),
             data.threads);
  return Status::Ok();
}

Result<Data> LoadData(const Options& options, const std::vector<LabelledItem>& news,
                      const Classifier& classifier) {
  Data data;
  for (const ThreadDefinition& thread : classifier.threads()) data.threads.push_back(thread.id);
  data.scored = TrainingExamples(news, classifier);
  if (data.scored.empty()) return Status::Error("no labelled item in the training split");
  if (options.with_written) {
    auto written = ReadLabelledItems(options.written);
    if (!written.ok()) return written.status();
    data.extra = ExamplesOf(*written, Split::kWritten, classifier);
  }
  return data;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "eval-learned: %s\n", status.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  Options options;
  int exit_code = 0;
  if (!ParseArguments(argc, argv, options, exit_code)) return exit_code;
  auto classifier = bench::LoadClassifier(options.thread_files);
  if (!classifier.ok()) return Fail(classifier.status());
  if (!std::filesystem::is_directory(options.corpus)) {
    std::printf("eval-learned skipped: no corpus at %s (--corpus DIR)\n", options.corpus.c_str());
    return kSkipped;
  }
  auto loaded = LoadLabelledNews(options.labelled, options.corpus);
  if (!loaded.ok()) return Fail(loaded.status());
  auto data = LoadData(options, loaded->items, **classifier);
  if (!data.ok()) return Fail(data.status());
  const ScratchDir scratch;
  if (scratch.path().empty()) return Fail(Status::Error("cannot create a scratch directory"));

  std::printf("== eval-learned: fastText (libfasttext 0.9.2) against the rules ==\n");
  PrintData(*data);
  auto chosen = Tune(*data, options, scratch);
  if (!chosen.ok()) return Fail(chosen.status());
  std::printf("\nchosen: %s\n", Describe(chosen->config).c_str());
  std::printf(
      "\n== cross-validation on the training split (out-of-fold predictions; the rules "
      "were tuned on these items) ==\n");
  const Scored cv{data->scored, chosen->out_of_fold};
  PrintTable(cv, Methods(cv, true), data->threads);
  PrintAdditions(cv, data->threads);
  if (options.blind) {
    Status status = ReportBlind(loaded->items, **classifier, *data, *chosen, scratch);
    if (!status.ok()) return Fail(status);
  }
  std::fprintf(stderr, "eval-learned: %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}
