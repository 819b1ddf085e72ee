// Tiny training runs on real face crops ingested from shared/data/deepfake/eyecantell (six real/fake
// pairs): the training loss goes down, a resumed run ends with the same weights as an uninterrupted one,
// torchvision-named weights load, Xception matches its reference and timm, a random search records and
// resumes its runs, a video is scored, bf16 scoring agrees with float32.
#include "core/config.hpp"
#include "core/error.hpp"
#include "dataset/dataset_store.hpp"
#include "dataset/snapshot.hpp"
#include "retrain/search.hpp"
#include "retrain/video_scorer.hpp"
#include "tests/support/ingest_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_data.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <tuple>

using namespace curator;

namespace {

struct Prepared {
  std::unique_ptr<test::IngestEnv> env;
  dataset::SnapshotInfo snapshot;
  std::vector<dataset::ManifestItem> items;
};

// Ingested once per process: 12 clips, 10 frames each, trusted labels; splits and a snapshot.
Prepared& eyecantell() {
  static Prepared p;
  if (p.env) return p;
  const auto data = *test::shared_data() / "deepfake/eyecantell"; // callers checked that it exists
  p.env = std::make_unique<test::IngestEnv>(std::vector<std::pair<std::string, std::string>>{{"ingest.sample_frames", "10"}});
  for (const char* name : {"Bateman", "Clinton", "Obama", "Putin", "Reagan", "Taxi"})
    for (const char* kind : {"Real", "Fake"}) {
      ingest::SubmissionMeta meta;
      meta.label = std::string(kind) == "Real" ? ingest::Label::real : ingest::Label::fake;
      meta.source = "eyecantell";
      meta.trusted = true;
      meta.confirmed_by = "test";
      const auto s = p.env->ingest_file(data / (std::string(kind) + name + ".mp4"), meta);
      REQUIRE(s.state == ingest::SubmissionState::done);
    }
  auto& svc = p.env->services;
  const auto settings = dataset::DatasetSettings::from_config(p.env->config);
  dataset::refresh_splits(*svc.db, p.env->clock, settings);
  p.snapshot = dataset::create_snapshot(*svc.db, svc.dir, p.env->clock, settings);
  p.items = dataset::read_manifest(p.snapshot.manifest);
  return p;
}

retrain::TrainParams tiny() {
  retrain::TrainParams t;
  t.image_size = 64;
  t.batch = 16;
  t.steps_per_epoch = 3;
  t.epochs = 2;
  t.bootstrap = 50;
  t.patience = 100;
  return t;
}

retrain::TrainJob job_for(Prepared& p, const std::string& name, const retrain::TrainParams& params) {
  return {p.env->services.dir.root(), p.snapshot.id, p.items, p.env->dir / name, params, test::torch_threads(), 0, nullptr};
}

// Every crop of the snapshot, 8-bit RGB.
std::vector<cv::Mat> all_crops(Prepared& p) {
  std::vector<cv::Mat> crops;
  for (const auto& m : p.items) {
    cv::Mat rgb, bgr = cv::imread((p.env->services.dir.root() / m.crop).string(), cv::IMREAD_COLOR);
    REQUIRE(!bgr.empty());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    crops.push_back(rgb);
  }
  return crops;
}

// A tiny trained model under p.env->dir / name (trained once per process), seeded with `seed`: two steps,
// or with `tells_apart` 18 (long enough to tell crops apart).
std::filesystem::path scoring_run(Prepared& p, const std::string& name, uint64_t seed,
                                  const std::string& backbone = "resnet18", int hidden = 0, bool tells_apart = false) {
  const auto dir = p.env->dir / name;
  if (std::filesystem::exists(dir / "model.pt")) return dir;
  auto params = tiny();
  params.backbone = backbone;
  params.hidden = hidden;
  params.epochs = tells_apart ? 3 : 1;
  params.steps_per_epoch = tells_apart ? 6 : 2;
  params.dropout = 0;
  params.schedule = "constant";
  params.seed = seed;
  REQUIRE(retrain::train_detector(job_for(p, name, params)).state == "done");
  return dir;
}

} // namespace

TEST_CASE("a tiny run on real crops reduces the training loss and reports per-source metrics", "[retrain]") {
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  int train = 0, test = 0;
  for (const auto& m : p.items) {
    train += m.split == "train";
    test += m.split == "test";
  }
  REQUIRE(train > 50);
  REQUIRE(test > 0);
  auto params = tiny();
  params.epochs = 4;
  params.steps_per_epoch = 6;
  params.dropout = 0;
  params.schedule = "constant";
  const auto r = retrain::train_detector(job_for(p, "loss", params));
  INFO(r.curves.dump());
  REQUIRE(r.state == "done");
  REQUIRE(r.curves.size() == 4);
  // The mean training loss of an epoch (augmented batches). Deterministic: seeded data, augmentation
  // and initialisation. (The eval-mode loss on fixed crops is in the curves too, but after a few dozen
  // steps BatchNorm's running statistics still lag, so it says little this early.)
  const double first = r.curves[0]["train_loss"], last = r.curves[3]["train_loss"];
  WARN("training loss per epoch: " << r.curves[0]["train_loss"] << ", " << r.curves[1]["train_loss"] << ", "
                                   << r.curves[2]["train_loss"] << ", " << r.curves[3]["train_loss"]);
  CHECK(last < 0.8 * first);
  CHECK(r.init == "scratch");
  const auto& eye = r.metrics["test"]["eyecantell"];
  CHECK(eye["frames"]["n"].get<int>() > 0);
  CHECK(eye["videos_mean"]["n"].get<int>() >= 2);
  CHECK(eye["frames"]["auc"].contains("low"));
  CHECK(eye["frames"]["roc"].size() >= 2);
  // The card carries what the registry needs.
  auto card = nlohmann::json::parse(std::ifstream(p.env->dir / "loss" / "card.json"));
  CHECK(card["snapshot_id"] == p.snapshot.id);
  CHECK(card["backbone"] == "resnet18");
  CHECK(card["training_sources"] == nlohmann::json::array({"eyecantell"}));
  CHECK(card["code_version"].get<std::string>().rfind("0.", 0) == 0);

  // Score a clip with it.
  faces::FacePipeline pipeline(test::models_root());
  retrain::ScoreOptions o;
  o.sample_frames = 4;
  const retrain::ScoringModel model(retrain::ModelRef::from_dir(p.env->dir / "loss"), retrain::Precision::fp32);
  const auto scored = retrain::score_video(model, pipeline,
                                           shared / "deepfake/eyecantell/FakePutin.mp4", o);
  CHECK(scored["frames"].size() == 4);
  CHECK(scored["faces"].size() >= 3);
  const double pf = scored["video"]["p_fake_confident"];
  CHECK(pf >= 0);
  CHECK(pf <= 1);
}

TEST_CASE("scoring in bf16 gives float32's fake probabilities within 0.02, on CPUs that multiply bf16", "[retrain]") {
  CHECK(retrain::parse_precision("fp32") == retrain::Precision::fp32);
  CHECK(retrain::parse_precision("bf16") == retrain::Precision::bf16);
  CHECK(retrain::parse_precision("auto") == (retrain::native_bf16() ? retrain::Precision::bf16 : retrain::Precision::fp32));
  CHECK_THROWS_AS(retrain::parse_precision("fp16"), InvalidInput);
  if (!retrain::native_bf16()) {
    WARN("this CPU has neither AMX-BF16 nor AVX512-BF16: auto means fp32 here, bf16 scoring not compared");
    return;
  }
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  const auto crops = all_crops(p);
  // ResNet18 with each head, and Xception (tiny runs: the first one longer, so that it tells crops apart).
  for (const auto& [backbone, hidden] : std::vector<std::pair<std::string, int>>{{"resnet18", 0}, {"resnet18", 32}, {"xception", 0}}) {
    const auto name = backbone == "resnet18" && hidden == 0 ? "score-a" : "score-" + backbone + "-" + std::to_string(hidden);
    const auto ref = retrain::ModelRef::from_dir(scoring_run(p, name, 1, backbone, hidden, name == "score-a"));
    const retrain::ScoringModel fp32(ref, retrain::Precision::fp32), bf16(ref, retrain::Precision::bf16);
    CHECK(bf16.precision() == retrain::Precision::bf16);
    const auto a = fp32.score(crops), b = bf16.score(crops);
    REQUIRE(a.size() == crops.size());
    REQUIRE(b.size() == crops.size());
    double worst = 0, spread = 0;
    int differ = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      worst = std::max(worst, std::abs(a[i] - b[i]));
      spread = std::max(spread, std::abs(a[i] - a[0]));
      differ += a[i] != b[i];
    }
    WARN(name << ", " << crops.size() << " crops: largest |p_fake(bf16) - p_fake(fp32)| " << worst
              << "; fp32 scores spread " << spread);
    if (name == "score-a") { // the model tells crops apart, by far more than bf16 moves them: the comparison means something
      CHECK(spread > 0.05);
      CHECK(worst < spread / 10);
    }
    CHECK(differ > 0);                          // bf16 really ran
    CHECK(worst <= 0.02);
  }
}

TEST_CASE("the scoring cache keeps the version asked for last and loads another when asked", "[retrain]") {
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  const auto crops = all_crops(p);
  const auto dir_a = scoring_run(p, "cache-a", 1), dir_b = scoring_run(p, "cache-b", 2);
  const auto a = retrain::ScoringModel(retrain::ModelRef::from_dir(dir_a), retrain::Precision::fp32).score(crops);
  const auto b = retrain::ScoringModel(retrain::ModelRef::from_dir(dir_b), retrain::Precision::fp32).score(crops);
  REQUIRE(a != b); // two different models: the scores tell which one was used
  retrain::ScoringModelCache cache(retrain::Precision::fp32);
  const auto first = cache.get(1, dir_a);
  CHECK(cache.get(1, dir_a) == first); // kept, not loaded again
  CHECK(cache.loads() == 1);
  CHECK(first->score(crops) == a);
  CHECK(cache.get(2, dir_b)->score(crops) == b); // a promotion: the new champion scores
  CHECK(cache.loads() == 2);
  CHECK(first->score(crops) == a); // a job still holding the old version keeps it
  CHECK(cache.get(1, dir_a)->score(crops) == a);
  CHECK(cache.loads() == 3);
  CHECK_THROWS_AS(cache.get(3, p.env->dir / "no-such-model"), NotFound);
  CHECK(cache.get(1, dir_a)->score(crops) == a); // a failed load keeps what the cache held
  CHECK(cache.loads() == 3);
}

TEST_CASE("a run resumed after a crash ends with the same weights as an uninterrupted run", "[retrain]") {
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  const auto params = tiny();
  const auto whole = retrain::train_detector(job_for(p, "whole", params));
  REQUIRE(whole.state == "done");
  auto first = job_for(p, "resumed", params);
  first.stop_after_epoch = 1; // as if the process died right after epoch 1's checkpoint
  const auto stopped = retrain::train_detector(first);
  CHECK(stopped.state == "stopped");
  CHECK(stopped.epochs_run == 1);
  const auto resumed = retrain::train_detector(job_for(p, "resumed", params));
  CHECK(resumed.state == "done");
  CHECK(resumed.resumed_after_epoch == 1);
  CHECK(resumed.epochs_run == 2);
  CHECK(retrain::max_weight_difference(p.env->dir / "whole/model.pt", p.env->dir / "resumed/model.pt") == 0.0);
  CHECK(retrain::max_weight_difference(p.env->dir / "whole/last.pt", p.env->dir / "resumed/last.pt") == 0.0);
  CHECK(retrain::max_weight_difference(p.env->dir / "whole/last.pt", p.env->dir / "resumed/model.pt") >= 0.0);
  CHECK(whole.curves[1]["train_loss"] == resumed.curves[1]["train_loss"]);
}

namespace {

// A TCP port nothing listens on now (the kernel's pick for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace

TEST_CASE("two ranks on loopback train the weights one process trains on their combined batch", "[retrain]") {
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  // No batch statistics and no dropout: the faceapi trunk (its BatchNorms folded) with a linear head.
  auto params = tiny();
  params.backbone = "faceapi";
  params.init_weights = retrain::default_init_weights("faceapi", "", test::required_env_path("CURATOR_MODELS_DIR"));
  params.image_size = 112;
  params.batch = 8;
  params.steps_per_epoch = 2;
  params.epochs = 1;
  params.hidden = 0;
  params.dropout = 0;
  params.schedule = "constant";
  const auto single = retrain::train_detector(job_for(p, "dp-single", params));
  REQUIRE(single.state == "done");

  // The two ranks are processes (`curator train --world-size 2`): threads of one process would share
  // LibTorch's global generator while each seeds and initialises its model.
  const std::string master = "127.0.0.1:" + std::to_string(free_port());
  const auto root = p.env->services.dir.root();
  std::vector<std::unique_ptr<test::Process>> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.push_back(std::make_unique<test::Process>(
        std::vector<std::string>{test::required_env_path("CURATOR_BIN").string(), "train", "--data-dir", root.string(),
                                 "--set", "faces.models_dir=" + test::required_env_path("CURATOR_MODELS_DIR").string(),
                                 "--set", "torch.threads=1", "--set", "log.level=warn", "--snapshot", p.snapshot.id,
                                 "--search-id", "dp-run", "--params", params.to_json().dump(), "--world-size", "2",
                                 "--rank", std::to_string(rank), "--master", master},
        std::map<std::string, std::string>{}, p.env->dir / ("dp-rank" + std::to_string(rank))));
  for (auto& r : ranks) {
    const auto code = r->wait(std::chrono::minutes(5));
    INFO(r->stderr_text());
    REQUIRE(code == 0);
  }
  const auto dir = p.env->dir.path();
  const auto runs = root / "runs";
  CHECK(std::filesystem::exists(runs / "dp-run/card.json")); // rank 0 records and evaluates the run
  CHECK_FALSE(std::filesystem::exists(runs / "dp-run.rank1/card.json"));
  // The ranks stay identical, and equal to one process on the whole batch up to float summation order.
  CHECK(retrain::max_weight_difference(runs / "dp-run/last.pt", runs / "dp-run.rank1/last.pt") == 0.0);
  const double apart = retrain::max_weight_difference(dir / "dp-single/last.pt", runs / "dp-run/last.pt");
  CHECK(apart < 1e-4);
  WARN("two ranks against one process: largest weight difference " << apart);
  // Not a vacuous comparison: another batch order gives weights much further apart.
  auto other = params;
  other.seed = params.seed + 1; // another batch order: other weights
  REQUIRE(retrain::train_detector(job_for(p, "dp-other-seed", other)).state == "done");
  CHECK(retrain::max_weight_difference(dir / "dp-single/last.pt", dir / "dp-other-seed/last.pt") > 100 * apart + 1e-6);
  // A rank outside the world, or a master without a port, is refused before anything starts.
  auto bad = job_for(p, "dp-bad", params);
  bad.distributed = {2, 2, master, std::chrono::seconds(5)};
  CHECK_THROWS_AS(retrain::train_detector(bad), InvalidInput);
  bad.distributed = {2, 1, "localhost", std::chrono::seconds(5)};
  CHECK_THROWS_AS(retrain::train_detector(bad), InvalidInput);
}

TEST_CASE("torchvision-named ResNet18 weights load, as a dict or TorchScript", "[retrain]") {
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  const auto script = test::required_env_path("CURATOR_SOURCE_DIR") / "ops/export_resnet18.py";
  for (const bool torchscript : {false, true}) {
    const auto file = p.env->dir / (torchscript ? "r18.ts" : "r18.pt");
    std::vector<std::string> argv = {"/usr/bin/python3", script.string(), file.string(), "--random", "--seed", "3"};
    if (torchscript) argv.push_back("--torchscript");
    const auto run = test::run(argv, {}, p.env->dir.path());
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    const auto report = retrain::inspect_init_weights(file);
    CHECK(report.loaded == 120); // every backbone tensor; torchvision's 1000-class fc is skipped
    CHECK(report.skipped == 2);
    auto params = tiny();
    params.epochs = 1;
    params.steps_per_epoch = 1;
    params.init_weights = file.string();
    const auto r = retrain::train_detector(job_for(p, torchscript ? "init-ts" : "init-dict", params));
    CHECK(r.init == "imagenet:" + report.sha256);
  }
  std::ofstream(p.env->dir / "junk.pt") << "not weights";
  CHECK_THROWS_AS(retrain::inspect_init_weights(p.env->dir / "junk.pt"), InvalidInput);
}

TEST_CASE("Xception weights in pretrainedmodels' names load and compute what the reference model does", "[training]") {
  test::TempDir dir;
  const auto script = test::required_env_path("CURATOR_SOURCE_DIR") / "tests/support/xception_reference.py";
  const auto file = dir / "xception.pt";
  const auto cadene = dir / "xception-cadene.pth";
  const auto run = test::run({"/usr/bin/python3", script.string(), file.string(), "64", "5", cadene.string()}, {}, dir.path());
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  std::istringstream in(run.out);
  int64_t imagenet_params = 0;
  int tensors = 0;
  double a = 0, b = 0;
  in >> imagenet_params >> tensors >> a >> b;
  CHECK(imagenet_params == 22855952); // Xception as published (Chollet 2017: 22.9M with the 1000-class head)
  const auto report = retrain::inspect_init_weights(file, "xception");
  CHECK(report.loaded == tensors); // every tensor, 2-d pointwise matrices included
  CHECK(report.skipped == 0);
  const auto mine = retrain::init_logits_for_check(file, "xception", 64);
  INFO("reference " << a << " " << b << ", curator " << mine[0] << " " << mine[1]);
  CHECK(std::abs(mine[0] - a) < 1e-4 * std::max(1.0, std::abs(a)));
  CHECK(std::abs(mine[1] - b) < 1e-4 * std::max(1.0, std::abs(b)));
  CHECK(std::abs(a - b) > 1e-3); // a real function of the input
  // Xception weights do not fit a ResNet18: refused, not silently ignored.
  CHECK_THROWS_AS(retrain::inspect_init_weights(file, "resnet18"), InvalidInput);
  // pretrainedmodels' own download (an OrderedDict, which LibTorch cannot read) converts with the ops script.
  const auto converted = dir / "xception-imagenet.pt";
  const auto convert = test::run({"/usr/bin/python3", (test::required_env_path("CURATOR_SOURCE_DIR") / "ops/export_xception.py").string(),
                                  converted.string(), "--from", cadene.string()}, {}, dir.path());
  INFO(convert.err);
  REQUIRE(convert.exit_code == 0);
  const auto imported = retrain::inspect_init_weights(converted, "xception");
  CHECK(imported.loaded == tensors - 2); // all but the 1000-class fc
  CHECK(imported.skipped == 2);
}

TEST_CASE("Xception computes what timm's legacy_xception computed from the same weights", "[training]") {
  // Golden logits made with timm on another machine; the weights are a formula of each tensor's name and
  // shape (tests/support/formula_weights.py), so no weights file has to travel.
  test::TempDir dir;
  const auto source = test::required_env_path("CURATOR_SOURCE_DIR");
  const auto golden_file = source / "tests/data/xception_timm.json";
  const auto golden = nlohmann::json::parse(std::ifstream(golden_file));
  const auto file = dir / "formula.pt";
  const auto run = test::run({"/usr/bin/python3", (source / "tests/support/formula_weights.py").string(),
                              golden_file.string(), file.string()}, {}, dir.path());
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto report = retrain::inspect_init_weights(file, "xception");
  int expected = 0;
  for (const auto& s : golden["shapes"])
    if (s[0].get<std::string>().find("num_batches_tracked") == std::string::npos) ++expected;
  CHECK(report.loaded == expected); // every one of timm's names is curator's (the 1-logit fc included)
  CHECK(report.skipped == 0);
  const auto mine = retrain::init_logits_for_check(file, "xception", 64);
  const double a = golden["logits"][0], b = golden["logits"][1];
  INFO("timm " << a << " " << b << ", curator " << mine[0] << " " << mine[1]);
  CHECK(std::abs(mine[0] - a) < 1e-4 * std::abs(a));
  CHECK(std::abs(mine[1] - b) < 1e-4 * std::abs(b));
}

TEST_CASE("a random search records every run and resumes where it stopped", "[retrain]") {
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  retrain::SearchContext ctx{*p.env->services.db, p.env->clock, p.env->services.dir.root(), p.snapshot.id, p.items,
                             nullptr, nullptr};
  retrain::SearchOptions o;
  o.search_id = "s1";
  o.count = 2;
  o.base = tiny();
  o.base.steps_per_epoch = 1;
  o.max_epochs = 1;
  const auto runs = retrain::run_search(ctx, o);
  REQUIRE(runs.size() == 2);
  for (const auto& r : runs) {
    CHECK(r.state == "done");
    CHECK(r.snapshot_id == p.snapshot.id);
    CHECK(r.curves.size() == 1);
    CHECK(r.metrics.contains("test"));
    CHECK(r.params.image_size == 64); // from the base
  }
  CHECK(runs[0].params.to_json() != runs[1].params.to_json()); // sampled
  CHECK(retrain::sample_params(o.base, {"eyecantell"}, 5, 1, 3).to_json() ==
        retrain::sample_params(o.base, {"eyecantell"}, 5, 1, 3).to_json());
  // Asking for more continues the same search: the first two are not run again.
  o.count = 3;
  int ran = 0;
  ctx.on_run = [&](const retrain::RunRecord&) { ++ran; };
  const auto more = retrain::run_search(ctx, o);
  CHECK(more.size() == 3);
  CHECK(ran == 1);
  CHECK(more[0].finished_ms == runs[0].finished_ms);
}

TEST_CASE("the TorchScript export loads in python3-torch and gives the C++ model's outputs", "[retrain]") {
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  for (const auto& [backbone, hidden, pooling] : std::vector<std::tuple<std::string, int, std::string>>{
           {"resnet18", 0, "mean"}, {"resnet18", 32, "mean_std"}, {"xception", 0, "mean"}, {"faceapi", 0, "mean"},
           {"faceapi", 0, "mean_std"}}) {
    auto params = tiny();
    params.epochs = 1;
    params.steps_per_epoch = 1;
    params.hidden = hidden;
    params.backbone = backbone;
    params.pooling = pooling;
    if (backbone == "faceapi") {
      params.image_size = 112; // the trunk halves its input four times
      params.init_weights = retrain::default_init_weights("faceapi", "", test::required_env_path("CURATOR_MODELS_DIR"));
    }
    const auto name = "export-" + backbone + "-" + std::to_string(hidden) + "-" + pooling;
    REQUIRE(retrain::train_detector(job_for(p, name, params)).state == "done");
    const auto ref = retrain::ModelRef::from_dir(p.env->dir / name);
    const auto file = p.env->dir / (name + ".ts");
    retrain::export_torchscript(ref, file);
    const int size = params.image_size;
    const auto expected = retrain::logits_for_check(ref, size);
    const std::string code = "import sys, torch\n"
                             "sys.path.insert(0, sys.argv[2])\n"
                             "from formula_weights import check_input\n"
                             "m = torch.jit.load(sys.argv[1])\n"
                             "x = check_input(" + std::to_string(size) + ")\n"
                             "with torch.no_grad():\n"
                             "    y = m(x)\n"
                             "print(' '.join(repr(float(v)) for v in y))\n";
    const auto support = test::required_env_path("CURATOR_SOURCE_DIR") / "tests/support";
    const auto run = test::run({"/usr/bin/python3", "-c", code, file.string(), support.string()}, {}, p.env->dir.path());
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    std::istringstream in(run.out);
    double a = 0, b = 0;
    in >> a >> b;
    INFO("C++ " << expected[0] << " " << expected[1] << ", python " << a << " " << b);
    CHECK(std::abs(a - expected[0]) < 1e-4);
    CHECK(std::abs(b - expected[1]) < 1e-4);
    CHECK(std::abs(expected[0] - expected[1]) > 0); // a real function of the input
  }
}

TEST_CASE("a run whose loss turns NaN fails within seconds, with the reason", "[retrain]") {
  CURATOR_SHARED_DATA(shared);
  auto& p = eyecantell();
  auto& svc = p.env->services;
  auto params = tiny();
  params.epochs = 50; // it would take minutes if it went on
  retrain::SearchOptions o;
  o.search_id = "diverges";
  o.sample = false;
  o.base = params;
  o.threads = test::torch_threads();
  retrain::SearchContext ctx{*svc.db, p.env->clock, svc.dir.root(), p.snapshot.id, p.items, nullptr, nullptr};
  ctx.observe_loss = [](int64_t step, double loss) { return step >= 2 ? std::nan("") : loss; };
  const auto started = std::chrono::steady_clock::now();
  const auto runs = retrain::run_search(ctx, o);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  REQUIRE(runs.size() == 1);
  INFO(runs[0].to_json().dump());
  CHECK(runs[0].state == "failed");
  CHECK(runs[0].error.find("NaN") != std::string::npos);
  CHECK(runs[0].error.find("step 2") != std::string::npos);
  CHECK(seconds < 30);
  CHECK_FALSE(std::filesystem::exists(svc.dir.run_folder("diverges") / "card.json")); // nothing to register
}
