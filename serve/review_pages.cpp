// The reviewer's door: GET /review (next item), GET /review/{id}, POST /review/{id}/decide; the admin's
// pages: GET /admin, POST /admin/reopen/{id}, GET /admin/audit; and the video itself for reviewers,
// GET /media/submissions/{id}/video with HTTP range requests (what <video> seeks with).
#include "core/blob_store.hpp"
#include "core/error.hpp"
#include "labeling/audit_log.hpp"
#include "serve/web_auth.hpp"
#include "serve/web_pages.hpp"

#include <SQLiteCpp/Statement.h>


namespace curator::serve {

namespace {

using html::escape;

std::string csrf_field(const labeling::Session& s) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + escape(s.csrf) + "\">";
}

std::string thumbnails(ServiceContext& ctx, int64_t id) {
  auto conn = ctx.db.connect();
  SQLite::Statement t(*conn, "SELECT track_index, face_count FROM tracks WHERE video_id = ? ORDER BY track_index");
  t.bind(1, id);
  std::string out = "<div class=\"faces\">";
  while (t.executeStep())
    out += "<img class=\"face\" src=\"/api/v1/submissions/" + std::to_string(id) + "/tracks/" +
           std::to_string(t.getColumn(0).getInt()) + "/thumbnail\" alt=\"face track " +
           std::to_string(t.getColumn(0).getInt()) + " (" + std::to_string(t.getColumn(1).getInt()) + " faces)\">";
  return out + "</div>";
}

Response queue(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(*ctx.web, req);
  if (auto item = ctx.web->reviews.next(session.user)) return html::redirect("/review/" + std::to_string(item->submission_id));
  return html::html(html::page("Review queue", viewer_of(session),
                               "<p id=\"empty\">Nothing is waiting for you. New submissions appear here once "
                               "their faces are found.</p>"));
}

Response item_page(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(*ctx.web, req);
  const int64_t id = std::stoll(req.captures.at(0));
  const auto item = ctx.web->reviews.get(id);
  const std::string sid = std::to_string(id);
  std::string body = "<video controls preload=\"metadata\" src=\"/media/submissions/" + sid + "/video\"></video>" +
                     thumbnails(ctx, id) + "<table>";
  auto row = [&](const std::string& k, const std::string& v) { body += "<tr><th>" + k + "</th><td>" + v + "</td></tr>"; };
  row("Video", escape(item.original_name));
  row("Claimed label", "<strong id=\"claimed\">" + escape(item.claimed_label) + "</strong>");
  row("Source", escape(item.source));
  row("Method", escape(item.method.empty() ? "not given" : item.method));
  row("Contributor", escape(item.contributor.empty() ? "anonymous" : item.contributor));
  row("Submitted", html::format_time(item.created_ms));
  row("Review", "<span id=\"review-state\">" + escape(item.state) + (item.label.empty() ? "" : " as " + escape(item.label)) +
                    "</span>" + (item.reason.empty() ? "" : " (" + escape(item.reason) + ")"));
  std::string answers;
  for (const auto& d : item.decisions)
    answers += escape(d.username) + ": " + escape(d.decision) + (d.reason.empty() ? "" : " (" + escape(d.reason) + ")") + "<br>";
  row("Answers this round", answers.empty() ? "none yet" : answers);
  body += "</table>";
  const bool own = item.submitted_by && *item.submitted_by == session.user.id;
  const bool open = item.state == "pending" || (item.state == "escalated" && session.user.is_admin());
  if (own) {
    body += "<p class=\"note\">You submitted this video: someone else reviews it.</p>";
  } else if (open) {
    body += "<form method=\"post\" action=\"/review/" + sid + "/decide\">" + csrf_field(session) +
            "<p><button type=\"submit\" name=\"decision\" value=\"real\" id=\"confirm-real\">Confirm real</button>"
            "<button type=\"submit\" name=\"decision\" value=\"fake\" id=\"confirm-fake\">Confirm fake</button>"
            "<button type=\"submit\" name=\"decision\" value=\"skip\" id=\"skip\" formnovalidate>Skip</button></p>"
            "<label for=\"reason\">Unusable? Say why</label><input type=\"text\" id=\"reason\" name=\"reason\" "
            "maxlength=\"1000\"><p><button type=\"submit\" name=\"decision\" value=\"reject\" id=\"reject\">Reject"
            "</button></p></form>";
  }
  if (session.user.is_admin() && item.state != "pending")
    body += "<form method=\"post\" action=\"/admin/reopen/" + sid + "\">" + csrf_field(session) +
            "<label for=\"reopen-reason\">Reopen for review</label><input type=\"text\" id=\"reopen-reason\" "
            "name=\"reason\" maxlength=\"1000\"><p><button type=\"submit\" id=\"reopen\">Reopen</button></p></form>";
  return html::html(html::page("Review submission #" + sid, viewer_of(session), body));
}

Response decide(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(*ctx.web, req);
  auto form = parse_form(req.body);
  require_csrf(session, req, form["csrf"]);
  const int64_t id = std::stoll(req.captures.at(0));
  ctx.web->reviews.decide(session.user, id, labeling::parse_verdict(form["decision"]), form["reason"]);
  return html::redirect("/review");
}

Response admin(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(*ctx.web, req, true);
  auto& reviews = ctx.web->reviews;
  auto list = [&](const std::string& state) {
    std::string out = "<table>";
    for (const auto& it : reviews.list(state, 200))
      out += "<tr><td><a href=\"/review/" + std::to_string(it.submission_id) + "\">#" + std::to_string(it.submission_id) +
             "</a></td><td>" + escape(it.original_name) + "</td><td>" + escape(it.reason) + "</td></tr>";
    return out + "</table>";
  };
  std::string body = "<h2>Escalated: reviewers disagree</h2>" + list("escalated") +
                     "<h2>Rejected (open one to reopen it)</h2>" + list("rejected") + "<h2>Held back from the dataset</h2><table>";
  {
    auto conn = ctx.db.connect();
    SQLite::Statement q(*conn, "SELECT submission_id, COALESCE(reason, '') FROM dataset_videos WHERE state = 'quarantined' "
                               "ORDER BY submission_id");
    while (q.executeStep())
      body += "<tr><td>#" + std::to_string(q.getColumn(0).getInt64()) + "</td><td>" + escape(q.getColumn(1).getString()) +
              "</td></tr>";
  }
  body += "</table><p class=\"note\">Exclude one with <code>curator dataset exclude ID --reason ...</code>.</p>"
          "<h2>Accounts</h2><table>";
  for (const auto& u : ctx.web->accounts.list())
    body += "<tr><td>" + escape(u.username) + "</td><td>" + labeling::role_name(u.role) + "</td><td>" +
            (u.disabled ? "disabled" : "active") + "</td></tr>";
  body += "</table><p class=\"note\">Manage accounts with <code>curator user add|disable|passwd|role</code>.</p>";
  return html::html(html::page("Admin", viewer_of(session), body));
}

Response reopen(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(*ctx.web, req, true);
  auto form = parse_form(req.body);
  require_csrf(session, req, form["csrf"]);
  const int64_t id = std::stoll(req.captures.at(0));
  ctx.web->reviews.reopen(session.user, id, form["reason"]);
  return html::redirect("/review/" + std::to_string(id));
}

Response audit(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(*ctx.web, req, true);
  int64_t before = 0;
  if (auto b = req.query_param("before")) try {
      before = std::stoll(*b);
    } catch (const std::exception&) {
      throw InvalidInput("before must be a number");
    }
  const auto entries = labeling::list_audit(ctx.db, 200, before);
  std::string body = "<table id=\"audit\"><tr><th>When</th><th>Who</th><th>What</th><th>Which</th><th>From</th><th>To</th></tr>";
  for (const auto& e : entries)
    body += "<tr><td>" + html::format_time(e.at_ms) + "</td><td>" + escape(e.actor) + "</td><td>" + escape(e.action) +
            "</td><td>" + escape(e.entity + " " + e.entity_id) + "</td><td>" + escape(e.old_value) + "</td><td>" +
            escape(e.new_value) + "</td></tr>";
  body += "</table>";
  if (entries.size() == 200) body += "<p><a href=\"/admin/audit?before=" + std::to_string(entries.back().id) + "\">Older</a></p>";
  return html::html(html::page("Audit log", viewer_of(session), body));
}

// True when every range of a "bytes=a-b, c-, -n" header lies inside a file of `size` bytes. httplib
// serves ranges itself but answers one starting past the end with a negative length, so those are
// refused here (416).
bool satisfiable(const std::string& header, int64_t size) {
  if (header.rfind("bytes=", 0) != 0) return false;
  std::string spec = header.substr(6);
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string::npos) end = spec.size();
    std::string part = spec.substr(pos, end - pos);
    part.erase(0, part.find_first_not_of(' '));
    const size_t dash = part.find('-');
    if (dash == std::string::npos) return false;
    const std::string a = part.substr(0, dash), b = part.substr(dash + 1);
    auto number = [](const std::string& t) -> int64_t {
      if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) return -1;
      return std::stoll(t);
    };
    if (a.empty()) {
      if (number(b) <= 0) return false; // "-n": the last n bytes
    } else {
      const int64_t first = number(a), last = b.empty() ? size - 1 : number(b);
      if (first < 0 || first >= size || last < first) return false;
    }
    pos = end + 1;
  }
  return true;
}

// The stored video, streamed; the server answers the range requests <video> seeks with.
Response video(ServiceContext& ctx, const Request& req) {
  require_session(*ctx.web, req);
  const int64_t id = std::stoll(req.captures.at(0));
  std::string sha;
  {
    auto conn = ctx.db.connect();
    SQLite::Statement q(*conn, "SELECT blob_sha256 FROM submissions WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep() || q.getColumn(0).isNull()) throw NotFound("no stored video for submission " + std::to_string(id));
    sha = q.getColumn(0).getString();
  }
  const auto path = ctx.blobs->path_of(sha);
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path));
  if (auto range = req.header("Range"); range && !satisfiable(*range, size)) {
    Response r = Response::error(ErrorCode::invalid_input, "range not satisfiable");
    r.status = 416;
    r.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return r;
  }
  Response r = Response::file_content(path, "video/mp4");
  r.headers.emplace_back("Cache-Control", "private, max-age=600");
  return r;
}

} // namespace

void add_review_pages(std::vector<Route>& routes, ServiceContext& ctx) {
  auto page = [&](const char* method, const char* pattern, ContextHandler fn) {
    routes.push_back(context_route(ctx, method, pattern, fn, true));
  };
  page("GET", "/review", queue);
  page("GET", R"(/review/(\d{1,18}))", item_page);
  page("POST", R"(/review/(\d{1,18})/decide)", decide);
  page("GET", "/admin", admin);
  page("POST", R"(/admin/reopen/(\d{1,18}))", reopen);
  page("GET", "/admin/audit", audit);
  routes.push_back(context_route(ctx, "GET", R"(/media/submissions/(\d{1,18})/video)", video));
}

} // namespace curator::serve
