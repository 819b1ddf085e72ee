// The reviewer's door: GET /review (next item), GET /review/{id}, POST /review/{id}/decide; the admin's
// pages: GET /admin, POST /admin/reopen/{id}, GET /admin/audit; and the video itself for reviewers,
// GET /media/submissions/{id}/video with HTTP range requests (what <video> seeks with).
#include "core/blob_store.hpp"
#include "core/error.hpp"
#include "dataset/stats.hpp"
#include "ingest/ingest_service.hpp"
#include "labeling/audit_log.hpp"
#include "serve/web_auth.hpp"
#include "serve/handlers.hpp"

namespace curator::serve {

namespace review_pages {

using html::escape;

std::string csrf_field(const labeling::Session& s) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + escape(s.csrf) + "\">";
}

std::string thumbnails(ServiceContext& ctx, int64_t id) {
  std::string out = "<div class=\"faces\">";
  for (const auto& t : ctx.ingest.videos().tracks(id))
    out += "<img class=\"face\" src=\"/api/v1/submissions/" + std::to_string(id) + "/tracks/" + std::to_string(t.track) +
           "/thumbnail\" alt=\"face track " + std::to_string(t.track) + " (" + std::to_string(t.faces) + " faces)\">";
  return out + "</div>";
}

Response queue(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(ctx.web, req);
  if (auto item = ctx.web.reviews.next(session.user)) return html::redirect("/review/" + std::to_string(item->submission_id));
  return html::html(html::page("Review queue", viewer_of(session),
                               "<p id=\"empty\">Nothing is waiting for you. New submissions appear here once "
                               "their faces are found.</p>"));
}

Response item_page(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(ctx.web, req);
  const int64_t id = std::stoll(req.captures.at(0));
  const auto item = ctx.web.reviews.get(id);
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
  row("Review", "<span id=\"review-state\">" + escape(labeling::review_state_name(item.state)) + (item.label.empty() ? "" : " as " + escape(item.label)) +
                    "</span>" + (item.reason.empty() ? "" : " (" + escape(item.reason) + ")"));
  std::string answers;
  for (const auto& d : item.decisions)
    answers += escape(d.username) + ": " + escape(d.decision) + (d.reason.empty() ? "" : " (" + escape(d.reason) + ")") + "<br>";
  row("Answers this round", answers.empty() ? "none yet" : answers);
  body += "</table>";
  const bool own = item.submitted_by && *item.submitted_by == session.user.id;
  const bool open = item.state == labeling::ReviewState::pending ||
                    (item.state == labeling::ReviewState::escalated && session.user.is_admin());
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
  if (session.user.is_admin() && item.state != labeling::ReviewState::pending)
    body += "<form method=\"post\" action=\"/admin/reopen/" + sid + "\">" + csrf_field(session) +
            "<label for=\"reopen-reason\">Reopen for review</label><input type=\"text\" id=\"reopen-reason\" "
            "name=\"reason\" maxlength=\"1000\"><p><button type=\"submit\" id=\"reopen\">Reopen</button></p></form>";
  return html::html(html::page("Review submission #" + sid, viewer_of(session), body));
}

Response decide(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(ctx.web, req);
  auto form = parse_form(req.body);
  require_csrf(session, req, form["csrf"]);
  const int64_t id = std::stoll(req.captures.at(0));
  refuse_own_upload(ctx.web.reviews.get(id), req);
  ctx.web.reviews.decide(session.user, id, labeling::parse_verdict(form["decision"]), form["reason"]);
  return html::redirect("/review");
}

Response admin(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(ctx.web, req, true);
  auto& reviews = ctx.web.reviews;
  auto list = [&](labeling::ReviewState state) {
    std::string out = "<table>";
    for (const auto& it : reviews.list(state, 200))
      out += "<tr><td><a href=\"/review/" + std::to_string(it.submission_id) + "\">#" + std::to_string(it.submission_id) +
             "</a></td><td>" + escape(it.original_name) + "</td><td>" + escape(it.reason) + "</td></tr>";
    return out + "</table>";
  };
  std::string body = "<h2>Escalated: reviewers disagree</h2>" + list(labeling::ReviewState::escalated) +
                     "<h2>Rejected (open one to reopen it)</h2>" + list(labeling::ReviewState::rejected) + "<h2>Held back from the dataset</h2><table>";
  {
    auto conn = ctx.db.connect();
    for (const auto& held : dataset::quarantined_videos(*conn))
      body += "<tr><td>#" + std::to_string(held["submission"].get<int64_t>()) + "</td><td>" +
              escape(held["reason"].get<std::string>()) + "</td></tr>";
  }
  body += "</table><p class=\"note\">Exclude one with <code>curator dataset exclude ID --reason ...</code>.</p>"
          "<h2>Accounts</h2><table>";
  for (const auto& u : ctx.web.accounts.list())
    body += "<tr><td>" + escape(u.username) + "</td><td>" + labeling::role_name(u.role) + "</td><td>" +
            (u.disabled ? "disabled" : "active") + "</td></tr>";
  body += "</table><p class=\"note\">Manage accounts with <code>curator user add|disable|passwd|role</code>.</p>";
  return html::html(html::page("Admin", viewer_of(session), body));
}

Response reopen(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(ctx.web, req, true);
  auto form = parse_form(req.body);
  require_csrf(session, req, form["csrf"]);
  const int64_t id = std::stoll(req.captures.at(0));
  ctx.web.reviews.reopen(session.user, id, form["reason"]);
  return html::redirect("/review/" + std::to_string(id));
}

Response audit(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(ctx.web, req, true);
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

// The stored video, streamed; the server answers the range requests <video> seeks with (byte_range.hpp).
Response video(ServiceContext& ctx, const Request& req) {
  require_session(ctx.web, req);
  const int64_t id = std::stoll(req.captures.at(0));
  const auto sub = ctx.ingest.submissions().get(id);
  if (!sub || !sub->blob_sha256) throw NotFound("no stored video for submission " + std::to_string(id));
  const std::string sha = *sub->blob_sha256;
  Response r = Response::file_content(ctx.blobs.path_of(sha), "video/mp4");
  r.headers.emplace_back("Cache-Control", "private, max-age=600");
  return r;
}

} // namespace review_pages

} // namespace curator::serve
