// POST /api/v1/submissions (multipart upload streamed to the blob store, or {"url": ...}),
// GET /api/v1/submissions[/{id}], GET /api/v1/submissions/{id}/tracks/{k}/thumbnail.
// A submission is visible with its access key (in the address given to its submitter) or to staff;
// the list is for staff only.
#include "serve/submission_routes.hpp"

#include "core/error.hpp"
#include "ingest/ingest_service.hpp"
#include "serve/web_auth.hpp"

#include <SQLiteCpp/Statement.h>

#include <fstream>
#include <map>
#include <sstream>

namespace curator::serve {

namespace {

constexpr size_t kMaxFieldBytes = 4096;

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
  if (!ctx.ingest) throw Unavailable("ingest is not running");
  auto sub = ctx.ingest->submissions().get(id);
  const auto key = req.query_param("key");
  if (sub && ((key && sub->opens_with(*key)) || current_session(*ctx.web, req))) return *sub;
  throw NotFound("no submission " + std::to_string(id) + " for this address: use the link given when it was sent "
                 "(it carries a key), or sign in as a reviewer");
}

Upload read_upload(ServiceContext& ctx, BodyReader& body, int64_t max_bytes) {
  Upload up;
  std::string current;
  bool too_large = false, field_too_long = false;
  const bool ok = body.read_parts(
      [&](const std::string& name, const std::string& fname, const std::string&) {
        current = name;
        if (name == "file") {
          if (up.file) return false; // one video a request
          up.file.emplace(ctx.blobs->writer());
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
          v.append(d, n);
        }
        return true;
      });
  if (too_large)
    throw Error(ErrorCode::payload_too_large, "the video is larger than " + std::to_string(max_bytes >> 20) + " MB");
  if (field_too_long) throw InvalidInput("form field '" + current + "' is longer than 4096 bytes");
  if (!ok) throw InvalidInput("the upload was cut off or malformed");
  return up;
}

ingest::Receipt receive_submission(ServiceContext& ctx, const Request& req, BodyReader& body, const FormCheck& accept) {
  if (!ctx.ingest) throw Unavailable("ingest is not running");
  const int64_t max_bytes = ctx.config.get_int("ingest.max_upload_mb") << 20;
  // Refuse a declared oversize body before reading any of it (the form fields add a few KB at most).
  if (auto length = req.header("Content-Length")) {
    int64_t declared = 0;
    try {
      declared = std::stoll(*length);
    } catch (const std::exception&) {
      throw InvalidInput("malformed Content-Length");
    }
    if (declared > max_bytes + 64 * 1024)
      throw Error(ErrorCode::payload_too_large, "the video is larger than " + std::to_string(max_bytes >> 20) + " MB");
  }
  if (!body.multipart()) { // JSON: {"url": ..., "label": ..., ...}
    std::string text;
    body.read([&](const char* d, size_t n) { text.append(d, n); return text.size() <= 64 * 1024; });
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw InvalidInput("expected multipart/form-data with a file, or JSON with a url");
    std::map<std::string, std::string> fields;
    for (auto& [k, v] : j.items())
      if (v.is_string()) fields[k] = v.get<std::string>();
    if (!fields.count("url")) throw InvalidInput("JSON submissions need a \"url\"");
    auto meta = meta_from(fields);
    accept(fields, meta);
    return ctx.ingest->submit_url(fields["url"], meta);
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
    return ctx.ingest->submit_blob(up.file->commit(), up.filename, meta);
  if (fields.count("url") && !fields["url"].empty()) return ctx.ingest->submit_url(fields["url"], meta);
  throw InvalidInput("attach a video as the \"file\" field, or give a \"url\"");
}

namespace {

// The API: anonymous callers are rate-limited per address; a signed-in session (with its CSRF header)
// submits as its user, and nobody reviews their own submission.
Response post_submission(ServiceContext& ctx, const Request& req, BodyReader& body) {
  std::optional<labeling::Session> session;
  if (ctx.web) session = current_session(*ctx.web, req);
  if (session) require_csrf(*session, req, "");
  else if (ctx.web && !ctx.web->anonymous_submissions.allow(req.remote_addr))
    throw RateLimited("too many submissions from this address; try again within the hour or sign in");
  const auto receipt = receive_submission(ctx, req, body, [&](const auto&, ingest::SubmissionMeta& meta) {
    if (session) meta.submitted_by = session->user.id;
    meta.client_addr = req.remote_addr.substr(0, 64);
  });
  return created(receipt);
}

int64_t id_of(const Request& req, size_t i = 0) { return std::stoll(req.captures.at(i)); }

Response get_submission(ServiceContext& ctx, const Request& req) {
  const int64_t id = id_of(req);
  const auto sub = visible_submission(ctx, req, id);
  auto j = sub.to_json();
  // Thumbnails open with the same key as the submission (staff need none).
  const auto key = req.query_param("key");
  const std::string key_param = key && sub.opens_with(*key) ? "?key=" + *key : "";
  auto conn = ctx.db.connect();
  SQLite::Statement frames(*conn, "SELECT COUNT(*) FROM frames WHERE video_id = ?");
  frames.bind(1, id);
  frames.executeStep();
  j["frames"] = frames.getColumn(0).getInt64();
  nlohmann::json tracks = nlohmann::json::array();
  SQLite::Statement t(*conn, "SELECT track_index, face_count FROM tracks WHERE video_id = ? ORDER BY track_index");
  t.bind(1, id);
  while (t.executeStep()) {
    const int k = t.getColumn(0).getInt();
    tracks.push_back({{"index", k},
                      {"faces", t.getColumn(1).getInt()},
                      {"thumbnail_url", "/api/v1/submissions/" + std::to_string(id) + "/tracks/" + std::to_string(k) + "/thumbnail" + key_param}});
  }
  j["tracks"] = tracks;
  SQLite::Statement r(*conn, "SELECT state, label FROM review_items WHERE submission_id = ?");
  r.bind(1, id);
  j["review"] = r.executeStep() ? nlohmann::json{{"state", r.getColumn(0).getString()},
                                                 {"label", r.getColumn(1).isNull() ? nlohmann::json()
                                                                                   : nlohmann::json(r.getColumn(1).getString())}}
                                : nlohmann::json{{"state", "not yet"}, {"label", nullptr}};
  SQLite::Statement v(*conn, "SELECT width, height, fps, frame_count, duration_s, codec FROM videos WHERE submission_id = ?");
  v.bind(1, id);
  if (v.executeStep())
    j["video"] = {{"width", v.getColumn(0).getInt()}, {"height", v.getColumn(1).getInt()}, {"fps", v.getColumn(2).getDouble()},
                  {"frame_count", v.getColumn(3).getInt64()}, {"duration_s", v.getColumn(4).getDouble()},
                  {"codec", v.getColumn(5).getString()}};
  return Response::json(j);
}

Response list_submissions(ServiceContext& ctx, const Request& req) {
  if (!ctx.ingest) throw Unavailable("ingest is not running");
  require_session(*ctx.web, req); // the list shows every contributor's submissions
  int limit = 50;
  if (auto l = req.query_param("limit")) {
    try {
      limit = std::stoi(*l);
    } catch (const std::exception&) {
      throw InvalidInput("limit must be an integer");
    }
  }
  if (limit < 1 || limit > 1000) throw InvalidInput("limit must be between 1 and 1000");
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : ctx.ingest->submissions().list(limit)) out.push_back(s.to_json());
  return Response::json({{"submissions", out}});
}

Response thumbnail(ServiceContext& ctx, const Request& req) {
  visible_submission(ctx, req, id_of(req, 0));
  auto conn = ctx.db.connect();
  SQLite::Statement q(*conn, "SELECT thumbnail FROM tracks WHERE video_id = ? AND track_index = ?");
  q.bind(1, id_of(req, 0));
  q.bind(2, id_of(req, 1));
  if (!q.executeStep()) throw NotFound("no such track");
  std::ifstream in(ctx.data_dir.root() / q.getColumn(0).getString(), std::ios::binary);
  if (!in) throw NotFound("thumbnail file missing");
  std::stringstream ss;
  ss << in.rdbuf();
  auto res = Response::text(ss.str(), "image/jpeg");
  res.headers.emplace_back("Cache-Control", "private, max-age=3600");
  return res;
}

} // namespace

void add_submission_routes(std::vector<Route>& routes, ServiceContext& ctx) {
  Route post{"POST", "/api/v1/submissions", nullptr};
  post.stream = [&ctx](const Request& req, BodyReader& body) { return post_submission(ctx, req, body); };
  routes.push_back(post);
  routes.push_back(context_route(ctx, "GET", "/api/v1/submissions", list_submissions));
  routes.push_back(context_route(ctx, "GET", R"(/api/v1/submissions/(\d{1,18}))", get_submission));
  routes.push_back(context_route(ctx, "GET", R"(/api/v1/submissions/(\d{1,18})/tracks/(\d{1,6})/thumbnail)", thumbnail));
}

} // namespace curator::serve
