// Every setting curator reads, in one place. Add new ones next to their neighbours; `curator config --example`
// turns this list into the documented ops/curator.toml (a test keeps the two identical).
#include "core/settings.hpp"

namespace curator::core {

namespace {

SettingSpec integer(std::string name, int64_t def, double min, double max, std::string description,
                    std::string env = "") {
  SettingSpec s;
  s.name = std::move(name);
  s.type = SettingType::integer;
  s.default_text = std::to_string(def);
  s.min = min;
  s.max = max;
  s.description = std::move(description);
  s.env = std::move(env);
  return s;
}

SettingSpec number(std::string name, std::string def, double min, double max, std::string description) {
  SettingSpec s;
  s.name = std::move(name);
  s.type = SettingType::number;
  s.default_text = std::move(def);
  s.min = min;
  s.max = max;
  s.description = std::move(description);
  return s;
}

SettingSpec text(std::string name, SettingType type, std::string def, std::string description,
                 std::vector<std::string> choices = {}, std::string env = "") {
  SettingSpec s;
  s.name = std::move(name);
  s.type = type;
  s.default_text = std::move(def);
  s.description = std::move(description);
  s.choices = std::move(choices);
  s.env = std::move(env);
  return s;
}

std::vector<SettingSpec> catalog() {
  using T = SettingType;
  return {
      text("data.dir", T::path, "var",
           "Data folder: SQLite database, blob store, face crops, snapshots, runs and models. Relative paths "
           "are taken from the working directory.",
           {}, "CURATOR_DATA_DIR"),
      integer("data.min_free_mb", 512, 0, 100000000,
              "Free space the data folder's disk must keep: below it /readyz says not ready and uploads are "
              "refused with 507 before they start."),
      text("server.host", T::string, "127.0.0.1", "Address the HTTP server listens on.", {}, "CURATOR_HOST"),
      integer("server.port", 8080, 0, 65535, "TCP port of the HTTP server; 0 picks a free port.", "CURATOR_PORT"),
      integer("server.threads", 8, 1, 256,
              "HTTP handler threads. Connections themselves hold no thread (the server is event-driven), so slow "
              "clients cannot use these up; long polls (POST /api/v1/score) hold none while they wait."),
      integer("server.head_timeout_s", 10, 1, 3600,
              "The whole request head (request line and headers) must arrive within this many seconds."),
      integer("server.body_idle_timeout_s", 30, 1, 3600,
              "A request body (or an answer being sent) that makes no progress for this long is cut off."),
      integer("server.max_head_kb", 16, 1, 1024, "Largest request head (request line and all headers); larger: 431."),
      integer("server.max_body_kb", 64, 1, 1048576,
              "Largest body of any route but the uploads (forms, JSON, sign-in), chunked bodies included; larger: 413."),
      integer("server.min_upload_kb_per_s", 10, 0, 1048576,
              "An upload slower than this on average after its first 30 s is cut off (0: no floor)."),
      integer("server.max_connections", 1024, 1, 1000000,
              "Open connections at most; more are answered 503 and closed."),
      integer("server.max_connections_per_address", 256, 1, 1000000,
              "Open connections from one client address at most (web.trusted_proxies are exempt: behind a proxy "
              "every client shares its address); more are answered 503 and closed."),
      integer("server.max_uploads", 4, 1, 1000, "Uploads (videos, scoring requests) read at the same time; more: 503."),
      integer("db.busy_timeout_ms", 10000, 0, 600000,
              "How long a database write waits for another writer before failing."),
      text("log.level", T::string, "info", "Lowest level that is logged.",
           {"trace", "debug", "info", "warn", "error", "critical", "off"}),
      text("log.format", T::string, "text", "Log line format on stderr: human text or one JSON object a line.",
           {"text", "json"}),
      integer("jobs.workers", 2, 0, 64, "Job worker threads in the daemon (0 runs no jobs: HTTP only)."),
      integer("jobs.lease_seconds", 60, 1, 86400,
              "A leased job whose worker stops heartbeating is leased again after this long."),
      integer("jobs.max_attempts", 5, 1, 100, "Attempts before a failing job goes to the dead letter state."),
      number("jobs.backoff_base_seconds", "2", 0, 3600,
             "Delay before the first retry; doubles with every further attempt."),
      number("jobs.backoff_max_seconds", "600", 0, 86400, "Upper bound of the retry delay."),
      integer("jobs.poll_interval_ms", 500, 10, 60000, "How often idle workers look for due jobs."),
      integer("jobs.shutdown_grace_seconds", 30, 0, 3600,
              "On shutdown, how long running jobs may take to finish before their leases are released."),
      integer("jobs.ingest_max_seconds", 900, 0, 86400,
              "Longest one attempt of an ingest or download job may run before it fails for good (0: no limit)."),
      integer("jobs.score_max_seconds", 300, 0, 86400,
              "Longest one scoring job (a contributor's video, a review item) may run before it fails for good "
              "(0: no limit)."),
      integer("jobs.round_max_seconds", 43200, 0, 604800,
              "Longest one retraining round may run before it is stopped and fails (0: no limit)."),
      integer("jobs.max_rss_mb", 6144, 0, 1048576,
              "While the daemon's resident memory is above this, jobs that decode what clients sent (ingest, "
              "scoring) are stopped and fail (0: no cap). Training is not stopped by it."),
      integer("torch.threads", 2, 1, 256, "Threads LibTorch uses for model work (it defaults to 1 otherwise)."),
      text("faces.models_dir", T::path, "models/face-api",
           "Folder holding the face-api models (ops/setup.sh fetches them here)."),
      number("faces.min_score", "0.5", 0.01, 1, "Lowest detector score that counts as a face."),
      integer("faces.crop_size", 224, 32, 1024, "Side of the training crop (FF++: 1.3x the face box, square)."),
      integer("faces.min_face_px", 40, 0, 4096, "Faces smaller than this (shorter box side) are flagged small."),
      number("faces.blur_threshold", "20", 0, 100000,
             "Faces whose crop has a Laplacian variance under this are flagged blurred."),
      number("faces.track_iou", "0.3", 0, 1, "Box overlap that links a face to a track in the next sampled frame."),
      number("faces.same_person_distance", "0.6", 0, 4,
             "Embedding distance under which two faces are the same person (face-api: 0.6)."),
      integer("ingest.max_upload_mb", 500, 1, 1000000, "Largest accepted video file (upload, URL or import)."),
      number("ingest.max_duration_s", "900", 0.1, 86400, "Longest accepted video."),
      integer("ingest.min_side_px", 64, 1, 100000, "Smallest accepted frame side."),
      integer("ingest.max_side_px", 7680, 1, 100000, "Largest accepted frame side."),
      integer("ingest.max_frame_pixels", 3840LL * 2160, 4096, 1000000000,
              "Largest accepted frame area (width x height, read from the header before anything is decoded): "
              "4K UHD by default. Decoded frames are scaled down to 1920 px on their long side, so a sampled "
              "frame costs at most ~6 MB; this bounds what the decoder itself holds."),
      integer("ingest.min_frames", 8, 2, 1000000, "Fewest frames a video must have (fewer: a still image)."),
      number("ingest.max_fps", "240", 1, 10000, "Highest accepted frame rate."),
      integer("ingest.sample_frames", 32, 1, 10000, "Frames sampled evenly from each video (DeepfakeBench: 32)."),
      integer("ingest.sample_every", 0, 0, 100000, "If > 0, sample every k-th frame instead (capped by sample_frames)."),
      integer("ingest.detect_every", 8, 1, 1000,
              "Run the face detector on the whole frame on every k-th sampled frame (and on scene cuts, and where "
              "following fails); between those, faces are followed by re-detecting them in a window of the "
              "detector's input around each, where the windows cost at most 0.6 of a whole-frame pass (faces up "
              "to about half the frame's longer side), which gives the whole-frame boxes; larger faces run the "
              "detector on the whole frame (see ingest.follow_landmarks). 1: the detector on every sampled frame."),
      text("ingest.follow_landmarks", T::boolean, "false",
           "Between key frames, follow faces too large for a cheap window with the landmark net instead of "
           "running the detector on those frames: faster where faces fill the frame, but the boxes then differ "
           "from the detector's (IoU under 0.8 for about a fifth of faces on the shared clips)."),
      integer("ingest.near_duplicate_bits", 6, 0, 64,
              "Mean perceptual-hash distance (bits of 64) under which two videos are the same footage. Footage is "
              "a duplicate only when its faces also match (ingest.copy_face_distance); the same footage with other "
              "faces (a face swap) is kept and joined to its original's split unit."),
      number("ingest.copy_face_difference", "8.8", 0, 255,
             "Mean grey-level difference (of 255, over 24x24 pictures of the earlier video's face regions) under "
             "which two videos of the same footage show the same faces: a copy. Measured: re-encodes and resizes "
             "0.8-6.4, face swaps 9.4-33 (docs/operations.md)."),
      number("ingest.max_broken_share", "0.02", 0, 1,
             "Share of a video's frames that may fail to decode (broken data, counted by a full decode with "
             "FFmpeg); above it the video is rejected. The count is kept on the submission either way."),
      text("ingest.check_every_picture", T::boolean, "false",
           "Decode the picture of every frame when counting broken data. By default the frames that are not "
           "sampled and that no other frame refers to (H.264/HEVC B-frames) are parsed (packet and slice "
           "headers) but their pictures are not decoded: a third to a half less decoding for a typical clip; "
           "broken picture data inside such a frame is then not counted (a wrong header still is)."),
      integer("ingest.url_timeout_s", 300, 1, 86400, "Time limit for downloading a submitted URL."),
      integer("ingest.url_max_redirects", 5, 0, 50, "Redirects followed when downloading a submitted URL."),
      text("ingest.url_ports", T::string, "80,443",
           "Ports a submitted URL (and every redirect) may use, comma-separated. Whatever the port, only public "
           "addresses are fetched: loopback, private, link-local, unique-local, multicast and reserved addresses "
           "are refused after resolution."),
      text("ingest.url_allow_networks", T::string, "",
           "Internal addresses or networks (comma-separated, e.g. 10.1.2.0/24) that submitted URLs may reach "
           "anyway: an intranet video server an operator trusts. Empty: public addresses only."),
      integer("ingest.url_min_kb_per_s", 10, 0, 1048576,
              "A download slower than this for 30 s is cut off (0: only ingest.url_timeout_s applies)."),
      integer("ingest.url_workers", 2, 1, 64,
              "Threads that download submitted URLs, apart from the job workers, so slow servers never hold up "
              "the processing of videos."),
      number("dataset.group_threshold", "0.31", 0, 2,
             "Identity vectors (unit-length track means) closer than this are one person, on average over two "
             "groups' cross pairs (see dataset.group_linkage). Chosen with dataset.group_face_noise on half of "
             "shared/data's identities, held out on the other: video-level pairwise F1 1.0 on both halves of the "
             "labelled clips, the first two people merge at 0.33 (docs/identity-grouping.md). `curator dataset "
             "eval-grouping` measures it on your own labelled sample."),
      text("dataset.group_linkage", T::string, "average",
           "How tracks join into people: average linkage (two groups merge while the mean distance over all "
           "their cross pairs is under the threshold; one close pair cannot chain two people) or single linkage "
           "(any one pair under the threshold joins; chains different people together on large sets).",
           {"average", "single"}),
      number("dataset.group_face_noise", "0.03", 0, 1,
             "Expected squared distance of one face's identity vector from its person's (unit-length vectors). "
             "A pair of tracks is compared by its squared distance less this divided by each track's face "
             "count, so single photos and short tracks are not held to the standard of 32-face means (0: "
             "plain distances). Chosen with dataset.group_threshold (docs/identity-grouping.md)."),
      integer("dataset.bridge_min_videos", 3, 0, 1000000,
              "A new video that would join two identity groups of at least this many other videos each (a face "
              "swap between two people, two people in one clip) is quarantined instead, unless it declares what "
              "it derives from (0: never)."),
      number("dataset.max_unit_share", "0.1", 0, 1,
             "A new fake that would chain several split units into one holding more than this share of the "
             "videos (and at least 10) is quarantined instead: face swaps among the same people otherwise join "
             "everyone into one unit the test split cannot take (1: never)."),
      number("dataset.suspect_distance", "0.45", 0, 4,
             "The leakage audit's independent check lists face tracks in different splits closer than this "
             "(plain distance between unit-length identity vectors; the grouping joins at 0.31 on average) as suspects for a person to "
             "look at; they never block training."),
      number("dataset.test_fraction", "0.166667", 0, 1, "Share of each source's videos put in the test split (1/6, as in the seed study)."),
      number("dataset.val_fraction", "0.1", 0, 1, "Share of each source's videos put in the validation split."),
      text("train.backbone", T::string, "faceapi",
           "The detector's backbone: faceapi (face-api's recognition net, a dlib-style ResNet trained on millions "
           "of faces, which the install already downloads into faces.models_dir: face-pretrained with no other "
           "download), ResNet18 (the seed study's) or Xception (FaceForensics++'s detector); resnet18 and xception "
           "need ImageNet weights (train.init_weights) to be promotable.",
           {"faceapi", "resnet18", "xception"}),
      text("train.init_weights", T::string, "",
           "ImageNet weights of a resnet18 or xception backbone: torchvision's ResNet18 (TorchScript or a pickled "
           "dict, made by ops/export_resnet18.py on a machine with internet), or Xception's from "
           "ops/export_xception.py; empty: from scratch. The faceapi backbone reads face-api's pinned recognition "
           "weights from faces.models_dir instead."),
      integer("train.image_size", 0, 0, 1024,
              "Side of the square face crops the detector sees; 0: the backbone's own (faceapi 160, resnet18 224, "
              "xception 299)."),
      integer("train.loader_workers", 2, 1, 64, "Threads that decode and augment training crops."),
      text("train.augment", T::string, "mild",
           "Training augmentations: mild (flip, +-10 deg, light colour, blur and JPEG: blending boundaries survive) "
           "or strong (the seed study's set for ImageNet models on 100k+ crops).",
           {"mild", "strong"}),
      number("train.sbi", "0.5", 0, 1,
             "Share of the training positives that are self-blended images (Shiohara & Yamasaki 2022) made on the "
             "fly from confirmed real crops, each next to its real in the batch; a source with real videos only "
             "gets all its positives this way (0: none)."),
      text("train.source_weights", T::string, "sqrt",
           "How often training draws each source: sqrt (in proportion to the square root of its videos) or "
           "equal.",
           {"sqrt", "equal"}),
      text("train.pooling", T::string, "mean",
           "The head's features: mean (each feature map averaged over space) or mean_std (its mean and standard "
           "deviation over space, standardised: texture statistics, where blending and generator artefacts show).",
           {"mean", "mean_std"}),
      text("train.freeze", T::string, "backbone",
           "backbone: only the head trains, a probe of the backbone's four stages (the default: on held-out "
           "generators it did better than end-to-end training on this little data, docs/experiments.md, and "
           "trains 1.6x faster); none: the backbone trains with the head at train.backbone_lr of its rate.",
           {"backbone", "none"}),
      number("train.backbone_lr", "0.1", 0, 100, "The backbone's learning rate as a share of the head's."),
      text("promotion.metric", T::string, "videos_confident",
           "The AUC the promotion gate judges per source: video level with the DFDC confident strategy (what "
           "the served verdict uses), video level with the mean, or frame level. Frame-level AUC is always "
           "reported.",
           {"videos_confident", "videos_mean", "frames"}),
      integer("promotion.min_test_videos", 20, 1, 100000,
              "A source is judged only with at least this many real and this many fake test videos; others are "
              "listed as unjudged, and a candidate with no judged source is never promoted."),
      number("promotion.tolerance", "0.02", 0, 1,
             "Non-inferiority margin: a judged source is non-inferior when the lower bound of its 95% interval of "
             "candidate - champion AUC is at least minus this, and worse (blocking) when the whole interval is "
             "below minus this."),
      number("promotion.first_min_auc", "0.6", 0, 1,
             "With no champion yet, the AUC every judged source must be shown to exceed (at the look's alpha); 0: no "
             "minimum, any first model is published."),
      number("promotion.alpha", "0.025", 0.000001, 0.5,
             "One-sided family-wise error of promotions: shared among judged sources by Holm's rule and spent over "
             "the looks at the test split (look k may use alpha * 6 / (pi^2 k^2))."),
      integer("promotion.resamples", 1000, 100, 1000000,
              "Paired bootstrap draws over split units (the same draws for both models) behind every interval."),
      text("promotion.allow_scratch", T::boolean, "false",
           "Promote a candidate trained from scratch (no ImageNet weights, train.init_weights empty). Off: such a "
           "candidate is refused with that reason, however it scores."),
      text("scheduler.enabled", T::boolean, "true", "Retrain in the daemon when enough new labels arrived or time passed."),
      integer("scheduler.min_new_confirmed", 50, 1, 100000000,
              "Retrain when at least this many videos were confirmed since the last round."),
      number("scheduler.every_hours", "24", 0, 100000,
             "Also retrain this often when anything was confirmed since the last round (0: only by count)."),
      integer("scheduler.poll_seconds", 60, 1, 86400, "How often the scheduler looks at the triggers."),
      integer("scheduler.search_runs", 1, 1, 1000, "Training runs per round (more than 1: a small random search)."),
      text("scheduler.params", T::string, "{}",
           "Training parameters of scheduled rounds, as JSON (see curator train --params), e.g. {\"epochs\": 3}."),
      integer("score.wait_seconds", 120, 1, 3600,
              "How long POST /api/v1/score waits for its result before answering 202 with a job to poll."),
      text("score.precision", T::string, "auto",
           "Number format of the model when it scores videos (POST /api/v1/score, review scores, curator score): "
           "bf16 runs ResNet18 about 2x faster on CPUs that multiply bfloat16 natively (AMX or AVX512-BF16), with "
           "fake probabilities within 0.02 of fp32's; auto picks bf16 on such CPUs, else fp32. The promotion "
           "gate scores both models in the same format, so the model it judges is the model that is served.",
           {"auto", "fp32", "bf16"}),
      integer("review.consensus_k", 1, 1, 20, "Agreeing reviewers needed to decide an item (k of n)."),
      number("review.random_share", "0.2", 0, 1,
             "Share of new review items served in random order, before the others and marked as random intake: the "
             "champion's disagreement never chose them, so test metrics on them are unbiased by the champion "
             "(reported next to those on all confirmed test videos)."),
      integer("review.consensus_n", 1, 1, 20,
              "Answers after which an item without k agreeing escalates to an admin (n >= k)."),
      integer("web.session_hours", 12, 1, 24 * 90, "How long a reviewer's sign-in lasts."),
      text("web.secure_cookies", T::string, "auto",
           "Mark session cookies Secure: always, never, or auto (when the request came over TLS through a "
           "trusted proxy, web.trusted_proxies, that sets X-Forwarded-Proto: https).",
           {"auto", "always", "never"}),
      integer("web.anonymous_submissions_per_hour", 20, 0, 100000,
              "Submissions one client address may make per hour without signing in (0: none)."),
      integer("web.login_max_failures", 5, 1, 1000,
              "Failed sign-ins per user name from browsers the user never signed in from (and 4x as many per "
              "client address) before such attempts wait for the window; a browser the user signed in from is "
              "never held back, so failing on purpose cannot lock the right person out."),
      text("web.trusted_proxies", T::string, "",
           "Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed, as comma-separated "
           "addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8). Empty: the connection's peer is the client and "
           "those headers are ignored (ops/nginx.conf)."),
      integer("web.login_window_minutes", 15, 1, 1440, "The window of web.login_max_failures."),
      text("web.charts_file", T::path, "vendor/echarts/echarts.min.js",
           "Apache ECharts, served at /static/echarts.min.js for the dashboard's charts (ops/setup.sh installs "
           "the pinned version here). Without it the pages show their tables and say the charts are missing."),
  };
}

} // namespace

const SettingsRegistry& default_settings() {
  static const SettingsRegistry registry(catalog());
  return registry;
}

} // namespace curator::core
