#include "serve/html.hpp"

#include <ctime>

namespace curator::serve::html {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

namespace {

constexpr const char* kStyle = R"css(
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:0 1rem 3rem;color:#222}
nav{display:flex;gap:1rem;align-items:center;padding:.8rem 0;border-bottom:1px solid #ddd;margin-bottom:1rem}
nav .me{margin-left:auto}nav form{display:inline}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input[type=text],input[type=email],input[type=url],input[type=password],select,textarea{width:100%;max-width:32rem;padding:.35rem}
button{padding:.4rem .9rem;margin:.3rem .3rem .3rem 0;cursor:pointer}
.note{color:#555;font-size:.9rem}.error{color:#a00;font-weight:600}
.blocked{background:#fff4d6;border:1px solid #d9a400;padding:.5rem .8rem;margin:.5rem 0 1rem}
progress{width:100%;max-width:32rem;height:1.2rem}
.faces img{width:96px;height:96px;object-fit:cover;margin:.2rem;border:1px solid #ccc}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:.25rem .6rem;text-align:left;vertical-align:top}
video{max-width:100%;max-height:26rem;background:#000}
body.wide{max-width:96rem}
.offscreen-ok{content-visibility:auto;contain-intrinsic-size:auto 40rem}
.chart{width:100%;height:26rem;margin:.5rem 0 1rem}.chart.small{height:18rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(28rem,1fr));gap:1rem}
.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end}.filters label{margin:0;font-weight:400;font-size:.85rem}
.filters input,.filters select{width:auto;max-width:14rem}
table.data{font-size:.85rem}table.data th a{color:inherit}
table.matrix td{text-align:center;min-width:9rem}
.worst figure{display:inline-block;margin:.2rem;text-align:center;font-size:.75rem}
.worst img{width:96px;height:96px;object-fit:cover;border:2px solid #c33}
)css";

} // namespace

std::string page(const std::string& title, const Viewer& viewer, const std::string& body,
                 const std::vector<std::string>& scripts) {
  std::string nav = "<nav><a href=\"/\">Submit a video</a>";
  if (!viewer.username.empty()) {
    nav += "<a href=\"/review\">Review queue</a><a href=\"/runs\">Runs</a><a href=\"/models\">Models</a>"
           "<a href=\"/dataset\">Dataset</a>";
    if (viewer.admin) nav += "<a href=\"/admin\">Admin</a><a href=\"/admin/audit\">Audit log</a>";
    nav += "<span class=\"me\">" + escape(viewer.username) +
           " <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"" +
           escape(viewer.csrf) + "\"><button type=\"submit\">Sign out</button></form></span>";
  } else {
    nav += "<a class=\"me\" href=\"/login\">Reviewer sign-in</a>";
  }
  nav += "</nav>";
  std::string script_tags;
  for (const auto& name : scripts) script_tags += "<script src=\"/static/" + escape(name) + "\" defer></script>";
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
         "content=\"width=device-width, initial-scale=1\"><title>" +
         escape(title) + " · curator</title><style>" + kStyle + "</style></head><body>" + nav + "<h1>" +
         escape(title) + "</h1>" + body + script_tags + "</body></html>";
}

Response html(std::string document, int status) {
  Response r = Response::text(std::move(document), "text/html; charset=utf-8", status);
  // Pages carry forms and session state: never cache them, never frame them.
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin"); // a submission's address carries its key
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
                         "media-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  return r;
}

bool local_path(const std::string& location) {
  // "//host", "/\\host" or "http://..." would make an open redirect out of ?next=, and browsers drop tabs
  // and line breaks from addresses ("/\t/host" is "//host" to them): no control characters, no spaces.
  if (location.empty() || location[0] != '/') return false;
  for (unsigned char c : location)
    if (c <= 0x20 || c == 0x7f || c == '\\') return false;
  return location.size() == 1 || location[1] != '/';
}

Response redirect(const std::string& location) {
  const bool local = local_path(location);
  Response r = Response::text("", "text/plain; charset=utf-8", 303);
  r.headers.emplace_back("Location", local ? location : "/");
  return r;
}

Response error_page(ErrorCode code, const std::string& message, const std::string& path) {
  if (code == ErrorCode::unauthorized) {
    std::string next;
    for (unsigned char c : path) // percent-encode everything but unreserved characters and '/'
      if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.') next += static_cast<char>(c);
      else {
        static const char* hex = "0123456789ABCDEF";
        next += '%', next += hex[c >> 4], next += hex[c & 15];
      }
    return redirect("/login?next=" + next);
  }
  const int status = http_status(code);
  const std::string title = status == 404 ? "Not found" : status == 403 ? "Not allowed" : status == 429 ? "Slow down"
                            : status >= 500                              ? "Something went wrong"
                                                                         : "That did not work";
  return html(page(title, {}, "<p class=\"error\">" + escape(message) + "</p><p><a href=\"/\">Back to the start</a></p>"),
              status);
}

std::string format_time(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

} // namespace curator::serve::html
