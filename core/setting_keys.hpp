#pragma once
//! Typed names of the settings the code reads: `config.get(keys::ingest_sample_frames)` instead of
//! `config.get(core::keys::ingest_sample_frames)`, so a misspelt name or a read of the wrong type does not
//! compile. The [config] test "every typed key is a catalogued setting of its type" checks the list
//! against the catalog (settings_catalog.cpp), which stays the one place that declares a setting.
//! Constants only; thread-safe.
#include "core/setting_keys.hpp"
#include "core/settings.hpp"

#include <string>
#include <utility>
#include <vector>

namespace curator::core {

template <SettingType Type>
struct SettingKey {
  const char* name;
};

// X(type, identifier, "section.key"): the identifier is the name with '.' as '_'.
#define CURATOR_SETTING_KEYS(X) \
  X(path, data_dir, "data.dir") \
  X(integer, data_min_free_mb, "data.min_free_mb") \
  X(integer, dataset_bridge_min_videos, "dataset.bridge_min_videos") \
  X(number, dataset_group_face_noise, "dataset.group_face_noise") \
  X(string, dataset_group_linkage, "dataset.group_linkage") \
  X(number, dataset_group_threshold, "dataset.group_threshold") \
  X(number, dataset_max_unit_share, "dataset.max_unit_share") \
  X(number, dataset_suspect_distance, "dataset.suspect_distance") \
  X(number, dataset_test_fraction, "dataset.test_fraction") \
  X(number, dataset_val_fraction, "dataset.val_fraction") \
  X(integer, db_busy_timeout_ms, "db.busy_timeout_ms") \
  X(number, faces_blur_threshold, "faces.blur_threshold") \
  X(integer, faces_crop_size, "faces.crop_size") \
  X(integer, faces_min_face_px, "faces.min_face_px") \
  X(number, faces_min_score, "faces.min_score") \
  X(path, faces_models_dir, "faces.models_dir") \
  X(number, faces_same_person_distance, "faces.same_person_distance") \
  X(number, faces_track_iou, "faces.track_iou") \
  X(boolean, ingest_check_every_picture, "ingest.check_every_picture") \
  X(number, ingest_copy_face_difference, "ingest.copy_face_difference") \
  X(integer, ingest_detect_every, "ingest.detect_every") \
  X(boolean, ingest_follow_landmarks, "ingest.follow_landmarks") \
  X(number, ingest_max_broken_share, "ingest.max_broken_share") \
  X(number, ingest_max_duration_s, "ingest.max_duration_s") \
  X(number, ingest_max_fps, "ingest.max_fps") \
  X(integer, ingest_max_frame_pixels, "ingest.max_frame_pixels") \
  X(integer, ingest_max_side_px, "ingest.max_side_px") \
  X(integer, ingest_max_upload_mb, "ingest.max_upload_mb") \
  X(integer, ingest_min_frames, "ingest.min_frames") \
  X(integer, ingest_min_side_px, "ingest.min_side_px") \
  X(integer, ingest_near_duplicate_bits, "ingest.near_duplicate_bits") \
  X(integer, ingest_sample_every, "ingest.sample_every") \
  X(integer, ingest_sample_frames, "ingest.sample_frames") \
  X(string, ingest_url_allow_networks, "ingest.url_allow_networks") \
  X(integer, ingest_url_max_redirects, "ingest.url_max_redirects") \
  X(integer, ingest_url_min_kb_per_s, "ingest.url_min_kb_per_s") \
  X(string, ingest_url_ports, "ingest.url_ports") \
  X(integer, ingest_url_timeout_s, "ingest.url_timeout_s") \
  X(integer, ingest_url_workers, "ingest.url_workers") \
  X(number, jobs_backoff_base_seconds, "jobs.backoff_base_seconds") \
  X(number, jobs_backoff_max_seconds, "jobs.backoff_max_seconds") \
  X(integer, jobs_ingest_max_seconds, "jobs.ingest_max_seconds") \
  X(integer, jobs_lease_seconds, "jobs.lease_seconds") \
  X(integer, jobs_max_rss_mb, "jobs.max_rss_mb") \
  X(integer, jobs_max_attempts, "jobs.max_attempts") \
  X(integer, jobs_poll_interval_ms, "jobs.poll_interval_ms") \
  X(integer, jobs_round_max_seconds, "jobs.round_max_seconds") \
  X(integer, jobs_score_max_seconds, "jobs.score_max_seconds") \
  X(integer, jobs_shutdown_grace_seconds, "jobs.shutdown_grace_seconds") \
  X(integer, jobs_workers, "jobs.workers") \
  X(string, log_format, "log.format") \
  X(string, log_level, "log.level") \
  X(boolean, promotion_allow_scratch, "promotion.allow_scratch") \
  X(number, promotion_alpha, "promotion.alpha") \
  X(number, promotion_first_min_auc, "promotion.first_min_auc") \
  X(string, promotion_metric, "promotion.metric") \
  X(integer, promotion_min_test_videos, "promotion.min_test_videos") \
  X(integer, promotion_resamples, "promotion.resamples") \
  X(number, promotion_tolerance, "promotion.tolerance") \
  X(integer, review_consensus_k, "review.consensus_k") \
  X(integer, review_consensus_n, "review.consensus_n") \
  X(number, review_random_share, "review.random_share") \
  X(boolean, scheduler_enabled, "scheduler.enabled") \
  X(number, scheduler_every_hours, "scheduler.every_hours") \
  X(integer, scheduler_min_new_confirmed, "scheduler.min_new_confirmed") \
  X(string, scheduler_params, "scheduler.params") \
  X(integer, scheduler_poll_seconds, "scheduler.poll_seconds") \
  X(integer, scheduler_search_runs, "scheduler.search_runs") \
  X(string, score_precision, "score.precision") \
  X(integer, score_wait_seconds, "score.wait_seconds") \
  X(integer, server_body_idle_timeout_s, "server.body_idle_timeout_s") \
  X(integer, server_head_timeout_s, "server.head_timeout_s") \
  X(string, server_host, "server.host") \
  X(integer, server_max_body_kb, "server.max_body_kb") \
  X(integer, server_max_connections, "server.max_connections") \
  X(integer, server_max_connections_per_address, "server.max_connections_per_address") \
  X(integer, server_max_head_kb, "server.max_head_kb") \
  X(integer, server_max_uploads, "server.max_uploads") \
  X(integer, server_min_upload_kb_per_s, "server.min_upload_kb_per_s") \
  X(integer, server_port, "server.port") \
  X(integer, server_threads, "server.threads") \
  X(integer, torch_threads, "torch.threads") \
  X(string, train_augment, "train.augment") \
  X(string, train_backbone, "train.backbone") \
  X(number, train_backbone_lr, "train.backbone_lr") \
  X(string, train_freeze, "train.freeze") \
  X(integer, train_image_size, "train.image_size") \
  X(string, train_init_weights, "train.init_weights") \
  X(integer, train_loader_workers, "train.loader_workers") \
  X(number, train_sbi, "train.sbi") \
  X(string, train_source_weights, "train.source_weights") \
  X(string, train_pooling, "train.pooling") \
  X(integer, web_anonymous_submissions_per_hour, "web.anonymous_submissions_per_hour") \
  X(path, web_charts_file, "web.charts_file") \
  X(integer, web_login_max_failures, "web.login_max_failures") \
  X(integer, web_login_window_minutes, "web.login_window_minutes") \
  X(string, web_secure_cookies, "web.secure_cookies") \
  X(integer, web_session_hours, "web.session_hours") \
  X(string, web_trusted_proxies, "web.trusted_proxies")

namespace keys {
#define CURATOR_DECLARE_SETTING_KEY(type, id, name) inline constexpr SettingKey<SettingType::type> id{name};
CURATOR_SETTING_KEYS(CURATOR_DECLARE_SETTING_KEY)
#undef CURATOR_DECLARE_SETTING_KEY
} // namespace keys

/// Every key above as (name, type), for the check against the catalog.
inline std::vector<std::pair<std::string, SettingType>> all_setting_keys() {
#define CURATOR_LIST_SETTING_KEY(type, id, name) {name, SettingType::type},
  return {CURATOR_SETTING_KEYS(CURATOR_LIST_SETTING_KEY)};
#undef CURATOR_LIST_SETTING_KEY
}

} // namespace curator::core
