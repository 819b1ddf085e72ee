// The submitting half of IngestService; the job itself is in ingest_job.cpp.
#include "ingest/ingest_service.hpp"

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace curator::ingest {

namespace {
// Job dedupe keys: one download and one ingest job per submission.
constexpr const char* kIngestKeyPrefix = "ingest:";
constexpr const char* kFetchKeyPrefix = "fetch:";
std::string ingest_key(int64_t id) { return kIngestKeyPrefix + std::to_string(id); }
std::string fetch_key(int64_t id) { return kFetchKeyPrefix + std::to_string(id); }
} // namespace

IngestSettings IngestSettings::from_config(const core::Config& c) {
  IngestSettings s;
  s.limits = VideoLimits::from_config(c);
  s.sample_frames = static_cast<int>(c.get(core::keys::ingest_sample_frames));
  s.sample_every = static_cast<int>(c.get(core::keys::ingest_sample_every));
  s.detect_every = static_cast<int>(c.get(core::keys::ingest_detect_every));
  s.follow_landmarks = c.get(core::keys::ingest_follow_landmarks);
  s.near_duplicate_bits = static_cast<int>(c.get(core::keys::ingest_near_duplicate_bits));
  s.copy_face_difference = c.get(core::keys::ingest_copy_face_difference);
  s.min_score = static_cast<float>(c.get(core::keys::faces_min_score));
  s.crop_size = static_cast<int>(c.get(core::keys::faces_crop_size));
  s.min_face_px = static_cast<int>(c.get(core::keys::faces_min_face_px));
  s.blur_threshold = c.get(core::keys::faces_blur_threshold);
  s.tracker.min_iou = static_cast<float>(c.get(core::keys::faces_track_iou));
  s.tracker.same_person_distance = static_cast<float>(c.get(core::keys::faces_same_person_distance));
  s.fetch.max_bytes = c.get(core::keys::ingest_max_upload_mb) << 20;
  s.fetch.timeout_s = static_cast<int>(c.get(core::keys::ingest_url_timeout_s));
  s.fetch.max_redirects = static_cast<int>(c.get(core::keys::ingest_url_max_redirects));
  s.fetch.min_bytes_per_s = static_cast<int>(c.get(core::keys::ingest_url_min_kb_per_s)) * 1024;
  s.max_broken_share = c.get(core::keys::ingest_max_broken_share);
  s.check_every_picture = c.get(core::keys::ingest_check_every_picture);
  s.fetch.allowed = core::NetworkList(c.get(core::keys::ingest_url_allow_networks), "ingest.url_allow_networks");
  s.fetch.ports.clear();
  std::stringstream ports(c.get(core::keys::ingest_url_ports));
  for (std::string p; std::getline(ports, p, ',');) {
    p.erase(0, p.find_first_not_of(' '));
    p.erase(p.find_last_not_of(' ') + 1);
    int port = 0;
    try {
      port = std::stoi(p);
    } catch (const std::exception&) {
    }
    if (port < 1 || port > 65535) throw ConfigError("ingest.url_ports: '" + p + "' is not a port number");
    s.fetch.ports.insert(port);
  }
  return s;
}

nlohmann::json Receipt::to_json() const {
  nlohmann::json j = {{"id", id}, {"path", path}, {"state", state}, {"access_key", access_key}};
  if (reason) j["reason"] = *reason;
  return j;
}

IngestService::IngestService(core::Database& db, const core::BlobStore& blobs, core::JobQueue& jobs,
                             const core::Clock& clock, core::DataDir dir, IngestSettings settings, FacesProvider faces)
    : db_(db), blobs_(blobs), jobs_(jobs), clock_(clock), dir_(std::move(dir)), settings_(std::move(settings)),
      faces_(std::move(faces)), submissions_(db), videos_(db) {}

Receipt IngestService::create(const std::string& origin, const std::string& name, const std::optional<std::string>& url,
                              const std::optional<core::BlobRef>& blob, const SubmissionMeta& meta,
                              const std::optional<std::string>& rejection) {
  meta.validate();
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  const int64_t now = clock_.now_ms();
  const auto key = AccessKey::generate();
  const int64_t id = submissions_.insert(*conn, origin, name, url, blob ? std::optional(blob->sha256) : std::nullopt,
                                         blob ? static_cast<int64_t>(blob->size) : 0, meta, key.hash, now);
  if (rejection) {
    submissions_.reject(*conn, id, *rejection, now);
  } else {
    const bool download = url && !blob;
    jobs_.enqueue(*conn, download ? core::JobSpec::of(core::jobs::kIngestFetch, {{"submission", id}}, fetch_key(id))
                                  : core::JobSpec::of(core::jobs::kIngestVideo, {{"submission", id}}, ingest_key(id)));
  }
  txn.commit();
  return Receipt{id, name, rejection ? "rejected" : "queued", rejection, key.key};
}

Receipt IngestService::submit_file(const std::filesystem::path& file, const SubmissionMeta& meta,
                                   const std::string& origin) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw NotFound("not a readable file: " + display_name(file.string()));
  const auto size = static_cast<int64_t>(std::filesystem::file_size(file, ec));
  if (!ec && size > settings_.fetch.max_bytes)
    return create(origin, file.string(), std::nullopt, std::nullopt, meta,
                  "file is " + std::to_string(size >> 20) + " MB, above the limit of " +
                      std::to_string(settings_.fetch.max_bytes >> 20) + " MB");
  return create(origin, file.string(), std::nullopt, blobs_.put_file(file), meta, std::nullopt);
}

Receipt IngestService::submit_blob(const core::BlobRef& blob, const std::string& name, const SubmissionMeta& meta) {
  return create("upload", name, std::nullopt, blob, meta, std::nullopt);
}

Receipt IngestService::submit_url(const std::string& url, const SubmissionMeta& meta) {
  check_url(url, settings_.fetch);
  return create("url", url, url, std::nullopt, meta, std::nullopt);
}

void IngestService::register_jobs(core::WorkerPool& pool) {
  pool.register_kind(kJobKind, [this](const core::Job& job, core::JobContext& ctx) {
    const auto id = job.payload.value("submission", int64_t{0});
    if (id <= 0) throw core::PermanentJobError("ingest job without a submission id");
    return run_job(id, ctx, job.attempts >= job.max_attempts);
  });
  pool.register_kind(core::jobs::kBlobForget.name, [this](const core::Job& job, core::JobContext&) {
    return run_forget(job.payload.at("sha256").get<std::string>());
  });
}

void IngestService::forget_scored_later(const std::string& sha256) {
  auto spec = core::JobSpec::of(core::jobs::kBlobForget, {{"sha256", sha256}});
  spec.delay_ms = kForgetScoredAfterMs;
  jobs_.enqueue(spec);
}

nlohmann::json IngestService::run_forget(const std::string& sha256) {
  if (!blobs_.contains(sha256)) return {{"removed", false}, {"reason", "already gone"}};
  if (submissions_.blob_users(sha256) > 0) return {{"removed", false}, {"reason", "a submission has these bytes"}};
  if (jobs_.has_unfinished_with(core::jobs::kScoreVideo.name, "sha256", sha256)) {
    forget_scored_later(sha256);
    return {{"removed", false}, {"reason", "still being scored: asked again later"}};
  }
  if (blobs_.seconds_since_commit(sha256) < 60) {
    forget_scored_later(sha256);
    return {{"removed", false}, {"reason", "stored again moments ago: asked again later"}};
  }
  return {{"removed", blobs_.remove(sha256)}, {"reason", "stored only to be scored"}};
}

void IngestService::register_fetch_jobs(core::WorkerPool& pool) {
  pool.register_kind(kFetchKind, [this](const core::Job& job, core::JobContext&) {
    const auto id = job.payload.value("submission", int64_t{0});
    if (id <= 0) throw core::PermanentJobError("download job without a submission id");
    return run_fetch(id, job.attempts >= job.max_attempts);
  });
}

nlohmann::json IngestService::run_fetch(int64_t id, bool last_attempt) {
  auto sub = submissions_.get(id);
  if (!sub) throw core::PermanentJobError("no submission " + std::to_string(id));
  if (!in_flight(sub->state)) return {{"state", submission_state_name(sub->state)}, {"note", "already finished"}};
  if (!sub->url) throw core::PermanentJobError("submission " + std::to_string(id) + " has no URL");
  submissions_.set_state(id, SubmissionState::processing, std::nullopt, clock_.now_ms());
  core::BlobRef blob;
  try {
    blob = fetch_url(*sub->url, blobs_, settings_.fetch);
  } catch (const InvalidInput& e) {
    finish(id, SubmissionState::rejected, e.what());
    return {{"state", "rejected"}, {"reason", e.what()}};
  } catch (const std::exception& e) { // disk, database: transient
    finish(id, last_attempt ? SubmissionState::failed : SubmissionState::queued, std::string(last_attempt ? "" : "retrying: ") + e.what());
    throw;
  }
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  submissions_.attach_blob(*conn, id, blob.sha256, static_cast<int64_t>(blob.size), clock_.now_ms());
  jobs_.enqueue(*conn, core::JobSpec::of(core::jobs::kIngestVideo, {{"submission", id}}, ingest_key(id)));
  txn.commit();
  return {{"state", "downloaded"}, {"bytes", blob.size}};
}

std::vector<FootageRow> IngestService::footage_candidates(int64_t id, const std::string& label, const std::string& method,
                                                          const std::vector<uint64_t>& frame_hashes) {
  std::vector<FootageRow> out;
  for (auto& row : videos_.footage(id, label, method))
    if (mean_hash_distance(frame_hashes, row.frame_hashes) <= settings_.near_duplicate_bits) out.push_back(std::move(row));
  return out;
}

void IngestService::forget_download(const Submission& sub) {
  if (!sub.blob_sha256) return; // uploads and downloads alike: a rejected file's bytes are not kept
  if (submissions_.blob_users(*sub.blob_sha256) > 1) return; // another submission has the same bytes
  blobs_.remove(*sub.blob_sha256);
  submissions_.detach_blob(sub.id);
}

bool IngestService::unfinished(int64_t id) {
  const auto sub = submissions_.get(id);
  if (!sub || !in_flight(sub->state)) return false;
  for (const auto& key : {fetch_key(id), ingest_key(id)})
    if (jobs_.state_by_key(key) == core::JobState::dead) return false;
  return true;
}

int IngestService::reconcile_dead_jobs() {
  std::vector<std::pair<int64_t, std::string>> died;
  for (const char* prefix : {kIngestKeyPrefix, kFetchKeyPrefix})
    for (const auto& [key, error] : jobs_.dead_by_key_prefix(prefix)) {
      const auto id = std::strtoll(key.c_str() + std::strlen(prefix), nullptr, 10);
      if (id > 0) died.emplace_back(id, error.empty() ? "ingest job died" : error);
    }
  return submissions_.fail_unfinished(died, clock_.now_ms());
}

void IngestService::finish(int64_t id, SubmissionState state, const std::optional<std::string>& reason,
                           std::optional<int64_t> duplicate_of) {
  submissions_.finish(id, state, reason, duplicate_of, clock_.now_ms());
}

} // namespace curator::ingest
