// Snapshots (only confirmed, content-hashed, exports) and the leakage audit: clean on an honest
// snapshot, and it catches one deliberately injected leak of each kind, in-process and through the CLI.
#include "dataset/audit.hpp"
#include "dataset/snapshot.hpp"
#include "dataset/stats.hpp"
#include "labeling/accounts.hpp"
#include "serve/daemon.hpp"
#include "tests/support/dataset_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_data.hpp"

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/job_queue.hpp"
#include "core/settings.hpp"
#include "core/sha256.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <httplib.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

using namespace curator;

namespace {

// Sixteen people, each in a real and a fake video (confirmed), plus two pending videos.
void populate(test::DatasetFixture& fx) {
  for (int p = 0; p < 16; ++p)
    for (const char* label : {"real", "fake"}) {
      test::FakeVideo v;
      v.key = "p" + std::to_string(p) + label;
      v.label = label;
      v.source = p % 2 ? "youtube" : "dfdc";
      v.tracks = {fx.face_of(p)};
      fx.add(v);
    }
  for (int p = 100; p < 102; ++p) {
    test::FakeVideo v;
    v.key = "pending" + std::to_string(p);
    v.tracks = {fx.face_of(p)};
    v.confirmed = false;
    fx.add(v);
  }
}

// A split written straight into the table, as a bug in the planner would.
void inject(test::DatasetFixture& fx, int64_t id, const std::string& split, const std::string& group) {
  auto conn = fx.db.connect();
  SQLite::Statement q(*conn, "INSERT INTO dataset_videos(submission_id, state, split, group_key, decision, "
                             "assigned_ms, updated_ms) VALUES (?, 'assigned', ?, ?, 'injected', 0, 0)");
  q.bind(1, id), q.bind(2, split), q.bind(3, group);
  q.exec();
}

void retire(test::DatasetFixture& fx, int64_t id) {
  auto conn = fx.db.connect();
  SQLite::Statement q(*conn, "UPDATE dataset_videos SET state = 'excluded' WHERE submission_id = ?");
  q.bind(1, id);
  q.exec();
}

struct Assigned {
  int64_t id;
  std::string split, group;
};

Assigned assigned(test::DatasetFixture& fx, const std::string& key) {
  auto conn = fx.db.connect();
  SQLite::Statement q(*conn, "SELECT s.id, d.split, d.group_key FROM submissions s JOIN dataset_videos d ON "
                             "d.submission_id = s.id WHERE s.blob_sha256 = ?");
  q.bind(1, key);
  REQUIRE(q.executeStep());
  return {q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString()};
}

std::string other_split(const std::string& split) { return split == "test" ? "train" : "test"; }

dataset::AuditReport audit_now(test::DatasetFixture& fx) {
  const dataset::DatasetSettings settings;
  const auto snap = dataset::create_snapshot(fx.db, fx.dir, fx.clock, settings);
  return dataset::audit_snapshot(fx.db, snap.id, dataset::read_manifest(snap.manifest), settings);
}

int count(const dataset::AuditReport& r, const std::string& kind) { return r.counts.count(kind) ? r.counts.at(kind) : 0; }

} // namespace

TEST_CASE("a snapshot holds confirmed crops only and its id is the hash of its content", "[dataset]") {
  test::DatasetFixture fx;
  const dataset::DatasetSettings settings;
  CHECK_THROWS_AS(dataset::create_snapshot(fx.db, fx.dir, fx.clock, settings), Conflict); // nothing yet
  populate(fx);
  dataset::refresh_splits(fx.db, fx.clock, settings);
  const auto snap = dataset::create_snapshot(fx.db, fx.dir, fx.clock, settings);
  CHECK(snap.videos == 32);
  CHECK(snap.items == 64); // two crops a video
  CHECK(snap.id == core::sha256_file(snap.manifest));
  const auto items = dataset::read_manifest(snap.manifest);
  REQUIRE(items.size() == 64);
  std::set<std::string> labels;
  for (const auto& m : items) {
    CHECK(m.sha256 == core::sha256_file(fx.dir.root() / m.crop));
    CHECK(m.group.rfind("g-", 0) == 0);
    labels.insert(m.label);
  }
  CHECK(labels == std::set<std::string>{"real", "fake"});
  CHECK(snap.summary["sources"]["dfdc"].is_object());

  // Same membership: same id and file. One more confirmed video: a new snapshot, the old one intact.
  fx.clock.advance_ms(1000);
  CHECK(dataset::create_snapshot(fx.db, fx.dir, fx.clock, settings).id == snap.id);
  {
    auto conn = fx.db.connect();
    conn->exec("UPDATE review_items SET state = 'confirmed', label = 'real' WHERE submission_id = "
               "(SELECT id FROM submissions WHERE blob_sha256 = 'pending100')");
  }
  const auto next = dataset::create_snapshot(fx.db, fx.dir, fx.clock, settings);
  CHECK(next.id != snap.id);
  CHECK(next.items == 66);
  CHECK(core::sha256_file(snap.manifest) == snap.id);
  CHECK(dataset::list_snapshots(fx.db, fx.dir).size() == 2);
  CHECK(dataset::find_snapshot(fx.db, fx.dir, next.id.substr(0, 10)).id == next.id);

  std::ostringstream csv;
  dataset::export_csv(items, csv);
  const std::string text = csv.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 65);
  CHECK(text.rfind("crop,sha256,label,source,split,group,video,track,frame", 0) == 0);
}

TEST_CASE("FF++-style pair export lists each fake's originals under its split", "[dataset]") {
  test::DatasetFixture fx;
  for (int p : {0, 3}) {
    test::FakeVideo v;
    v.key = "orig" + std::to_string(p);
    v.source = "ffpp";
    v.external_id = "00" + std::to_string(p);
    v.tracks = {fx.face_of(p)};
    fx.add(v);
  }
  test::FakeVideo fake;
  fake.key = "fake";
  fake.source = "ffpp";
  fake.label = "fake";
  fake.external_id = "000_003";
  fake.derived_from = {"000", "003"};
  fake.tracks = {fx.face_of(7)};
  fx.add(fake);
  const dataset::DatasetSettings settings;
  dataset::refresh_splits(fx.db, fx.clock, settings);
  const auto snap = dataset::create_snapshot(fx.db, fx.dir, fx.clock, settings);
  const auto pairs = dataset::export_ffpp_pairs(fx.db, dataset::read_manifest(snap.manifest));
  const std::string split = assigned(fx, "fake").split;
  REQUIRE(pairs[split].size() == 1);
  CHECK(pairs[split][0] == nlohmann::json::array({"000", "003"}));
}

TEST_CASE("the audit passes an honest snapshot and catches an injected leak of each kind", "[dataset]") {
  test::DatasetFixture fx;
  populate(fx);
  const dataset::DatasetSettings settings;
  dataset::refresh_splits(fx.db, fx.clock, settings);
  const auto honest = audit_now(fx);
  INFO(honest.to_text());
  CHECK(honest.clean());
  CHECK(honest.videos == 32);
  CHECK(honest.tracks == 32);

  SECTION("a group on two sides") {
    const auto base = assigned(fx, "p3real");
    test::FakeVideo v;
    v.key = "leak-group";
    v.tracks = {fx.face_of(3)};
    const int64_t id = fx.add(v);
    inject(fx, id, other_split(base.split), base.group);
    const auto r = audit_now(fx);
    INFO(r.to_text());
    CHECK(count(r, "group_on_two_sides") == 1);
    CHECK_FALSE(r.clean());
    retire(fx, id);
    CHECK(audit_now(fx).clean());
  }
  SECTION("close face tracks on two sides") {
    const auto base = assigned(fx, "p5real");
    test::FakeVideo v;
    v.key = "leak-tracks";
    v.tracks = {fx.face_of(5)};
    const int64_t id = fx.add(v);
    inject(fx, id, other_split(base.split), "g-injected");
    const auto r = audit_now(fx);
    INFO(r.to_text());
    CHECK(count(r, "close_tracks") >= 1);
    CHECK(count(r, "group_on_two_sides") == 0);
    CHECK(r.to_json()["leaks"][0]["evidence"]["distance"].get<double>() < settings.grouping.threshold);
  }
  SECTION("the same footage on two sides") {
    test::FakeVideo a, b;
    a.key = "footage-a";
    a.tracks = {fx.face_of(200)};
    a.frame_hashes = {0xaaaaaaaaaaaaaaaaULL, 0x5555555555555555ULL, 0x0f0f0f0f0f0f0f0fULL};
    b = a;
    b.key = "footage-b";
    b.label = "fake";
    b.tracks = {fx.face_of(201)};
    const int64_t ia = fx.add(a), ib = fx.add(b);
    inject(fx, ia, "train", "g-a");
    inject(fx, ib, "test", "g-b");
    const auto r = audit_now(fx);
    INFO(r.to_text());
    CHECK(count(r, "near_duplicate_footage") == 1);
    CHECK(count(r, "close_tracks") == 0);
  }
  SECTION("a derived fake away from its original") {
    const auto base = assigned(fx, "p8real");
    test::FakeVideo v;
    v.key = "leak-derived";
    v.label = "fake";
    v.derived_from = {"#" + std::to_string(base.id)};
    v.tracks = {fx.face_of(300)};
    const int64_t id = fx.add(v);
    inject(fx, id, other_split(base.split), "g-derived");
    const auto r = audit_now(fx);
    INFO(r.to_text());
    CHECK(count(r, "derived_across") == 1);
    CHECK(count(r, "close_tracks") == 0);
    CHECK(count(r, "group_on_two_sides") == 0);
  }
}

TEST_CASE("the audit's independent check lists near faces the grouping let apart, without blocking", "[dataset]") {
  test::DatasetFixture fx;
  populate(fx);
  const dataset::DatasetSettings settings;
  dataset::refresh_splits(fx.db, fx.clock, settings);
  CHECK(audit_now(fx).suspect_count == 0); // sixteen people far apart
  // A face 0.35-0.4 from person 7: further than the grouping joins (0.31 on average), nearer than
  // dataset.suspect_distance (0.45), on the other side.
  const auto base = assigned(fx, "p7real");
  dataset::Vec128 a = fx.face_of(7), r = fx.face_of(400);
  auto scale = [](dataset::Vec128& v) {
    float n = 0;
    for (float x : v) n += x * x;
    for (float& x : v) x /= std::sqrt(n);
  };
  scale(a);
  float dot = 0;
  for (int k = 0; k < 128; ++k) dot += a[k] * r[k];
  for (int k = 0; k < 128; ++k) r[k] -= dot * a[k];
  scale(r);
  dataset::Vec128 near{};
  for (int k = 0; k < 128; ++k) near[k] = a[k] + 0.38f * r[k];
  test::FakeVideo v;
  v.key = "near-7";
  v.tracks = {near};
  const int64_t id = fx.add(v);
  inject(fx, id, other_split(base.split), "g-near");
  const auto report = audit_now(fx);
  INFO(report.to_text());
  CHECK(count(report, "close_tracks") == 0);
  CHECK(report.clean()); // the grouping's checks see nothing...
  REQUIRE(report.suspect_count >= 1); // ... the independent one does
  const auto json = report.to_json();
  const auto& first = json["suspects"][0];
  CHECK(first["evidence"]["distance"].get<double>() > settings.grouping.threshold);
  CHECK(first["evidence"]["distance"].get<double>() < settings.suspect_distance);
  CHECK((first["evidence"]["a"]["video"] == id || first["evidence"]["b"]["video"] == id));
  CHECK(report.to_text().find("suspects") != std::string::npos);
}

TEST_CASE("curator dataset snapshot and audit from the command line", "[dataset]") {
  test::DatasetFixture fx;
  populate(fx);
  const std::string bin = test::required_env_path("CURATOR_BIN").string();
  const std::vector<std::string> data = {"--data-dir", fx.dir.root().string()};
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {bin, "dataset"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), data.begin(), data.end());
    return test::run(argv, {}, fx.tmp.path());
  };
  auto snap = cli({"snapshot"});
  INFO(snap.err);
  REQUIRE(snap.exit_code == 0);
  const auto line = nlohmann::json::parse(snap.out);
  const std::string id = line.at("id");
  CHECK(std::filesystem::exists(line.at("manifest").get<std::string>()));
  const auto ok = cli({"audit", id});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("ok   close_tracks: 0") != std::string::npos);

  const auto stats = cli({"stats", "--json"});
  INFO(stats.out);
  REQUIRE(stats.exit_code == 0);
  const auto table = nlohmann::json::parse(stats.out);
  int videos = 0;
  for (const auto& row : table["sources"])
    videos += row["real_videos"].get<int>() + row["fake_videos"].get<int>() + row["unknown_videos"].get<int>();
  CHECK(videos == 34); // the two pending videos have splits too; only snapshots require confirmation

  // A clip of person 2 assigned to the other side (a planner bug): the next snapshot keeps the whole unit
  // out (a conflict, listed by stats), and a manifest that still lists it fails the audit.
  const auto base = assigned(fx, "p2fake");
  test::FakeVideo v;
  v.key = "cli-leak";
  v.tracks = {fx.face_of(2)};
  const int64_t leak = fx.add(v);
  inject(fx, leak, other_split(base.split), base.group);
  const auto next = nlohmann::json::parse(cli({"snapshot"}).out);
  for (const auto& m : dataset::read_manifest(next.at("manifest").get<std::string>())) CHECK(m.group != base.group);
  CHECK(nlohmann::json::parse(cli({"stats", "--json"}).out)["conflicts"].size() == 3);
  std::string leaky_manifest = test::read_file(line.at("manifest").get<std::string>());
  for (const auto& m : dataset::read_manifest(line.at("manifest").get<std::string>()))
    if (m.group == base.group) {
      auto copy = m;
      copy.video = leak;
      copy.split = other_split(base.split);
      leaky_manifest += copy.to_json().dump() + "\n";
      break;
    }
  const auto leaky_path = fx.tmp.path() / "leaky.jsonl";
  std::ofstream(leaky_path) << leaky_manifest;
  const auto bad = cli({"audit", leaky_path.string(), "--json"});
  CHECK(bad.exit_code == 3);
  const auto report = nlohmann::json::parse(bad.out);
  CHECK(report["counts"]["group_on_two_sides"] == 1);
  CHECK(report["clean"] == false);

  const auto csv = fx.tmp.path() / "out.csv";
  CHECK(cli({"export", id, "--format", "csv", "--out", csv.string()}).exit_code == 0);
  CHECK(test::read_file(csv).rfind("crop,", 0) == 0);
  CHECK(cli({"audit", "ffffffff"}).exit_code != 0);
}

TEST_CASE("the daemon refreshes splits as a job and serves stats and snapshots", "[dataset]") {
  test::DatasetFixture fx;
  populate(fx);
  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", fx.dir.root().string()},
                                                                  {"server.port", "0"},
                                                                  {"jobs.workers", "1"},
                                                                  {"scheduler.enabled", "false"},
                                                                  {"jobs.poll_interval_ms", "20"}});
  serve::Daemon daemon(config);
  daemon.start();
  daemon.jobs().enqueue({"dataset.refresh"}); // what ingest queues when a video is done
  httplib::Client client("127.0.0.1", daemon.port());
  nlohmann::json stats;
  REQUIRE(test::eventually(
      [&] {
        stats = nlohmann::json::parse(client.Get("/api/v1/dataset/stats")->body);
        return stats["unassigned"] == 0;
      },
      std::chrono::seconds(20)));
  int videos = 0;
  for (const auto& row : stats["sources"]) videos += row["real_videos"].get<int>() + row["fake_videos"].get<int>();
  CHECK(videos == 34);
  CHECK(stats["latest_snapshot"].is_null());

  const auto snap = dataset::create_snapshot(daemon.database(), fx.dir, fx.clock, dataset::DatasetSettings{});
  // Snapshots list every confirmed crop: staff only (counts above are for anyone).
  CHECK(client.Get("/api/v1/dataset/snapshots")->status == 401);
  CHECK(client.Get(("/api/v1/dataset/snapshots/" + snap.id + "/manifest").c_str())->status == 401);
  labeling::Accounts(daemon.database(), fx.clock, labeling::PasswordCost::minimum())
      .add_user("test", "olga", labeling::Role::reviewer, "olga-password");
  auto signed_in = client.Post("/api/v1/session", R"({"username":"olga","password":"olga-password"})", "application/json");
  REQUIRE(signed_in->status == 200);
  const std::string cookie = signed_in->get_header_value("Set-Cookie");
  client.set_default_headers({{"Cookie", cookie.substr(0, cookie.find(';'))}});
  const auto list = nlohmann::json::parse(client.Get("/api/v1/dataset/snapshots")->body);
  REQUIRE(list["snapshots"].size() == 1);
  CHECK(list["snapshots"][0]["id"] == snap.id);
  CHECK_FALSE(list["snapshots"][0].contains("manifest")); // no server paths
  const auto one = client.Get(("/api/v1/dataset/snapshots/" + snap.id.substr(0, 8)).c_str());
  CHECK(one->status == 200);
  CHECK(nlohmann::json::parse(one->body)["items"] == snap.items);
  const auto manifest = client.Get(("/api/v1/dataset/snapshots/" + snap.id + "/manifest").c_str());
  REQUIRE(manifest->status == 200);
  CHECK(core::sha256_hex(manifest->body) == snap.id);
  CHECK(client.Get("/api/v1/dataset/snapshots/abcdef12")->status == 404);
  daemon.stop("test");
}

TEST_CASE("a unit found in two splits is a conflict: listed, kept out of snapshots, never blocking training", "[dataset]") {
  test::DatasetFixture fx;
  populate(fx);
  const dataset::DatasetSettings settings;
  dataset::refresh_splits(fx.db, fx.clock, settings);
  // Person 3's second clip, assigned to the other side as older settings (or a planner bug) would have.
  const auto base = assigned(fx, "p3real");
  test::FakeVideo v;
  v.key = "p3-other-source";
  v.source = "youtube";
  v.tracks = {fx.face_of(3)};
  const int64_t id = fx.add(v);
  inject(fx, id, other_split(base.split), "g-older");
  const auto sum = dataset::refresh_splits(fx.db, fx.clock, settings);
  CHECK(sum.conflicts == 1);
  const auto stats = dataset::dataset_stats(fx.db);
  INFO(stats["conflicts"].dump());
  CHECK(stats["conflicts"].size() == 3); // p3real, p3fake and the new clip: the whole unit
  const auto listed = dataset::conflicts(fx.db);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].find("#" + std::to_string(id)) != std::string::npos);
  const auto snap = dataset::create_snapshot(fx.db, fx.dir, fx.clock, settings);
  for (const auto& m : dataset::read_manifest(snap.manifest)) CHECK(m.group != base.group);
  CHECK(snap.videos == 33 - 3); // the whole unit (p3real, p3fake and the clip) left out
  // The snapshot without the unit is clean: training goes on while the conflict waits for a person.
  CHECK_NOTHROW(dataset::require_no_leaks(fx.db, snap.id, dataset::read_manifest(snap.manifest), settings));
  // An admin excludes the odd clip: the unit is whole again, and snapshots take it back.
  dataset::exclude_video(fx.db, fx.clock, id, "the same person as p3, imported twice");
  CHECK(dataset::refresh_splits(fx.db, fx.clock, settings).conflicts == 0);
  const auto again = dataset::create_snapshot(fx.db, fx.dir, fx.clock, settings);
  CHECK(again.videos == 32);
  CHECK_NOTHROW(dataset::require_no_leaks(fx.db, again.id, dataset::read_manifest(again.manifest), settings));
}
