// POST /api/v1/submissions (multipart upload streamed to the blob store, or {"url": ...}),
// GET /api/v1/submissions[/{id}], GET /api/v1/submissions/{id}/tracks/{k}/thumbnail.
// A submission is visible with its access key (in the address given to its submitter) or to staff;
// the list is for staff only.
#include "serve/submission_routes.hpp"

#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "core/sha256.hpp"
#include "ingest/ingest_service.hpp"
#include "labeling/review_queue.hpp"
#include "serve/disk_room.hpp"
#include "serve/web_auth.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace curator::serve {

namespace {

constexpr size_t kMaxFieldBytes = 4096;
// The form's text fields together: a dozen fields are used; many distinct ones are refused (413) before
// they cost memory.
constexpr size_t kMaxFields = 32, kMaxFieldsBytes = 64 * 1024;

ingest::SubmissionMeta meta_from(const std::map<std::string, std::string>& f) {
  ingest::SubmissionMeta m;
  auto get = [&](const char* k) { auto it = f.find(k); return it == f.end() ? std::string() : it->second; };
  m.label = ingest::parse_label(get("label"));
  if (!get("source").empty()) m.source = get("source");
  m.method = get("method");
  if (!get("derived_from").empty()) m.derived_from = {get("derived_from")};
  m.contributor = get("contributor");
  m.consent = get("consent");
  return m;
}

Response created(const ingest::Receipt& r) {
  auto j = r.to_json();
  j["status_url"] = submission_status_url(r);
  j["page_url"] = submission_page_url(r);
  return Response::json(j, 202);
}

} // namespace

std::string submission_page_url(const ingest::Receipt& r) {
  return "/submissions/" + std::to_string(r.id) + "?key=" + r.access_key;
}

std::string submission_status_url(const ingest::Receipt& r) {
  return "/api/v1/submissions/" + std::to_string(r.id) + "?key=" + r.access_key;
}

ingest::Submission visible_submission(ServiceContext& ctx, const Request& req, int64_t id) {
  auto sub = ctx.ingest.submissions().get(id);
  const auto key = req.query_param("key");
  if (sub && ((key && sub->opens_with(*key)) || current_session(ctx.web, req))) return *sub;
  throw NotFound("no submission " + std::to_string(id) + " for this address: use the link given when it was sent "
                 "(it carries a key), or sign in as a reviewer");
}

Upload read_upload(ServiceContext& ctx, BodyReader& body, int64_t max_bytes) {
  Upload up;
  std::string current;
  bool too_large = false, field_too_long = false, too_many_fields = false;
  size_t field_bytes = 0;
  const bool ok = body.read_parts(
      [&](const std::string& name, const std::string& fname, const std::string&) {
        current = name;
        if (name != "file" && !up.fields.count(name) && up.fields.size() >= kMaxFields) return !(too_many_fields = true);
        field_bytes += name.size();
        if (name == "file") {
          if (up.file) return false; // one video a request
          up.file.emplace(ctx.blobs.writer());
          up.file_named = !fname.empty();
          up.filename = fname.empty() ? "upload" : fname;
        }
        return true;
      },
      [&](const char* d, size_t n) {
        if (current == "file") {
          if (static_cast<int64_t>(up.file->size() + n) > max_bytes) return !(too_large = true);
          up.file->write(d, n);
        } else {
          auto& v = up.fields[current];
          if (v.size() + n > kMaxFieldBytes) return !(field_too_long = true);
          if ((field_bytes += n) > kMaxFieldsBytes) return !(too_many_fields = true);
          v.append(d, n);
        }
        return true;
      });
  if (too_large)
    throw Error(ErrorCode::payload_too_large, "the video is larger than " + std::to_string(max_bytes >> 20) + " MB");
  if (field_too_long) throw InvalidInput("form field '" + current + "' is longer than 4096 bytes");
  if (too_many_fields)
    throw PayloadTooLarge("the form has more than " + std::to_string(kMaxFields) + " fields or " +
                          std::to_string(kMaxFieldsBytes >> 10) + " KB of text");
  if (!ok) throw InvalidInput("the upload was cut off or malformed");
  return up;
}

ingest::Receipt receive_submission(ServiceContext& ctx, const Request& req, BodyReader& body, const FormCheck& accept) {
  const int64_t max_bytes = ctx.config.get(core::keys::ingest_max_upload_mb) << 20;
  // Refuse a declared oversize body before reading any of it (the form fields add a few KB at most), and
  // any upload when the disk is short (before a byte of it is written).
  int64_t declared = 0;
  if (auto length = req.header("Content-Length")) {
    try {
      declared = std::stoll(*length);
    } catch (const std::exception&) {
      throw InvalidInput("malformed Content-Length");
    }
    if (declared > max_bytes + 64 * 1024)
      throw Error(ErrorCode::payload_too_large, "the video is larger than " + std::to_string(max_bytes >> 20) + " MB");
  }
  require_disk_room(ctx.config, ctx.data_dir, static_cast<uint64_t>(std::max<int64_t>(declared, 0)));
  if (!body.multipart()) { // JSON: {"url": ..., "label": ..., ...}
    std::string text;
    if (!body.read([&](const char* d, size_t n) { text.append(d, n); return text.size() <= 64 * 1024; }))
      throw PayloadTooLarge("a JSON submission is at most 64 KB");
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw InvalidInput("expected multipart/form-data with a file, or JSON with a url");
    std::map<std::string, std::string> fields;
    for (auto& [k, v] : j.items())
      if (v.is_string()) fields[k] = v.get<std::string>();
    if (!fields.count("url")) throw InvalidInput("JSON submissions need a \"url\"");
    auto meta = meta_from(fields);
    accept(fields, meta);
    return ctx.ingest.submit_url(fields["url"], meta);
  }
  Upload up = read_upload(ctx, body, max_bytes);
  auto& fields = up.fields;
  auto meta = meta_from(fields);
  if (fields.count("consent_given") && fields["consent_given"] != "on" && fields["consent_given"] != "true")
    throw InvalidInput("consent is required");
  accept(fields, meta); // may refuse: the uncommitted upload is then discarded
  // A browser sends an empty, unnamed "file" part when no file was chosen (the URL field is used then);
  // an empty named file is a submission, rejected by ingest with its reason.
  if (up.file && (up.file_named || up.file->size() > 0))
    return ctx.ingest.submit_blob(up.file->commit(), up.filename, meta);
  if (fields.count("url") && !fields["url"].empty()) return ctx.ingest.submit_url(fields["url"], meta);
  throw InvalidInput("attach a video as the \"file\" field, or give a \"url\"");
}

namespace submission_api {

// The API: anonymous callers are rate-limited per address; a signed-in session (with its CSRF header)
// submits as its user, and nobody reviews their own submission.
Response post_submission(ServiceContext& ctx, const Request& req, BodyReader& body) {
  std::optional<labeling::Session> session;
  session = current_session(ctx.web, req);
  if (session) require_csrf(*session, req, "");
  else if (!ctx.web.anonymous_submissions.allow(req.remote_addr))
    throw RateLimited("too many submissions from this address; try again within the hour or sign in");
  std::pair<std::string, std::string> uploader;
  if (!session) uploader = uploader_token(ctx.web, req);
  const auto receipt = receive_submission(ctx, req, body, [&](const auto&, ingest::SubmissionMeta& meta) {
    if (session) meta.submitted_by = session->user.id;
    else if (!uploader.first.empty()) meta.uploader_hash = core::sha256_hex(uploader.first);
    meta.client_addr = req.remote_addr.substr(0, 64);
  });
  auto res = created(receipt);
  if (!uploader.second.empty()) res.headers.emplace_back("Set-Cookie", uploader.second);
  return res;
}

int64_t id_of(const Request& req, size_t i = 0) { return std::stoll(req.captures.at(i)); }

Response get_submission(ServiceContext& ctx, const Request& req) {
  const int64_t id = id_of(req);
  const auto sub = visible_submission(ctx, req, id);
  auto j = sub.to_json();
  // Thumbnails open with the same key as the submission (staff need none).
  const auto key = req.query_param("key");
  const std::string key_param = key && sub.opens_with(*key) ? "?key=" + *key : "";
  auto& videos = ctx.ingest.videos();
  j["frames"] = videos.frame_count(id);
  nlohmann::json tracks = nlohmann::json::array();
  for (const auto& t : videos.tracks(id))
    tracks.push_back({{"index", t.track},
                      {"faces", t.faces},
                      {"thumbnail_url", "/api/v1/submissions/" + std::to_string(id) + "/tracks/" + std::to_string(t.track) +
                                            "/thumbnail" + key_param}});
  j["tracks"] = tracks;
  const auto review = labeling::ReviewQueue::state_of(ctx.db, id);
  j["review"] = review ? nlohmann::json{{"state", labeling::review_state_name(review->first)},
                                        {"label", review->second.empty() ? nlohmann::json() : nlohmann::json(review->second)}}
                       : nlohmann::json{{"state", "not yet"}, {"label", nullptr}};
  if (const auto info = videos.info(id))
    j["video"] = {{"width", info->width},           {"height", info->height},         {"fps", info->fps},
                  {"frame_count", info->frame_count}, {"duration_s", info->duration_s}, {"codec", info->codec}};
  return Response::json(j);
}

Response list_submissions(ServiceContext& ctx, const Request& req) {
  require_session(ctx.web, req); // the list shows every contributor's submissions
  const int limit = req.limit_param(50);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : ctx.ingest.submissions().list(limit)) out.push_back(s.to_json());
  return Response::json({{"submissions", out}});
}

Response thumbnail(ServiceContext& ctx, const Request& req) {
  visible_submission(ctx, req, id_of(req, 0));
  const auto tracks = ctx.ingest.videos().tracks(id_of(req, 0));
  const int64_t wanted = id_of(req, 1);
  const auto track = std::find_if(tracks.begin(), tracks.end(), [&](const ingest::TrackRow& t) { return t.track == wanted; });
  if (track == tracks.end() || track->thumbnail.empty()) throw NotFound("no such track");
  std::ifstream in(ctx.data_dir.root() / track->thumbnail, std::ios::binary);
  if (!in) throw NotFound("thumbnail file missing");
  std::stringstream ss;
  ss << in.rdbuf();
  auto res = Response::text(ss.str(), "image/jpeg");
  res.headers.emplace_back("Cache-Control", "private, max-age=3600");
  return res;
}

} // namespace submission_api

} // namespace curator::serve
