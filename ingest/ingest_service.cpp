// The submitting half of IngestService; the job itself is in ingest_job.cpp.
#include "ingest/ingest_service.hpp"

#include "core/config.hpp"
#include "core/error.hpp"

#include <SQLiteCpp/Statement.h>

namespace curator::ingest {

IngestSettings IngestSettings::from_config(const core::Config& c) {
  IngestSettings s;
  s.limits = VideoLimits::from_config(c);
  s.sample_frames = static_cast<int>(c.get_int("ingest.sample_frames"));
  s.sample_every = static_cast<int>(c.get_int("ingest.sample_every"));
  s.near_duplicate_bits = static_cast<int>(c.get_int("ingest.near_duplicate_bits"));
  s.min_score = static_cast<float>(c.get_double("faces.min_score"));
  s.crop_size = static_cast<int>(c.get_int("faces.crop_size"));
  s.min_face_px = static_cast<int>(c.get_int("faces.min_face_px"));
  s.blur_threshold = c.get_double("faces.blur_threshold");
  s.tracker.min_iou = static_cast<float>(c.get_double("faces.track_iou"));
  s.tracker.same_person_distance = static_cast<float>(c.get_double("faces.same_person_distance"));
  s.fetch.max_bytes = c.get_int("ingest.max_upload_mb") << 20;
  s.fetch.timeout_s = static_cast<int>(c.get_int("ingest.url_timeout_s"));
  s.fetch.max_redirects = static_cast<int>(c.get_int("ingest.url_max_redirects"));
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
      faces_(std::move(faces)), submissions_(db) {}

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
    SQLite::Statement q(*conn, "UPDATE submissions SET state = 'rejected', reason = ? WHERE id = ?");
    q.bind(1, *rejection);
    q.bind(2, id);
    q.exec();
  } else {
    core::JobSpec job{kJobKind, {{"submission", id}}};
    job.dedupe_key = "ingest:" + std::to_string(id);
    jobs_.enqueue(*conn, job);
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
  check_url(url);
  return create("url", url, url, std::nullopt, meta, std::nullopt);
}

void IngestService::register_jobs(core::WorkerPool& pool) {
  pool.register_kind(kJobKind, [this](const core::Job& job, core::JobContext& ctx) {
    const auto id = job.payload.value("submission", int64_t{0});
    if (id <= 0) throw core::PermanentJobError("ingest job without a submission id");
    return run_job(id, ctx, job.attempts >= job.max_attempts);
  });
}

int IngestService::reconcile_dead_jobs() {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE submissions SET state = 'failed', updated_ms = ?, reason = COALESCE((SELECT "
                             "last_error FROM jobs WHERE dedupe_key = 'ingest:' || submissions.id), 'ingest job died') "
                             "WHERE state IN ('queued', 'processing') AND EXISTS (SELECT 1 FROM jobs WHERE "
                             "dedupe_key = 'ingest:' || submissions.id AND state = 'dead')");
  q.bind(1, clock_.now_ms());
  return q.exec();
}

void IngestService::finish(int64_t id, const std::string& state, const std::optional<std::string>& reason,
                           std::optional<int64_t> duplicate_of) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE submissions SET state = ?, reason = ?, duplicate_of = ?, updated_ms = ? WHERE id = ?");
  q.bind(1, state);
  if (reason) q.bind(2, *reason);
  else q.bind(2);
  if (duplicate_of) q.bind(3, *duplicate_of);
  else q.bind(3);
  q.bind(4, clock_.now_ms());
  q.bind(5, id);
  q.exec();
}

} // namespace curator::ingest
