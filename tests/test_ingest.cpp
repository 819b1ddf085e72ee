// Ingest on real clips (shared/data), idempotent re-runs, exact and near-duplicate detection, URL
// submissions from a real HTTP server on loopback.
#include "core/error.hpp"
#include "dataset/snapshot.hpp"
#include "ingest/decode_check.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/importers.hpp"
#include "ingest/tracker.hpp"
#include "ingest/video_checks.hpp"
#include "ingest/video_probe.hpp"
#include "tests/support/ingest_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <httplib.h>

#include <fstream>
#include <random>
#include <thread>

using namespace curator;
namespace fs = std::filesystem;

TEST_CASE("sample indices are evenly spaced or every k-th", "[ingest]") {
  CHECK(ingest::sample_indices(100, 4, 0) == std::vector<int64_t>{12, 37, 62, 87});
  CHECK(ingest::sample_indices(3, 32, 0) == std::vector<int64_t>{0, 1, 2});
  CHECK(ingest::sample_indices(100, 3, 10) == std::vector<int64_t>{0, 10, 20});
  CHECK(ingest::sample_indices(0, 32, 0).empty());
}

TEST_CASE("frame signatures computed together equal each frame's dhash and motion thumbnail", "[ingest]") {
  CURATOR_SHARED_DATA(data);
  const auto clip = data / "video/retalking/1.mp4";
  const auto info = ingest::probe_video(clip);
  std::vector<cv::Mat> rgb;
  for (const auto& f : ingest::sample_frames(clip, ingest::sample_indices(info.frame_count, 24, 0), info.fps)) rgb.push_back(f.rgb);
  REQUIRE(rgb.size() == 24);
  const auto together = ingest::frame_signatures(rgb);
  REQUIRE(together.hashes.size() == rgb.size());
  REQUIRE(together.thumbnails.size() == rgb.size());
  int differ = 0; // thumbnails unlike the first frame's
  for (size_t i = 0; i < rgb.size(); ++i) {
    INFO("frame " << i);
    CHECK(together.hashes[i] == ingest::dhash(rgb[i]));
    const auto alone = ingest::motion_thumbnail(rgb[i]);
    REQUIRE(together.thumbnails[i].size() == alone.size());
    CHECK(cv::norm(together.thumbnails[i], alone, cv::NORM_INF) == 0);
    differ += cv::norm(together.thumbnails[i], together.thumbnails[0], cv::NORM_INF) > 0;
  }
  CHECK(differ >= 20); // a talking head: the frames differ, so order mix-ups would show
  CHECK(ingest::frame_signatures({}).hashes.empty());
}

TEST_CASE("real clips: frame counts, faces in every talking head, one track per person", "[ingest]") {
  CURATOR_SHARED_DATA(data);
  test::IngestEnv env(std::vector<std::pair<std::string, std::string>>{{"ingest.sample_frames", "16"}});
  struct Clip {
    fs::path file;
    int64_t frames; // from details.cfg or the data README; 0 = not given
    bool talking_head;
  };
  const std::vector<Clip> clips = {
      {data / "video/lipnet/bbaf2n.mpg", 0, true},          {data / "video/lipnet/swiz3n.mpg", 0, true},
      {data / "video/sadtalker", 0, true},                  {data / "video/retalking/1.mp4", 0, true},
      {data / "video/edge/elon-musk-smoke.gif", 35, false}, {data / "video/edge/MOT20-05-raw_even_shorter.mp4", 127, false},
      {data / "deepfake/eyecantell/FakeObama.mp4", 0, true}};
  for (const auto& clip : clips) {
    fs::path file = clip.file;
    if (fs::is_directory(file)) file = *fs::directory_iterator(file); // any one of the folder's clips
    auto s = env.ingest_file(file);
    INFO(file.filename().string() << ": " << s.to_json().dump());
    REQUIRE(s.state == ingest::SubmissionState::done);
    auto conn = env.services.db->connect();
    SQLite::Statement v(*conn, "SELECT frame_count FROM videos WHERE submission_id = ?");
    v.bind(1, s.id);
    REQUIRE(v.executeStep());
    if (clip.frames) CHECK(v.getColumn(0).getInt64() == clip.frames);
    if (clip.talking_head) {
      CHECK_FALSE(s.no_face);
      const auto id = std::to_string(s.id);
      CHECK(env.count("SELECT COUNT(*) FROM tracks WHERE video_id = " + id) == 1); // one person, one track
      CHECK(env.count("SELECT COUNT(*) FROM frames WHERE video_id = " + id + " AND face_count = 0") <= 2);
      CHECK(env.count("SELECT COUNT(*) FROM faces WHERE video_id = " + id) >= 14); // of 16 sampled frames
    }
  }
  // Too few frames: kept as rejected, with the count in the reason.
  auto five = env.ingest_file(data / "video/edge/five-frames.mp4");
  CHECK(five.state == ingest::SubmissionState::rejected);
  CHECK_THAT(five.reason.value_or(""), Catch::Contains("only 5 frames"));
  // Crop files exist where the rows say.
  auto conn = env.services.db->connect();
  SQLite::Statement crops(*conn, "SELECT crop_path FROM faces");
  int n = 0;
  while (crops.executeStep()) {
    CHECK(fs::exists(env.services.dir.root() / crops.getColumn(0).getString()));
    ++n;
  }
  CHECK(n > 60);
}

TEST_CASE("faces are found in every talking-head clip", "[ingest]") {
  CURATOR_SHARED_DATA(data);
  test::IngestEnv env(std::vector<std::pair<std::string, std::string>>{{"ingest.sample_frames", "4"}});
  int clips = 0;
  for (const char* folder : {"video/lipnet", "video/retalking", "video/sadtalker", "deepfake/eyecantell"}) {
    for (const auto& file : ingest::find_videos(data / folder)) {
      ingest::SubmissionMeta meta;
      meta.label = file.filename().string().rfind("Fake", 0) == 0 ? ingest::Label::fake : ingest::Label::real;
      auto s = env.ingest_file(file, meta);
      INFO(file.string() << ": " << s.to_json().dump());
      CHECK(s.state == ingest::SubmissionState::done);
      CHECK_FALSE(s.no_face);
      const auto tracks = env.count("SELECT COUNT(*) FROM tracks WHERE video_id = " + std::to_string(s.id));
      // The talking-head sets show one speaker; the film scenes may show someone in the background.
      if (std::string(folder).rfind("video/", 0) == 0) CHECK(tracks == 1);
      else CHECK(tracks >= 1);
      ++clips;
    }
  }
  CHECK(clips >= 29);
}

TEST_CASE("re-running a finished or interrupted job leaves one copy of each row and file", "[ingest]") {
  CURATOR_SHARED_DATA(data);
  test::IngestEnv env;
  auto s = env.ingest_file(data / "video/lipnet/lbax4n.mpg");
  REQUIRE(s.state == ingest::SubmissionState::done);
  const auto id = std::to_string(s.id);
  const auto faces = env.count("SELECT COUNT(*) FROM faces WHERE video_id = " + id);
  const auto files = std::distance(fs::directory_iterator(env.services.dir.root() / "faces" / id), fs::directory_iterator());
  REQUIRE(faces > 0);
  // As if the worker died after writing everything but before the job was marked done.
  {
    auto conn = env.services.db->connect();
    conn->exec("UPDATE submissions SET state = 'processing' WHERE id = " + id);
  }
  CHECK(env.run(s.id).state == ingest::SubmissionState::done);
  CHECK(env.count("SELECT COUNT(*) FROM faces WHERE video_id = " + id) == faces);
  CHECK(env.count("SELECT COUNT(*) FROM videos WHERE submission_id = " + id) == 1);
  CHECK(std::distance(fs::directory_iterator(env.services.dir.root() / "faces" / id), fs::directory_iterator()) == files);
  // A finished job run again changes nothing.
  CHECK(env.run(s.id).state == ingest::SubmissionState::done);
  CHECK(env.count("SELECT COUNT(*) FROM faces WHERE video_id = " + id) == faces);
}

TEST_CASE("a submission whose job died in the dead letter is marked failed at start-up", "[ingest]") {
  test::IngestEnv env;
  std::ofstream(env.dir / "x.mp4") << "whatever";
  auto r = env.services.ingest->submit_file(env.dir / "x.mp4", {}, "path");
  {
    auto conn = env.services.db->connect();
    conn->exec("UPDATE jobs SET state = 'dead', last_error = 'lease expired on the last attempt (worker died?)'");
    conn->exec("UPDATE submissions SET state = 'processing'");
  }
  CHECK(env.services.ingest->reconcile_dead_jobs() == 1);
  auto s = *env.services.ingest->submissions().get(r.id);
  CHECK(s.state == ingest::SubmissionState::failed);
  CHECK_THAT(s.reason.value_or(""), Catch::Contains("worker died"));
  CHECK(env.services.ingest->reconcile_dead_jobs() == 0);
}

TEST_CASE("exact duplicates are dropped; near copies are kept and linked as the same footage", "[ingest]") {
  CURATOR_SHARED_DATA(data);
  test::IngestEnv env;
  const auto clip = data / "deepfake/eyecantell/RealPutin.mp4";
  auto first = env.ingest_file(clip);
  REQUIRE(first.state == ingest::SubmissionState::done);
  auto again = env.ingest_file(clip);
  CHECK(again.state == ingest::SubmissionState::duplicate);
  CHECK(again.duplicate_of == first.id);
  // Re-encoded at another quality and half the size: the same footage, recognised and linked, but kept
  // (only the same bytes are dropped: a subtle reenactment would look the same, see test_reliability).
  test::ffmpeg({"-i", clip.string(), "-vf", "scale=iw/2:-2", "-c:v", "mpeg4", "-q:v", "8", (env.dir / "copy.avi").string()},
               env.dir.path());
  auto copy = env.ingest_file(env.dir / "copy.avi");
  CHECK(copy.state == ingest::SubmissionState::done);
  CHECK(copy.duplicate_of == first.id);
  CHECK_THAT(copy.reason.value_or(""), Catch::Contains("same footage and faces as #" + std::to_string(first.id)));
  CHECK(copy.to_json()["same_footage_as"] == first.id);
  // A face swap of the same shot keeps most of the frame but is not a copy: it is its own fake.
  ingest::SubmissionMeta fake;
  fake.label = ingest::Label::fake;
  auto swapped = env.ingest_file(data / "deepfake/eyecantell/FakePutin.mp4", fake);
  CHECK(swapped.state == ingest::SubmissionState::done);
  // Different footage of a similar kind is not a duplicate.
  auto other = env.ingest_file(data / "deepfake/eyecantell/RealClinton.mp4");
  CHECK(other.state == ingest::SubmissionState::done);
  CHECK(env.count("SELECT COUNT(*) FROM videos") == 4);

  // The dataset keeps the swap and the copy with their original (same person's face, same footage),
  // apart from Clinton.
  CHECK(env.count("SELECT COUNT(*) FROM review_items WHERE state = 'pending'") == 4);
  CHECK(env.count("SELECT COUNT(*) FROM jobs WHERE kind = 'dataset.refresh' AND state = 'queued'") == 1);
  const auto sum = dataset::refresh_splits(*env.services.db, env.clock, dataset::DatasetSettings::from_config(env.config));
  CHECK(sum.units == 2);
  auto group = [&](int64_t id) {
    return env.count("SELECT rowid FROM dataset_videos WHERE group_key = (SELECT group_key FROM dataset_videos "
                     "WHERE submission_id = " + std::to_string(id) + ") ORDER BY rowid LIMIT 1");
  };
  CHECK(group(first.id) == group(swapped.id));
  CHECK(group(first.id) == group(copy.id));
  CHECK(group(first.id) != group(other.id));
  // Nobody confirmed these labels yet: there is nothing to train on.
  CHECK_THROWS_AS(dataset::create_snapshot(*env.services.db, env.services.dir, env.clock,
                                           dataset::DatasetSettings::from_config(env.config)),
                  Conflict);
}

TEST_CASE("a video stored only to be scored is deleted later, unless something still needs its bytes", "[ingest]") {
  test::IngestEnv env;
  auto& svc = env.services;
  auto put = [&](const std::string& text) {
    const auto file = env.dir / "bytes.bin";
    std::ofstream(file, std::ios::binary) << text;
    return svc.blobs->put_file(file);
  };
  auto age = [&](const std::string& sha) { // committed two minutes ago
    std::filesystem::last_write_time(svc.blobs->path_of(sha),
                                     std::filesystem::file_time_type::clock::now() - std::chrono::minutes(2));
  };
  auto queued_forgets = [&] { return env.count("SELECT COUNT(*) FROM jobs WHERE kind = 'blob.forget' AND state = 'queued'"); };

  const auto scored = put("bytes someone only wanted scored");
  svc.ingest->forget_scored_later(scored.sha256);
  CHECK(queued_forgets() == 1);
  CHECK(env.count("SELECT COUNT(*) FROM jobs WHERE kind = 'blob.forget' AND run_at_ms > " +
                  std::to_string(env.clock.now_ms() + ingest::IngestService::kForgetScoredAfterMs - 60000)) == 1);
  // Stored moments ago (as an upload of the same bytes would have it): kept, asked again later.
  auto r = svc.ingest->run_forget(scored.sha256);
  CHECK(r["removed"] == false);
  CHECK(queued_forgets() == 2);
  age(scored.sha256);
  // A score job still waiting for it: kept.
  const int64_t score_job = svc.jobs->enqueue(core::JobSpec::of(core::jobs::kScoreVideo, {{"sha256", scored.sha256}}));
  r = svc.ingest->run_forget(scored.sha256);
  INFO(r.dump());
  CHECK(r["removed"] == false);
  CHECK(svc.blobs->contains(scored.sha256));
  const auto leased = svc.jobs->lease("test", {core::jobs::kScoreVideo.name});
  REQUIRE(leased);
  REQUIRE(leased->id == score_job);
  REQUIRE(svc.jobs->complete(*leased));
  // Scored, nobody else: deleted.
  r = svc.ingest->run_forget(scored.sha256);
  CHECK(r["removed"] == true);
  CHECK_FALSE(svc.blobs->contains(scored.sha256));
  CHECK(svc.ingest->run_forget(scored.sha256)["removed"] == false); // twice is harmless

  // The same bytes also submitted to the dataset: never deleted.
  const auto kept = put("bytes that were also submitted");
  ingest::SubmissionMeta meta;
  meta.label = ingest::Label::real;
  svc.ingest->submit_blob(kept, "clip.mp4", meta);
  age(kept.sha256);
  r = svc.ingest->run_forget(kept.sha256);
  CHECK(r["removed"] == false);
  CHECK(svc.blobs->contains(kept.sha256));
}

TEST_CASE("URL submissions: http(s) only, downloaded with limits", "[ingest]") {
  CURATOR_SHARED_DATA(data);
  httplib::Server server;
  const std::string clip = test::read_file(data / "video/lipnet/sbwe5n.mpg");
  server.Get("/clip.mpg", [&](const httplib::Request&, httplib::Response& res) { res.set_content(clip, "video/mpeg"); });
  server.Get("/big.mp4", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(3 << 20, 'x'), "video/mp4");
  });
  server.Get("/loop", [&](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop"); });
  server.Get("/to-file", [&](const httplib::Request&, httplib::Response& res) { res.set_redirect("file:///etc/passwd"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  // The test server listens on loopback and a free port: both refused unless allowed.
  test::IngestEnv env({{"ingest.max_upload_mb", "1"},
                       {"ingest.url_max_redirects", "2"},
                       {"ingest.url_allow_networks", "127.0.0.0/8"},
                       {"ingest.url_ports", std::to_string(port)}});
  auto submit = [&](const std::string& path) {
    auto r = env.services.ingest->submit_url(base + path, {});
    return env.run(r.id);
  };
  auto ok = submit("/clip.mpg");
  CHECK(ok.state == ingest::SubmissionState::done);
  CHECK(ok.origin == "url");
  CHECK(ok.blob_sha256.has_value());
  auto missing = submit("/nope.mp4");
  CHECK(missing.state == ingest::SubmissionState::rejected);
  CHECK_THAT(missing.reason.value_or(""), Catch::Contains("404"));
  auto big = submit("/big.mp4");
  CHECK(big.state == ingest::SubmissionState::rejected);
  CHECK_THAT(big.reason.value_or(""), Catch::Contains("larger than"));
  CHECK(submit("/loop").state == ingest::SubmissionState::rejected);
  CHECK(submit("/to-file").state == ingest::SubmissionState::rejected);
  CHECK_THROWS_AS(env.services.ingest->submit_url("file:///etc/passwd", {}), InvalidInput);
  CHECK_THROWS_AS(env.services.ingest->submit_url("ftp://example.org/x.mp4", {}), InvalidInput);
  server.stop();
  thread.join();
}

TEST_CASE("the tracker never puts two faces of one frame in one track", "[ingest]") {
  faces::DetectedFace a, b;
  a.box = {10, 10, 50, 50, 0.9f};
  b.box = {300, 10, 50, 50, 0.9f};
  faces::Embedding e{};
  a.embedding = e;
  e[0] = 0.1f; // close enough to be "the same person", yet both in frame 0
  b.embedding = e;
  auto t = ingest::assign_tracks({{a, b}, {a}}, {});
  CHECK(t[0][0] != t[0][1]);
}

TEST_CASE("the tracker links faces by overlap and merges a person who comes back", "[ingest]") {
  auto face = [](float x, float value) {
    faces::DetectedFace f;
    f.box = {x, 10, 50, 50, 0.9f};
    faces::Embedding e{};
    e[0] = value;
    f.embedding = e;
    return f;
  };
  // Person A (embedding 0) at x=10, person B (embedding 1) at x=200; A leaves and returns elsewhere.
  std::vector<std::vector<faces::DetectedFace>> frames = {
      {face(10, 0), face(200, 1)}, {face(12, 0.02f), face(202, 1)}, {face(204, 1.01f)}, {face(400, 0.01f), face(205, 1)}};
  auto t = ingest::assign_tracks(frames, {});
  CHECK(t[0] == std::vector<int>{0, 1});
  CHECK(t[1] == std::vector<int>{0, 1});
  CHECK(t[2] == std::vector<int>{1});
  CHECK(t[3] == std::vector<int>{0, 1});
}

TEST_CASE("sampling decodes the whole stream and counts its frames; broken data falls short of the packets",
          "[ingest]") {
  test::TempDir tmp;
  const auto clip = tmp / "clip.mp4";
  const auto made = test::run({"/usr/bin/ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                               "testsrc2=size=320x240:rate=25:duration=8", "-c:v", "libx264", "-preset", "veryfast",
                               "-pix_fmt", "yuv420p", "-g", "25", clip.string()},
                              {}, tmp.path());
  REQUIRE(made.exit_code == 0);
  const auto info = ingest::probe_video(clip);
  int64_t decoded = -1;
  const auto frames = ingest::sample_frames(clip, ingest::sample_indices(info.frame_count, 8, 0), info.fps, &decoded);
  CHECK(frames.size() == 8);
  CHECK(decoded == 200); // on past the last sampled frame (187) to the end
  CHECK(ingest::count_packets(clip) == std::optional<int64_t>(200));
  const auto full = ingest::check_decode(clip);
  REQUIRE(full);
  CHECK(full->frames == decoded);

  // 4 KB of random bytes in the middle: OpenCV's reader stops there, FFmpeg's decoder counts the damage.
  std::ifstream in(clip, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::mt19937 rng(3);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 4096; ++i) bytes[i] = static_cast<char>(rng());
  const auto broken = tmp / "broken.mp4";
  std::ofstream(broken, std::ios::binary) << bytes;
  int64_t decoded_broken = -1;
  ingest::sample_frames(broken, ingest::sample_indices(info.frame_count, 8, 0), info.fps, &decoded_broken);
  const auto packets = ingest::count_packets(broken);
  REQUIRE(packets);
  CHECK(decoded_broken < *packets);
  const auto report = ingest::check_decode(broken);
  REQUIRE(report);
  CHECK(report->broken() > 0);
}
