// End-to-end training speed: crop decoding + augmentation (loader threads) + the detector's forward,
// backward and Adam step, in images per second; then the same work in python (torchvision's DataLoader and
// transforms, python3-torch) on the same crops, and the ratio. Both sides use 2 LibTorch threads and 2
// loader workers on the same machine, in the same run.
//   curator_bench_train DATA_DIR [STEPS] [SOURCE_DIR] [BACKBONES]
// BACKBONES: comma-separated, default faceapi,resnet18. faceapi (the default backbone) runs at its own
// 160 px with the default recipe (mild augmentation, half the positives self-blended) and is compared with
// python's ResNet18 at 224 px (the seed study's model and size); resnet18 runs at 224 and 128 px against
// python's at the same size; xception against pretrainedmodels' model.
// DATA_DIR holds a snapshot (curator dataset snapshot); its training crops are used.
#include "core/allocator.hpp"
#include "dataset/snapshot.hpp"
#include "core/database.hpp"
#include "core/data_dir.hpp"
#include "retrain/batch_loader.hpp"
#include "retrain/detector_model.hpp"
#include "retrain/torch_runtime.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace curator;

namespace {

double cpp_images_per_second(const std::filesystem::path& root, const std::vector<retrain::Sample>& train,
                             const std::string& backbone, int size, int steps, int batch, bool recipe) {
  torch::manual_seed(1);
  retrain::Detector model(retrain::DetectorOptions{backbone});
  retrain::use_channels_last(*model); // as the trainer does
  model->train();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3).weight_decay(1e-4));
  retrain::LoaderOptions lo;
  lo.batch = batch, lo.image_size = size, lo.train = true, lo.workers = 2;
  retrain::EpochOptions eo;
  if (recipe) {
    lo.augment = retrain::mild_augment();
    lo.norm = retrain::InputNorm::faceapi;
    eo.sbi = 0.5, eo.sqrt_weights = true;
  }
  const int warmup = 2;
  retrain::BatchLoader loader(root, retrain::balanced_epoch(train, static_cast<size_t>(steps + warmup) * batch, 1, 1, eo), lo);
  retrain::Batch b;
  std::chrono::steady_clock::time_point start;
  for (int step = 0; loader.next(b); ++step) {
    if (step == warmup) start = std::chrono::steady_clock::now();
    auto x = torch::from_blob(b.images.data(), {static_cast<int64_t>(b.count()), 3, size, size});
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    auto y = torch::from_blob(b.labels.data(), {static_cast<int64_t>(b.count())});
    opt.zero_grad();
    auto loss = torch::binary_cross_entropy_with_logits(model->forward(x), y);
    loss.backward();
    opt.step();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return steps * batch / seconds;
}

} // namespace

int main(int argc, char** argv) {
  curator::core::tune_allocator(); // before any thread starts
  if (argc < 2) {
    std::fprintf(stderr, "usage: curator_bench_train DATA_DIR [STEPS] [SOURCE_DIR] [BACKBONES]\n");
    return 2;
  }
  const core::DataDir dir(argv[1]);
  const int steps = argc > 2 ? std::atoi(argv[2]) : 10;
  const std::filesystem::path source = argc > 3 ? argv[3] : ".";
  std::vector<std::string> backbones;
  std::stringstream list_arg(argc > 4 ? argv[4] : "faceapi,resnet18");
  for (std::string b; std::getline(list_arg, b, ',');) {
    retrain::check_backbone(b);
    backbones.push_back(b);
  }
  core::Database db(dir.database(), 5000);
  const auto snapshots = dataset::list_snapshots(db, dir);
  if (snapshots.empty()) {
    std::fprintf(stderr, "no snapshot in %s: run `curator dataset snapshot` first\n", argv[1]);
    return 2;
  }
  std::vector<retrain::Sample> train;
  const auto list = std::filesystem::temp_directory_path() / "curator-bench-crops.tsv";
  std::ofstream out(list);
  for (const auto& m : dataset::read_manifest(snapshots.front().manifest)) {
    train.push_back({m.crop, m.label == "fake" ? 1 : 0, m.source, m.video, m.frame, m.landmarks, retrain::PairPart::none});
    out << (dir.root() / m.crop).string() << "\t" << (m.label == "fake" ? 1 : 0) << "\n";
  }
  out.close();
  torch::set_num_threads(2);
  std::printf("%zu crops from snapshot %s; %d timed steps of batch 32 after 2 warm-up steps\n", train.size(),
              snapshots.front().id.substr(0, 12).c_str(), steps);
  std::printf("%9s %6s %14s %16s %8s\n", "backbone", "size", "curator img/s", "python img/s", "ratio");
  struct Case {
    std::string backbone;
    int size;
    std::string python; ///< the python model it is compared with
    int python_size;
  };
  std::vector<Case> cases;
  for (const auto& backbone : backbones) {
    if (backbone == "faceapi") cases.push_back({backbone, 160, "resnet18", 224});
    else
      for (int size : {224, 128}) cases.push_back({backbone, size, backbone, size});
  }
  for (const auto& c : cases) {
    const auto& [backbone, size, python, python_size] = c;
    const double cpp = cpp_images_per_second(dir.root(), train, backbone, size, steps, 32, backbone == "faceapi");
    const std::string cmd = "/usr/bin/python3 " + (source / "bench/train_bench.py").string() + " " + list.string() + " " +
                            std::to_string(python_size) + " " + std::to_string(steps) + " 32 2 2 " + python;
    double py = 0;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char line[256];
      while (std::fgets(line, sizeof line, p))
        if (std::sscanf(line, "python %*d %lf", &py) == 1) break;
      ::pclose(p);
    }
    const std::string against = python + "@" + std::to_string(python_size) + " " + std::to_string(py).substr(0, 6);
    std::printf("%9s %6d %14.2f %16s %8.2f\n", backbone.c_str(), size, cpp, against.c_str(), py > 0 ? cpp / py : 0.0);
  }
  std::printf("target: curator >= 1.2x python (faceapi at 160 px with SBI against python's ResNet18 at 224 px)\n");
  return 0;
}
