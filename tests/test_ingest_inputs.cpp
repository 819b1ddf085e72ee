// The bad-input corpus: every file is uploaded over real HTTP to a running daemon. Each must end as a
// rejected submission with a reason, the daemon must keep serving, and the database must stay intact.
#include "core/config.hpp"
#include "serve/daemon.hpp"
#include "tests/support/ingest_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <httplib.h>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <random>

using namespace curator;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Input {
  std::string filename; // as the client sends it
  std::string content;
};

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::vector<Input> make_corpus(const test::TempDir& dir) {
  auto make = [&](const std::vector<std::string>& args, const std::string& out) {
    test::ffmpeg(args, dir.path());
    return test::read_file(dir / out);
  };
  std::vector<Input> c;
  const std::string valid = make({"-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=2", "-c:v", "mpeg4",
                                  (dir / "valid.mp4").string()}, "valid.mp4");
  c.push_back({"empty.mp4", ""});
  for (size_t cut : {size_t(8), size_t(64), size_t(700), valid.size() / 4, valid.size() / 2, valid.size() * 9 / 10})
    c.push_back({"truncated-" + std::to_string(cut) + ".mp4", valid.substr(0, cut)});
  c.push_back({"header-only.mp4", valid.substr(0, 32)});
  for (unsigned seed : {1u, 2u, 3u}) c.push_back({"random" + std::to_string(seed) + ".mp4", random_bytes(1000 * seed * seed, seed)});
  c.push_back({"notes.mp4", "This is a text file pretending to be a video.\n"});
  c.push_back({"page.mp4", "<!doctype html><html><body>not a video</body></html>"});
  c.push_back({"archive.mp4", std::string("PK\x03\x04", 4) + random_bytes(500, 9)});
  cv::Mat img(64, 64, CV_8UC3, cv::Scalar(0, 128, 255));
  std::vector<uchar> png, jpg;
  cv::imencode(".png", img, png);
  cv::imencode(".jpg", img, jpg);
  c.push_back({"picture.mp4", std::string(png.begin(), png.end())});
  c.push_back({"photo.mp4", std::string(jpg.begin(), jpg.end())});
  std::ofstream(dir / "pixel.rgb", std::ios::binary) << std::string(30, '\x7f');
  c.push_back({"one-pixel.avi", make({"-f", "rawvideo", "-pixel_format", "rgb24", "-video_size", "1x1", "-framerate", "10",
                                      "-i", (dir / "pixel.rgb").string(), "-c:v", "rawvideo", (dir / "one.avi").string()}, "one.avi")});
  c.push_back({"tiny.mp4", make({"-f", "lavfi", "-i", "testsrc=size=32x32:rate=10:duration=2", "-c:v", "mpeg4",
                                 (dir / "tiny.mp4").string()}, "tiny.mp4")});
  c.push_back({"absurdly-wide.avi", make({"-f", "lavfi", "-i", "testsrc=size=7700x64:rate=5:duration=2", "-c:v", "mpeg4",
                                          (dir / "wide.avi").string()}, "wide.avi")});
  c.push_back({"too-fast.avi", make({"-f", "lavfi", "-i", "testsrc=size=64x64:rate=500:duration=0.2", "-c:v", "mpeg4",
                                     (dir / "fast.avi").string()}, "fast.avi")});
  c.push_back({"three-frames.mp4", make({"-f", "lavfi", "-i", "testsrc=size=96x96:rate=10:duration=0.3", "-c:v", "mpeg4",
                                         (dir / "three.mp4").string()}, "three.mp4")});
  c.push_back({"too-long.mp4", make({"-f", "lavfi", "-i", "testsrc=size=64x64:rate=1:duration=40", "-c:v", "mpeg4",
                                     (dir / "long.mp4").string()}, "long.mp4")});
  c.push_back({"still.mp4", make({"-f", "lavfi", "-i", "color=c=blue:size=128x128:rate=10:duration=2", "-c:v", "mpeg4",
                                  (dir / "still.mp4").string()}, "still.mp4")});
  c.push_back({"audio-only.mp4", make({"-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac",
                                       (dir / "audio.m4a").string()}, "audio.m4a")});
  c.push_back({"sound.mp4", make({"-f", "lavfi", "-i", "sine=frequency=440:duration=1", (dir / "sound.wav").string()}, "sound.wav")});
  c.push_back({std::string(240, 'n') + ".mp4", "long name, no video"});
  c.push_back({"../../etc/passwd.mp4", "path traversal attempt"});
  c.push_back({std::string("nul\0byte.mp4", 12), "a NUL in the name"});
  c.push_back({"видео 🎥 ünïcödé.mp4", "unicode name, no video"});
  c.push_back({"..", "dots only"});
  return c;
}

} // namespace

TEST_CASE("bad inputs are rejected with reasons while the daemon keeps serving", "[ingest]") {
  test::TempDir dir;
  auto corpus = make_corpus(dir);
  REQUIRE(corpus.size() >= 30);
  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", (dir / "var").string()},
                                                                  {"server.port", "0"},
                                                                  {"jobs.workers", "2"},
                                                                  {"jobs.poll_interval_ms", "20"},
                                                                  {"ingest.max_duration_s", "30"},
                                                                  {"ingest.max_upload_mb", "1"},
                                                                  {"web.anonymous_submissions_per_hour", "1000"},
                                                                  {"faces.models_dir", test::models_root().string()}});
  serve::Daemon daemon(config);
  daemon.start();
  httplib::Client client("127.0.0.1", daemon.port());
  client.set_read_timeout(60);

  std::vector<std::pair<std::string, std::string>> submitted; // file name, status address (with its key)
  for (const auto& input : corpus) {
    httplib::MultipartFormDataItems items = {{"file", input.content, input.filename, "video/mp4"},
                                             {"label", "fake", "", ""},
                                             {"source", "contributor", "", ""}};
    auto res = client.Post("/api/v1/submissions", items);
    REQUIRE(res);
    INFO(input.filename << ": " << res->body);
    REQUIRE(res->status == 202);
    submitted.emplace_back(input.filename, nlohmann::json::parse(res->body)["status_url"].get<std::string>());
  }
  // Not submissions at all: refused at the door.
  auto no_file = client.Post("/api/v1/submissions", httplib::MultipartFormDataItems{{"label", "real", "", ""}});
  REQUIRE(no_file);
  CHECK(no_file->status == 400);
  auto too_big = client.Post("/api/v1/submissions",
                             httplib::MultipartFormDataItems{{"file", std::string(2 << 20, 'x'), "big.mp4", "video/mp4"}});
  // The server answers 413 before reading the body; the client may see that, or a connection closed
  // under its feet while still sending. Either way nothing was accepted.
  if (too_big) CHECK(too_big->status == 413);
  auto bad_label = client.Post("/api/v1/submissions",
                               httplib::MultipartFormDataItems{{"file", "x", "x.mp4", "video/mp4"}, {"label", "maybe", "", ""}});
  REQUIRE(bad_label);
  CHECK(bad_label->status == 400);

  std::map<std::string, std::string> reasons;
  for (const auto& [name, status_url] : submitted) {
    nlohmann::json status;
    REQUIRE(test::eventually([&] {
      auto res = client.Get(status_url.c_str());
      if (!res) return false;
      status = nlohmann::json::parse(res->body);
      return status["state"] != "queued" && status["state"] != "processing";
    }, 60s));
    INFO(name << " -> " << status.dump());
    CHECK(status["state"] == "rejected");
    CHECK_FALSE(status.value("reason", "").empty());
    CHECK(status["name"].get<std::string>().find('/') == std::string::npos); // never a path
    reasons[status["name"].get<std::string>()] = status.value("reason", "");
  }
  std::string summary;
  for (const auto& [name, reason] : reasons) summary += "\n  " + name.substr(0, 40) + ": " + reason;
  WARN(reasons.size() << " rejections:" << summary);
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);

  // A good video after all that junk is still processed.
  test::ffmpeg({"-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                (dir / "good.mp4").string()}, dir.path());
  auto good = client.Post("/api/v1/submissions", httplib::MultipartFormDataItems{
                                                     {"file", test::read_file(dir / "good.mp4"), "good.mp4", "video/mp4"}});
  REQUIRE(good->status == 202);
  const auto good_url = nlohmann::json::parse(good->body)["status_url"].get<std::string>();
  nlohmann::json status;
  REQUIRE(test::eventually([&] {
    auto res = client.Get(good_url.c_str());
    if (!res) return false;
    status = nlohmann::json::parse(res->body);
    return status["state"] == "done";
  }, 180s)); // generous: the first job of the process loads the face models
  CHECK(status["no_face"] == true);
  CHECK(status["frames"] == 32);

  auto conn = daemon.database().connect();
  SQLite::Statement kept(*conn, "SELECT COUNT(*) FROM submissions WHERE state = 'rejected' AND blob_sha256 IS NOT NULL");
  REQUIRE(kept.executeStep());
  CHECK(kept.getColumn(0).getInt() == 0); // a rejected file's bytes are not kept
  SQLite::Statement check(*conn, "PRAGMA integrity_check");
  REQUIRE(check.executeStep());
  CHECK(check.getColumn(0).getString() == "ok");
  CHECK(daemon.stop("test"));
}
