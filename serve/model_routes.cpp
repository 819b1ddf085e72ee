// Publishing and scoring: GET /api/v1/models[/champion|/{v}|/{v}/torchscript], POST /api/v1/score, and
// the /models page (versions, and each promotion decision's side-by-side table).
#include "core/error.hpp"
#include "core/job_queue.hpp"
#include "core/setting_keys.hpp"
#include "core/sha256.hpp"
#include "retrain/round_store.hpp"
#include "serve/handlers.hpp"
#include "serve/html.hpp"
#include "serve/model_loop.hpp"
#include "serve/submission_routes.hpp"
#include "serve/web_auth.hpp"

#include <set>
#include <thread>

namespace curator::serve {

namespace model_api {

using html::escape;

nlohmann::json rounds(ServiceContext& ctx, int limit) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : retrain::RoundStore(ctx.db).list(limit)) out.push_back(r.to_json());
  return out;
}

Response models(ServiceContext& ctx, const Request&) {
  auto& reg = ctx.models.registry();
  nlohmann::json versions = nlohmann::json::array(), decisions = nlohmann::json::array();
  for (const auto& v : reg.list()) versions.push_back(v.to_json());
  for (const auto& d : reg.decisions(100)) decisions.push_back(d.to_json());
  const auto champion = reg.champion();
  return Response::json({{"champion", champion ? nlohmann::json(champion->version) : nlohmann::json()},
                         {"versions", versions},
                         {"decisions", decisions},
                         {"rounds", rounds(ctx, 50)},
                         {"outlook", ctx.models.outlook().to_json()}});
}

std::string outlook_banner(ServiceContext& ctx) {
  const auto o = ctx.models.outlook();
  if (o.can_promote) return "";
  return "<p class=\"blocked\" id=\"outlook\" data-reason=\"" + std::string(retrain::outlook_reason_name(o.reason)) +
         "\">" + escape(o.sentence) + "</p>";
}

Response champion(ServiceContext& ctx, const Request&) {
  const auto c = ctx.models.registry().champion();
  if (!c) throw NotFound("there is no champion model yet");
  return Response::json(c->to_json());
}

Response version(ServiceContext& ctx, const Request& req) {
  return Response::json(ctx.models.registry().get(std::stoll(req.captures.at(0))).to_json());
}

// A version is published once it has been champion (champion, or archived after a later promotion).
bool published(const retrain::ModelVersion& v) {
  return v.state == retrain::ModelState::champion || v.state == retrain::ModelState::archived;
}

// Weights of published versions are public; candidates and rejected versions only for staff (to anyone
// else they do not exist).
Response torchscript(ServiceContext& ctx, const Request& req) {
  const auto v = ctx.models.registry().get(std::stoll(req.captures.at(0)));
  if (!published(v) && !current_session(ctx.web, req))
    throw NotFound("no published model v" + std::to_string(v.version));
  Response r = Response::file_content(v.dir / "torchscript.pt", "application/octet-stream");
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"curator-detector-v" + std::to_string(v.version) + ".pt\"");
  return r;
}

// The upload is stored (content-addressed), a score.video job is queued for the model worker, and the
// answer comes when the job is done, or after score.wait_seconds as 202 with the job to poll.
// The upload rules hold here as on the submission routes: a signed-in caller sends its CSRF token, an
// anonymous one is rate-limited per address; a video added to the dataset needs consent and carries who
// sent it (the user, or the browser's uploader mark), so nobody reviews their own upload.
Response score(ServiceContext& ctx, const Request& req, BodyReader& body) {
  if (!ctx.models.registry().champion()) throw Unavailable("there is no champion model yet");
  const auto session = current_session(ctx.web, req);
  if (session) require_csrf(*session, req, "");
  else if (!ctx.web.anonymous_submissions.allow(req.remote_addr))
    throw RateLimited("too many requests from this address; try again within the hour");
  if (!body.multipart()) throw InvalidInput("send the video as multipart/form-data field \"file\"");
  const int64_t max_bytes = ctx.config.get(core::keys::ingest_max_upload_mb) << 20;
  auto up = read_upload(ctx, body, max_bytes);
  if (!up.file || up.file->size() == 0) throw InvalidInput("attach the video as the \"file\" field");
  const std::string filename = up.filename, add = up.fields["add_to_dataset"];
  const bool adding = add == "true" || add == "on" || add == "1";
  const std::string consent = up.fields["consent_given"];
  if (adding && consent != "on" && consent != "true") // refused before anything is kept
    throw InvalidInput("adding the video to the dataset needs consent: send consent_given=on (and a consent statement)");
  std::pair<std::string, std::string> uploader;
  if (adding && !session) uploader = uploader_token(ctx.web, req);
  const auto blob = up.file->commit();
  nlohmann::json out;
  if (adding) { // asked: the video also joins the dataset as a submission
    ingest::SubmissionMeta meta;
    meta.client_addr = req.remote_addr.substr(0, 64);
    meta.consent = up.fields["consent"];
    meta.contributor = up.fields["contributor"];
    if (session) meta.submitted_by = session->user.id;
    else if (!uploader.first.empty()) meta.uploader_hash = core::sha256_hex(uploader.first);
    const auto receipt = ctx.ingest.submit_blob(blob, filename, meta);
    out["submission"] = receipt.id;
    out["submission_url"] = submission_status_url(receipt);
  } else {
    ctx.ingest.forget_scored_later(blob.sha256); // scored, not kept
  }
  const auto key = ingest::AccessKey::generate(); // the result is the requester's: only they can poll it
  const int64_t job = ctx.jobs.enqueue(core::JobSpec::of(
      core::jobs::kScoreVideo, {{"sha256", blob.sha256}, {"name", filename}, {"access_key_hash", key.hash}}));
  out["job"] = job;
  // A long poll: the server checks the job every 100 ms, holding no HTTP thread in between.
  Response waiting;
  waiting.deferred = std::make_shared<Deferred>();
  waiting.deferred->deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(ctx.config.get(core::keys::score_wait_seconds));
  core::JobQueue* jobs = &ctx.jobs;
  // The uploader mark's cookie (a first anonymous upload) goes with whichever answer comes.
  auto with_cookie = [cookie = uploader.second](Response r) {
    if (!cookie.empty()) r.headers.emplace_back("Set-Cookie", cookie);
    return r;
  };
  waiting.deferred->poll = [jobs, job, out, with_cookie]() -> std::optional<Response> {
    const auto j = jobs->get(job);
    if (j && j->state == core::JobState::done) {
      auto done = out;
      if (j->result) done.update(nlohmann::json::parse(*j->result));
      return with_cookie(Response::json(done));
    }
    if (j && j->state == core::JobState::dead)
      return with_cookie(Response::error(ErrorCode::invalid_input, "the video could not be scored: " +
                                                                       j->last_error.value_or("unknown error")));
    return std::nullopt;
  };
  waiting.deferred->timeout = [out, job, k = key.key, with_cookie] {
    auto later = out;
    later["status_url"] = "/api/v1/jobs/" + std::to_string(job) + "?key=" + k;
    return with_cookie(Response::json(later, 202));
  };
  return waiting;
}

std::string number(const nlohmann::json& v, const char* format = "%.3f") {
  if (!v.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v.get<double>());
  return buf;
}

// "0.812 [0.700, 0.900]" from {value, low, high}.
std::string with_interval(const nlohmann::json& e, const char* format = "%.3f") {
  if (!e.is_object() || !e.contains("value") || !e["value"].is_number()) return "-";
  return number(e["value"], format) + " [" + number(e.value("low", nlohmann::json()), format) + ", " +
         number(e.value("high", nlohmann::json()), format) + "]";
}

// "12 / 9 (4 both)": split units with reals / with fakes (holding both).
std::string units_text(const nlohmann::json& u) {
  if (!u.is_object()) return "-";
  return std::to_string(u.value("with_reals", 0)) + " / " + std::to_string(u.value("with_fakes", 0)) + " (" +
         std::to_string(u.value("mixed", 0)) + " both)";
}

std::string decision_row(const nlohmann::json& s) {
  return "<tr><td>" + escape(s.value("source", "")) + "</td><td>" + std::to_string(s.value("real_videos", 0)) + " / " +
         std::to_string(s.value("fake_videos", 0)) + "</td><td>" + units_text(s.value("units", nlohmann::json())) +
         "</td><td>" + with_interval(s.value("candidate_auc", nlohmann::json())) + "</td><td>" +
         with_interval(s.value("champion_auc", nlohmann::json())) + "</td><td>" +
         with_interval(s.value("delta", nlohmann::json()), "%+.3f") + "</td><td>" +
         with_interval(s.value("frames_auc", nlohmann::json::object()).value("delta", nlohmann::json()), "%+.3f") +
         "</td><td>" + std::to_string(s.value("looks_before", 0) + (s.value("judged", false) ? 1 : 0)) +
         "</td><td title=\"" + escape(s.value("reason", "")) + "\">" + escape(s.value("verdict", "")) + "</td></tr>";
}

// One decision side by side: both models on the same test faces, per source.
std::string decision_table(const retrain::PromotionRecord& d) {
  const auto& gate = d.decision.value("gate", nlohmann::json::object());
  std::string out = "<table class=\"decision\" id=\"decision-" + std::to_string(d.id) + "\"><tr><th>Source</th>"
                    "<th>Real / fake test videos</th><th>Units with reals / fakes</th><th>Candidate v" +
                    std::to_string(d.candidate) + "</th><th>Champion " +
                    (d.champion ? "v" + std::to_string(*d.champion) : std::string("(none)")) +
                    "</th><th>&Delta; AUC [95%]</th><th>Frame-level &Delta;</th><th>Looks at this test split</th>"
                    "<th>Verdict</th></tr>";
  for (const auto& s : d.decision.value("sources", nlohmann::json::array())) out += decision_row(s);
  const auto& small = d.decision.value("small_sources", nlohmann::json());
  if (small.is_object()) out += decision_row(small);
  char alpha[32] = "?";
  if (d.decision.value("alpha_spent", nlohmann::json()).is_number())
    std::snprintf(alpha, sizeof alpha, "%.2g", d.decision["alpha_spent"].get<double>());
  out += "</table><p class=\"note\">" + escape(d.decision.value("summary", "")) + " Metric " +
         escape(gate.value("metric", "?")) + ", " + std::to_string(gate.value("resamples", 0)) +
         " paired resamples of the test split units of snapshot " + escape(d.snapshot_id.substr(0, 12)) + "; look " +
         std::to_string(d.decision.value("look", 1)) + " at the test split, alpha spent " + alpha +
         " (Holm across judged sources); candidate init " + escape(d.decision.value("init", "?")) + ".</p>";
  return out;
}

Response models_page(ServiceContext& ctx, const Request& req) {
  auto& reg = ctx.models.registry();
  const bool staff = current_session(ctx.web, req).has_value();
  // Versions are compared only inside a decision, where both were scored on the same test faces; each
  // version's own card numbers come from its own snapshot and are not put side by side here.
  std::string body = outlook_banner(ctx) + "<h2>Versions</h2><table id=\"versions\"><tr><th>Version</th><th>State</th><th>Created</th>"
                     "<th>Backbone</th><th>Init</th><th>Trained on</th><th>Snapshot</th><th>Download</th></tr>";
  for (const auto& v : reg.list()) {
    const std::string init = v.card.value("init", "scratch");
    std::string sources;
    for (const auto& s : v.card.value("training_sources", nlohmann::json::array()))
      sources += (sources.empty() ? "" : ", ") + s.get<std::string>();
    body += "<tr><td>v" + std::to_string(v.version) + "</td><td>" + retrain::model_state_name(v.state) + "</td><td>" +
            html::format_time(v.created_ms) + "</td><td>" + escape(v.card.value("backbone", "resnet18")) + "</td><td>" +
            (init == "scratch" ? std::string("<strong>scratch</strong> (no ImageNet weights)") : escape(init.substr(0, 21))) +
            "</td><td>" + escape(sources) + "</td><td>" + escape(v.snapshot_id.substr(0, 12)) +
            "</td><td>" +
            (published(v) || staff ? "<a href=\"/api/v1/models/" + std::to_string(v.version) + "/torchscript\">TorchScript</a>"
                                   : std::string("unpublished")) +
            "</td></tr>";
  }
  body += "</table><h2>The champion's ROC curves</h2><p class=\"note\">On its own snapshot's test split, per "
          "source (videos by the confident strategy), as recorded on its model card.</p>"
          "<div id=\"champion-roc\" class=\"chart\"></div><p id=\"chart-note\" class=\"note\"></p>"
          "<h2>Promotion decisions</h2><p class=\"note\">Each decision scores the candidate and the champion "
          "on the same test faces at decision time; numbers of different decisions come from different test sets "
          "and are not comparable.</p>";
  for (const auto& d : reg.decisions(100))
    body += "<h3>" + html::format_time(d.at_ms) + ": v" + std::to_string(d.candidate) + " " +
            (d.promoted ? "promoted" : "not promoted") + "</h3>" + decision_table(d);
  body += "<h2>Retraining rounds</h2><table id=\"rounds\"><tr><th>Round</th><th>Trigger</th><th>State</th>"
          "<th>Started</th><th>Candidate</th><th>Error</th></tr>";
  for (const auto& r : rounds(ctx, 50))
    body += "<tr><td>" + std::to_string(r["round"].get<int64_t>()) + "</td><td>" + escape(r["trigger"].get<std::string>()) +
            "</td><td>" + escape(r["state"].get<std::string>()) + "</td><td>" + html::format_time(r["started_ms"]) +
            "</td><td>" + (r["candidate"].is_null() ? "-" : "v" + std::to_string(r["candidate"].get<int64_t>())) +
            "</td><td>" + escape(r["error"].get<std::string>()) + "</td></tr>";
  body += "</table>";
  std::optional<labeling::Session> session;
  session = current_session(ctx.web, req);
  return html::html(html::page("Models", viewer_of(session), body, {"echarts.min.js", "charts.js", "models.js"}));
}

} // namespace model_api

} // namespace curator::serve
