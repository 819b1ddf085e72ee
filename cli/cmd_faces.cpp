#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "ingest/faces/face_pipeline.hpp"
#include "retrain/torch_runtime.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <iostream>
#include <memory>

namespace curator::cli {

namespace {

struct FacesFlags {
  bool embed = false;
  std::vector<std::string> images;
};

// One line a face; the format is relied on by operators' scripts: keep it stable.
nlohmann::json face_line(const std::string& image, const faces::DetectedFace& f) {
  nlohmann::json landmarks = nlohmann::json::array();
  for (const auto& p : f.landmarks) landmarks.push_back({p.x, p.y});
  nlohmann::json line = {{"image", image},
                         {"box", {f.box.x, f.box.y, f.box.width, f.box.height}},
                         {"score", f.box.score},
                         {"landmarks", landmarks}};
  if (f.embedding) line["embedding"] = *f.embedding;
  return line;
}

} // namespace

void add_faces_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto flags = std::make_shared<FacesFlags>();
  auto* cmd = app.add_subcommand(
      "faces", "Detect faces in images and print one JSON line a face: image, box [x,y,w,h], score, 68 "
               "landmarks (and a 128-d embedding with --embed). An image without faces prints {\"faces\": 0}; "
               "an unreadable one prints an error line, and the command goes on (exit 1 at the end).");
  add_data_options(*cmd, *options);
  cmd->add_flag("--embed", flags->embed, "Also print each face's identity embedding");
  cmd->add_option("images", flags->images, "Image files (JPEG, PNG, ...)")->required();
  cmd->callback([options, flags, &exit_code] {
    core::Config config = load_config(*options);
    retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
    faces::FacePipeline pipeline(config.get(core::keys::faces_models_dir));
    const float min_score = static_cast<float>(config.get(core::keys::faces_min_score));
    exit_code = 0;
    for (const auto& image : flags->images) {
      cv::Mat bgr = cv::imread(image, cv::IMREAD_COLOR);
      if (bgr.empty()) {
        std::cout << nlohmann::json{{"image", image}, {"error", "cannot read or decode the image"}}.dump() << std::endl;
        exit_code = 1;
        continue;
      }
      cv::Mat rgb;
      cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
      const auto found = pipeline.analyze(rgb, min_score, flags->embed);
      if (found.empty()) std::cout << nlohmann::json{{"image", image}, {"faces", 0}}.dump() << "\n";
      for (const auto& f : found) std::cout << face_line(image, f).dump() << "\n";
      std::cout.flush();
    }
  });
}

} // namespace curator::cli
