#include "tests/support/run_fixture.hpp"

#include "retrain/training.hpp"

#include <random>

namespace curator::test {

std::vector<retrain::RunRecord> add_runs(core::Database& db, const std::vector<FixtureVideo>& test_videos,
                                         const RunFixtureOptions& o) {
  std::vector<std::string> rows = o.sources;
  rows.push_back("all");
  std::mt19937_64 rng(o.seed);
  std::vector<retrain::RunRecord> out;
  for (int i = 0; i < o.count; ++i) {
    retrain::RunRecord r;
    r.id = o.id_prefix + "-" + std::to_string(i);
    r.experiment_id = o.experiment_id;
    r.snapshot_id = "f1x7u4e0000000000000000000000000";
    r.state = "done";
    r.code_version = "fixture";
    r.init = "scratch";
    r.params = retrain::sample_params(retrain::TrainParams{}, o.sources, o.seed, i, 8);
    r.params.train_source = rows[i % rows.size()];
    r.params.bootstrap = o.bootstrap;
    r.started_ms = 1'790'000'000'000 + i * 60'000;
    r.finished_ms = r.started_ms + 50'000;
    r.seconds = 50;
    std::normal_distribution<double> noise(0, 1.0);
    double loss = 0.69;
    for (int e = 1; e <= r.params.epochs; ++e) {
      loss *= 0.9;
      r.curves.push_back({{"epoch", e}, {"train_loss", loss}, {"val_loss", loss + 0.05}, {"val_auc", 0.6 + 0.03 * e},
                          {"val_auc_by_source", {{o.sources.front(), 0.6 + 0.03 * e}}}, {"lr", r.params.lr}, {"seconds", 6}});
    }
    // A run separates the sources it trained on better than the others, on test and (with other noise)
    // validation faces of the same videos.
    auto scores = [&] {
      std::vector<retrain::CropScore> crops;
      for (const auto& v : test_videos) {
        const bool trained = r.params.train_source == "all" || r.params.train_source == v.source;
        const double shift = (trained ? 0.9 : 0.15) * (v.label == "fake" ? 1 : -1);
        for (int f = 0; f < v.faces; ++f) {
          const double z = shift + noise(rng);
          crops.push_back({v.video, "u" + std::to_string(v.video), 0, f * 10, v.source, v.label == "fake" ? 1 : 0,
                           1 / (1 + std::exp(-z))});
        }
      }
      return crops;
    };
    const auto test = scores();
    r.metrics = {{"test", retrain::summarize_scores(test, o.bootstrap)}, {"val", retrain::summarize_scores(scores(), o.bootstrap)}};
    retrain::save_run(db, r);
    out.push_back(std::move(r));
  }
  return out;
}

} // namespace curator::test
