// The contributor's door and the sign-in page: GET / (the form), POST /submit, GET /submissions/{id}?key=
// (progress, faces, review state; the key is the submission's, see visible_submission), GET|POST /login,
// POST /logout.
#include "serve/handlers.hpp"

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "serve/submission_routes.hpp"
#include "serve/web_auth.hpp"

#include <SQLiteCpp/Statement.h>

namespace curator::serve {

namespace web_pages {

using html::escape;

constexpr const char* kLicenceNote =
    "I made this video or have the right to share it, and I agree that curator keeps it and uses it, and the "
    "faces in it, to train and evaluate deepfake detectors. Reviewers will see it; it is not published.";


Response index(ServiceContext& ctx, const Request& req) {
  const auto session = current_session(ctx.web, req);
  std::string set_cookie_header;
  const std::string csrf =
      session ? session->csrf : anonymous_csrf(req, set_cookie_header, secure_request(ctx.web, req));
  const std::string body =
      "<p>Send us real videos and deepfakes. Every video is checked, its faces are found, and people confirm "
      "its label before a detector learns from it.</p>"
      "<form id=\"submit-form\" method=\"post\" action=\"/submit\" enctype=\"multipart/form-data\">"
      "<input type=\"hidden\" name=\"csrf\" value=\"" + escape(csrf) + "\">"
      "<label for=\"file\">Video file</label><input type=\"file\" id=\"file\" name=\"file\" accept=\"video/*\">"
      "<label for=\"url\">or a link to it</label><input type=\"url\" id=\"url\" name=\"url\" maxlength=\"2000\" "
      "placeholder=\"https://\">"
      "<label for=\"label\">Is it real or fake?</label><select id=\"label\" name=\"label\">"
      "<option value=\"unknown\">I do not know</option><option value=\"real\">Real</option>"
      "<option value=\"fake\">Fake (a deepfake)</option></select>"
      "<label for=\"source\">Where is it from?</label><input type=\"text\" id=\"source\" name=\"source\" "
      "value=\"contributor\" maxlength=\"64\" pattern=\"[A-Za-z0-9_\\-]+\">"
      "<label for=\"method\">How was it made? (if you know)</label><input type=\"text\" id=\"method\" "
      "name=\"method\" maxlength=\"128\">"
      "<label for=\"derived_from\">Made from which video? (#submission number or the original's name)</label>"
      "<input type=\"text\" id=\"derived_from\" name=\"derived_from\" maxlength=\"512\">"
      "<label for=\"name\">Your name (optional)</label><input type=\"text\" id=\"name\" name=\"name\" maxlength=\"100\">"
      "<label for=\"email\">Your email (optional)</label><input type=\"email\" id=\"email\" name=\"email\" "
      "maxlength=\"200\">"
      "<label><input type=\"checkbox\" id=\"consent\" name=\"consent_given\" required> " + escape(kLicenceNote) +
      "</label><p><button type=\"submit\" id=\"send\">Send the video</button></p>"
      "<progress id=\"progress\" max=\"100\" value=\"0\" hidden></progress><p id=\"status\" class=\"error\"></p></form>";
  auto res = html::html(html::page("Submit a video", viewer_of(session), body, {"submit.js"}));
  if (!set_cookie_header.empty()) res.headers.emplace_back("Set-Cookie", set_cookie_header);
  return res;
}

Response submit(ServiceContext& ctx, const Request& req, BodyReader& body) {
  const auto session = current_session(ctx.web, req);
  if (!session && !ctx.web.anonymous_submissions.allow(req.remote_addr))
    throw RateLimited("too many submissions from this address; try again within the hour");
  const auto uploader = uploader_token(ctx.web, req);
  const auto receipt = receive_submission(ctx, req, body, [&](const auto& fields, ingest::SubmissionMeta& meta) {
    auto get = [&](const char* k) { auto it = fields.find(k); return it == fields.end() ? std::string() : it->second; };
    if (session) require_csrf(*session, req, get("csrf"));
    else require_anonymous_csrf(req, get("csrf"));
    if (get("consent_given") != "on" && get("consent_given") != "true")
      throw InvalidInput("please tick the consent box: we cannot keep a video without it");
    const std::string name = get("name"), email = get("email");
    if (name.size() > 100) throw InvalidInput("the name is longer than 100 characters");
    if (!email.empty() && (email.size() > 200 || email.find('@') == std::string::npos ||
                           email.find_first_of(" <>\"\r\n") != std::string::npos))
      throw InvalidInput("that email address does not look right");
    meta.contributor = name + (email.empty() ? "" : (name.empty() ? "" : " ") + ("<" + email + ">"));
    meta.consent = kLicenceNote;
    if (session) meta.submitted_by = session->user.id;
    else meta.uploader_hash = core::sha256_hex(uploader.first);
    meta.client_addr = req.remote_addr.substr(0, 64);
  });
  const std::string page_url = submission_page_url(receipt);
  Response res = req.header("Accept").value_or("").find("application/json") != std::string::npos
                     ? Response::json({{"id", receipt.id}, {"state", receipt.state}, {"page_url", page_url}}, 202)
                     : html::redirect(page_url);
  if (!session && !uploader.second.empty()) res.headers.emplace_back("Set-Cookie", uploader.second);
  return res;
}


Response submission_page(ServiceContext& ctx, const Request& req) {
  const int64_t id = std::stoll(req.captures.at(0));
  const auto sub = visible_submission(ctx, req, id);
  const std::string body =
      "<table><tr><th>Video</th><td>" + escape(sub.original_name) + "</td></tr>"
      "<tr><th>Claimed</th><td>" + escape(ingest::label_name(sub.meta.label)) + "</td></tr>"
      "<tr><th>Source</th><td>" + escape(sub.meta.source) + "</td></tr>"
      "<tr><th>Ingest</th><td><span id=\"state\">" + escape(ingest::submission_state_name(sub.state)) + "</span> "
      "<progress id=\"progress\" max=\"1\" value=\"0\"></progress></td></tr>"
      "<tr><th>Why</th><td id=\"reason\" class=\"error\">" + escape(sub.reason.value_or("")) + "</td></tr>"
      "<tr><th>Review</th><td id=\"review\">waiting for ingest</td></tr></table>"
      "<h2>Faces found</h2><div id=\"faces\" class=\"faces\"></div>"
      "<p class=\"note\">This page updates itself. Keep its address to come back later: it holds a private key, "
      "and anyone with the address can see this page.</p>";
  std::string doc = html::page("Submission #" + std::to_string(id), viewer_of(current_session(ctx.web, req)), body,
                               {"submission.js"});
  const std::string marker = "<body>";
  doc.replace(doc.find(marker), marker.size(), "<body data-submission=\"" + std::to_string(id) + "\">");
  return html::html(doc);
}

std::string login_form(const std::string& csrf, const std::string& next, const std::string& error) {
  return (error.empty() ? "" : "<p class=\"error\">" + escape(error) + "</p>") +
         "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"" + escape(csrf) +
         "\"><input type=\"hidden\" name=\"next\" value=\"" + escape(next) + "\">"
         "<label for=\"username\">User name</label><input type=\"text\" id=\"username\" name=\"username\" "
         "maxlength=\"64\" autocomplete=\"username\" required>"
         "<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" "
         "maxlength=\"1024\" autocomplete=\"current-password\" required>"
         "<p><button type=\"submit\" id=\"sign-in\">Sign in</button></p></form>";
}

Response login_page(ServiceContext& ctx, const Request& req) {
  std::string set_cookie_header;
  const std::string csrf = anonymous_csrf(req, set_cookie_header, secure_request(ctx.web, req));
  auto res = html::html(html::page("Reviewer sign-in", {}, login_form(csrf, req.query_param("next").value_or("/review"), "")));
  if (!set_cookie_header.empty()) res.headers.emplace_back("Set-Cookie", set_cookie_header);
  return res;
}

Response login(ServiceContext& ctx, const Request& req) {
  const auto form = parse_form(req.body);
  auto get = [&](const char* k) { auto it = form.find(k); return it == form.end() ? std::string() : it->second; };
  require_anonymous_csrf(req, get("csrf"));
  const std::string name = get("username"), next = get("next").empty() ? "/review" : get("next");
  SignedIn signed_in;
  try {
    signed_in = sign_in(ctx.web, req, name, get("password"));
  } catch (const Unauthorized&) {
    return html::html(html::page("Reviewer sign-in", {}, login_form(get("csrf"), next, "Wrong user name or password.")),
                      401);
  }
  auto res = html::redirect(next);
  for (const auto& c : signed_in.cookies) res.headers.emplace_back("Set-Cookie", c);
  return res;
}

Response logout(ServiceContext& ctx, const Request& req) {
  const auto session = require_session(ctx.web, req);
  require_csrf(session, req, parse_form(req.body)["csrf"]);
  ctx.web.accounts.close_session(*cookie(req, kSessionCookie));
  auto res = html::redirect("/");
  res.headers.emplace_back("Set-Cookie", set_cookie(kSessionCookie, "", 0, secure_request(ctx.web, req)));
  return res;
}

} // namespace web_pages

} // namespace curator::serve
