// The dashboard's pages: GET /runs (filters, parallel coordinates, the table), /runs/{id} (curves, ROC,
// confusion counts, worst faces), /experiments/{id} (the cross-source matrix), /dataset (counts per source,
// split and label, and their growth). Tables are rendered here; the charts are drawn by the pages' scripts
// (serve/assets/) from the JSON API, so every picture can be rebuilt from the API alone.
#include "serve/dashboard.hpp"

#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "dataset/snapshot.hpp"
#include "dataset/stats.hpp"
#include "serve/handlers.hpp"
#include "serve/html.hpp"
#include "serve/web_auth.hpp"

#include <algorithm>
#include <set>

namespace curator::serve {

namespace {

using html::escape;

std::string num(std::optional<double> v, const char* format = "%.3f") {
  if (!v) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, *v);
  return buf;
}

std::string num(double v, const char* format = "%.3f") { return num(std::optional<double>(v), format); }

std::string num(const nlohmann::json& v, const char* format = "%.3f") {
  return v.is_number() ? num(std::optional<double>(v.get<double>()), format) : "-";
}

// A page with wide layout and data attributes on <body> for its script.
// `preload`: the JSON its script will fetch, requested while the page is still being parsed.
Response dashboard_page(ServiceContext& ctx, const Request& req, const std::string& title, const std::string& body,
                        const std::string& script, const std::string& body_attributes = "",
                        const std::string& preload = "") {
  std::string doc = html::page(title, viewer_of(current_session(ctx.web, req)), body,
                               {"echarts.min.js", "charts.js", script});
  const std::string marker = "<body>";
  doc.replace(doc.find(marker), marker.size(), "<body class=\"wide\"" + body_attributes + ">");
  if (!preload.empty())
    doc.replace(doc.find("</head>"), 0, "<link rel=\"preload\" as=\"fetch\" crossorigin=\"anonymous\" href=\"" +
                                            escape(preload) + "\">");
  return html::html(doc);
}

std::string query_string(const retrain::RunFilter& f) {
  std::string out;
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    out += (out.empty() ? "" : "&") + std::string(k) + "=";
    for (unsigned char c : v)
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') out += static_cast<char>(c);
      else {
        static const char* hex = "0123456789ABCDEF";
        out += '%', out += hex[c >> 4], out += hex[c & 15];
      }
  };
  add("q", f.text), add("experiment", f.experiment_id), add("state", f.state), add("backbone", f.backbone);
  add("source", f.train_source), add("snapshot", f.snapshot_id);
  return out;
}

std::string select(const char* id, const char* label, const std::vector<std::string>& options, const std::string& value) {
  std::string out = "<div><label for=\"" + std::string(id) + "\">" + label + "</label><select id=\"" + id + "\" name=\"" +
                    id + "\"><option value=\"\">any</option>";
  for (const auto& o : options)
    out += "<option" + std::string(o == value ? " selected" : "") + " value=\"" + escape(o) + "\">" + escape(o) + "</option>";
  return out + "</select></div>";
}

std::string text_input(const char* id, const char* label, const std::string& value) {
  return "<div><label for=\"" + std::string(id) + "\">" + label + "</label><input type=\"text\" id=\"" + id +
         "\" name=\"" + id + "\" value=\"" + escape(value) + "\" maxlength=\"128\"></div>";
}

// Sorting of the runs table: a column key and a direction. Runs rank by validation AUC (test AUC is the
// record, never a ranking: the gate reuses the test split).
struct Sort {
  std::string key = "val";
  bool descending = true;
};

double sort_value(const retrain::RunRecord& r, const std::string& key) {
  if (key == "started") return static_cast<double>(r.started_ms);
  if (key == "seconds") return r.seconds;
  if (key == "epochs") return r.params.epochs;
  if (key == "lr") return r.params.lr;
  if (key == "val") return retrain::validation_auc(r).value_or(-1);
  return 0;
}

std::string sort_text(const retrain::RunRecord& r, const std::string& key) {
  if (key == "id") return r.id;
  if (key == "state") return r.state;
  if (key == "source") return r.params.train_source;
  if (key == "experiment") return r.experiment_id;
  if (key == "backbone") return r.params.backbone;
  return "";
}

void sort_runs(std::vector<retrain::RunRecord>& runs, const Sort& s) {
  const bool textual = s.key == "id" || s.key == "state" || s.key == "source" || s.key == "experiment" || s.key == "backbone";
  // Each run's key once (reading a value out of a run's metrics costs more than comparing it).
  std::vector<std::pair<std::string, double>> keys;
  for (const auto& r : runs) keys.emplace_back(textual ? sort_text(r, s.key) : "", textual ? 0 : sort_value(r, s.key));
  std::vector<size_t> order(runs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const bool less = textual ? keys[a].first < keys[b].first : keys[a].second < keys[b].second;
    const bool greater = textual ? keys[b].first < keys[a].first : keys[b].second < keys[a].second;
    return s.descending ? greater : less;
  });
  std::vector<retrain::RunRecord> sorted;
  sorted.reserve(runs.size());
  for (size_t i : order) sorted.push_back(std::move(runs[i]));
  runs = std::move(sorted);
}

std::string header_link(const std::string& label, const std::string& key, const Sort& sort, const std::string& query) {
  const bool active = sort.key == key;
  const std::string order = active && sort.descending ? "asc" : "desc";
  return "<th><a href=\"/runs?" + escape(query + (query.empty() ? "" : "&") + "sort=" + key + "&order=" + order) + "\">" +
         label + (active ? (sort.descending ? " &#9660;" : " &#9650;") : "") + "</a></th>";
}

std::string runs_table(const std::vector<retrain::RunRecord>& runs, const std::vector<std::string>& test_sources,
                       const Sort& sort, const std::string& query) {
  std::string out = "<table class=\"data\" id=\"runs\"><thead><tr>" + header_link("Run", "id", sort, query) +
                    header_link("State", "state", sort, query) + header_link("Experiment", "experiment", sort, query) +
                    header_link("Trained on", "source", sort, query) + header_link("Backbone", "backbone", sort, query) +
                    "<th>Init</th>" + header_link("Epochs", "epochs", sort, query) + "<th>Batch</th>" +
                    header_link("LR", "lr", sort, query) + "<th>Schedule</th><th>Dropout</th><th>Weight decay</th>"
                    "<th>Hidden</th>" + header_link("Val AUC", "val", sort, query);
  for (const auto& s : test_sources) out += "<th class=\"record\">Test AUC " + escape(s) + "</th>";
  out += header_link("Started", "started", sort, query) + header_link("Seconds", "seconds", sort, query) +
         "</tr></thead><tbody>";
  for (const auto& r : runs) {
    const auto& p = r.params;
    out += "<tr data-run=\"" + escape(r.id) + "\"><td><a href=\"/runs/" + escape(r.id) + "\">" + escape(r.id) +
           "</a></td><td>" + escape(r.state) + "</td><td>" +
           (r.experiment_id.empty() ? "" : "<a href=\"/experiments/" + escape(r.experiment_id) + "\">" + escape(r.experiment_id) + "</a>") +
           "</td><td>" + escape(p.train_source.empty() ? "all" : p.train_source) + "</td><td>" + escape(p.backbone) +
           "</td><td>" + escape(r.init.empty() ? "-" : r.init.substr(0, 8)) + "</td><td>" + std::to_string(p.epochs) +
           "</td><td>" + std::to_string(p.batch) + "</td><td>" + num(p.lr, "%.2g") + "</td><td>" + escape(p.schedule) +
           "</td><td>" + num(p.dropout, "%.2f") + "</td><td>" + num(p.weight_decay, "%.2g") + "</td><td>" +
           std::to_string(p.hidden) + "</td><td>" + num(retrain::validation_auc(r)) + "</td>";
    for (const auto& s : test_sources) out += "<td>" + num(dashboard::metric(r.metrics, "test", s, "videos_mean")) + "</td>";
    out += "<td>" + html::format_time(r.started_ms) + "</td><td>" + num(r.seconds, "%.0f") + "</td></tr>";
  }
  return out + "</tbody></table>";
}

std::vector<std::string> distinct(const std::vector<retrain::RunRecord>& runs,
                                  const std::function<std::string(const retrain::RunRecord&)>& field) {
  std::set<std::string> values;
  for (const auto& r : runs)
    if (!field(r).empty()) values.insert(field(r));
  return {values.begin(), values.end()};
}

std::string run_facts(const retrain::RunRecord& r) {
  std::string out = "<table id=\"facts\"><tr><th>State</th><td id=\"state\">" + escape(r.state) +
                    (r.error.empty() ? "" : " <span class=\"error\">" + escape(r.error) + "</span>") +
                    "</td></tr><tr><th>Snapshot</th><td>" + escape(r.snapshot_id.substr(0, 12)) + "</td></tr>";
  if (!r.experiment_id.empty())
    out += "<tr><th>Experiment</th><td><a href=\"/experiments/" + escape(r.experiment_id) + "\">" +
           escape(r.experiment_id) + "</a></td></tr>";
  if (!r.search_id.empty())
    out += "<tr><th>Search</th><td><a href=\"/experiments/" + escape(r.search_id) + "\">" + escape(r.search_id) +
           "</a> #" + std::to_string(r.search_index) + "</td></tr>";
  out += "<tr><th>Initialisation</th><td>" + escape(r.init.empty() ? "-" : r.init) + "</td></tr><tr><th>Started</th><td>" +
         html::format_time(r.started_ms) + "</td></tr><tr><th>Duration</th><td>" + num(r.seconds, "%.0f") +
         " s</td></tr><tr><th>Code</th><td>" + escape(r.code_version) + "</td></tr>";
  for (const auto& w : r.warnings) out += "<tr><th>Warning</th><td>" + escape(w.dump()) + "</td></tr>";
  out += "</table><h2>Parameters</h2><table id=\"params\">";
  const auto params = r.params.to_json();
  for (const auto& [k, v] : params.items())
    out += "<tr><th>" + escape(k) + "</th><td>" + escape(v.is_string() ? v.get<std::string>() : v.dump()) + "</td></tr>";
  return out + "</table>";
}

// "4 / 6": the split units holding reals and fakes, over which the intervals were resampled; "-" without.
std::string units_cell(const nlohmann::json& level) {
  if (!level.contains("units") || !level["units"].is_object()) return "-";
  const auto& u = level["units"];
  return std::to_string(u.value("with_reals", 0)) + " / " + std::to_string(u.value("with_fakes", 0));
}

std::string confusion_table(const nlohmann::json& test) {
  std::string out = "<table class=\"data\" id=\"confusion\"><tr><th>Test source</th><th>Level</th><th>Fakes caught (TP)</th>"
                    "<th>Fakes missed (FN)</th><th>Reals flagged (FP)</th><th>Reals passed (TN)</th>"
                    "<th>Split units (with reals / with fakes)</th></tr>";
  for (const auto& [source, m] : test.items())
    for (const char* level : {"frames", "videos_confident"}) {
      if (!m.contains(level) || !m[level].contains("confusion")) continue;
      const auto& c = m[level]["confusion"];
      out += "<tr><td>" + escape(source) + "</td><td>" + (std::string(level) == "frames" ? "frames" : "videos") +
             "</td><td>" + c.value("tp", nlohmann::json(0)).dump() + "</td><td>" + c.value("fn", nlohmann::json(0)).dump() +
             "</td><td>" + c.value("fp", nlohmann::json(0)).dump() + "</td><td>" + c.value("tn", nlohmann::json(0)).dump() +
             "</td><td>" + units_cell(m[level]) + "</td></tr>";
    }
  return out + "</table><p class=\"note\">At the run's threshold, fake probability 0.5; videos by the confident "
               "strategy. Split units: a person with their footage and every fake made of it; intervals resample "
               "them whole.</p>";
}

std::string worst_strips(const nlohmann::json& test) {
  std::string out;
  for (const auto& [source, m] : test.items()) {
    if (source == "all" || !m.contains("worst")) continue;
    out += "<h3>" + escape(source) + "</h3><div class=\"worst\" data-source=\"" + escape(source) + "\">";
    for (const auto& w : m["worst"])
      out += "<figure><img src=\"" + escape(w.value("image_url", "")) + "\" alt=\"face of video " +
             std::to_string(w.value("video", int64_t{0})) + "\"><figcaption>#" +
             std::to_string(w.value("video", int64_t{0})) + " " + escape(w.value("label", "")) + ", p(fake) " + num(w.value("p_fake", nlohmann::json())) +
             "</figcaption></figure>";
    if (m["worst"].empty()) out += "<p class=\"note\">None to show (none recorded, or their reviews are open).</p>";
    out += "</div>";
  }
  return out.empty() ? "<p class=\"note\">This run recorded no per-face scores.</p>" : out;
}

// " 12/9 units": test units holding reals / fakes, next to an interval.
std::string units_note(const nlohmann::json& units) {
  if (!units.is_object()) return "";
  return " " + std::to_string(units.value("with_reals", 0)) + "/" + std::to_string(units.value("with_fakes", 0)) +
         " units";
}

std::string interval_cell(const nlohmann::json& v, int runs) {
  if (!v.is_object()) return "<td class=\"empty\">-</td>";
  return "<td>" + num(v.value("auc", nlohmann::json())) + "<br><small>[" + num(v.value("low", nlohmann::json())) + ", " +
         num(v.value("high", nlohmann::json())) + "] " + std::to_string(runs) + " run" + (runs == 1 ? "" : "s") +
         (runs > 1 ? " (range)" : "") + units_note(v.value("units", nlohmann::json())) + "</small></td>";
}

std::string matrix_table(const nlohmann::json& m, const char* level, const std::string& id) {
  std::string out = "<table class=\"matrix data\" id=\"matrix-" + std::string(level) +
                    "\"><tr><th>trained on &#8595; / tested on &#8594;</th>";
  for (const auto& c : m["columns"]) out += "<th>" + escape(c.get<std::string>()) + "</th>";
  out += "</tr>";
  for (const auto& r : m["rows"]) {
    const auto row = r.get<std::string>();
    out += "<tr><th><a href=\"/runs?experiment=" + escape(id) + "&amp;source=" + escape(row == "all" ? "" : row) + "\">" +
           escape(row) + "</a></th>";
    for (const auto& c : m["columns"]) {
      const auto& cell = m["cells"][row][c.get<std::string>()];
      out += interval_cell(cell[level], cell.value("runs", 0));
    }
    out += "</tr>";
  }
  return out + "</table>";
}

} // namespace

namespace dashboard_pages {

Response runs_page(ServiceContext& ctx, const Request& req) {
  const auto filter = dashboard::run_filter(req);
  const auto all = retrain::list_run_summaries(ctx.db, {});
  auto runs = all;
  runs.erase(std::remove_if(runs.begin(), runs.end(), [&](const auto& r) { return !filter.matches(r); }), runs.end());
  Sort sort;
  if (auto k = req.query_param("sort")) sort.key = *k;
  sort.descending = req.query_param("order").value_or("desc") != "asc";
  sort_runs(runs, sort);
  std::set<std::string> tested;
  for (const auto& r : runs)
    if (r.metrics.contains("test"))
      for (const auto& [s, m] : r.metrics["test"].items())
        if (s != "all") tested.insert(s);
  const std::string query = query_string(filter);
  const std::string body =
      model_api::outlook_banner(ctx) + "<form class=\"filters\" method=\"get\" action=\"/runs\">" + text_input("q", "Search id", filter.text) +
      select("experiment", "Experiment", distinct(all, [](auto& r) { return r.experiment_id; }), filter.experiment_id) +
      select("state", "State", {"running", "stopped", "done", "failed"}, filter.state) +
      select("backbone", "Backbone", distinct(all, [](auto& r) { return r.params.backbone; }), filter.backbone) +
      select("source", "Trained on", distinct(all, [](auto& r) { return r.params.train_source; }), filter.train_source) +
      text_input("snapshot", "Snapshot", filter.snapshot_id) +
      "<div><button type=\"submit\">Filter</button> <a href=\"/runs\">clear</a></div></form>"
      "<p><span id=\"count\">" + std::to_string(runs.size()) + "</span> runs" +
      (runs.size() == all.size() ? "" : " of " + std::to_string(all.size())) +
      "; <span id=\"shown\">" + std::to_string(runs.size()) + "</span> shown. <a href=\"/api/v1/runs?" + escape(query) +
      "\">JSON</a></p><p class=\"note\">One line per run: parameters on the left, video-level validation AUC "
      "per source on the right. Drag along an axis to keep only the runs inside; "
      "the table follows. Runs rank by the mean per-source video validation AUC; test AUC is shown as the record "
      "only: choosing runs by it spends the test split the promotion gate judges on.</p><div id=\"parallel\" class=\"chart\"></div><p id=\"chart-note\" class=\"note\"></p>" +
      "<div class=\"offscreen-ok\">" + runs_table(runs, {tested.begin(), tested.end()}, sort, query) + "</div>";
  return dashboard_page(ctx, req, "Training runs", body, "runs.js", " data-query=\"" + escape(query) + "\"",
                        "/api/v1/runs?detail=summary" + (query.empty() ? "" : "&" + query));
}

Response run_page(ServiceContext& ctx, const Request& req) {
  const auto r = retrain::find_run(ctx.db, req.captures.at(0));
  if (!r) throw NotFound("no training run " + req.captures.at(0));
  const auto full = dashboard::run_json(ctx, *r, true);
  const auto test = full["metrics"].value("test", nlohmann::json::object());
  const std::string body =
      "<p><a href=\"/runs\">All runs</a> &middot; <a href=\"/api/v1/runs/" + escape(r->id) + "\">JSON</a></p>" +
      run_facts(*r) +
      "<h2>Learning curves</h2><div class=\"charts\"><div id=\"loss\" class=\"chart small\"></div>"
      "<div id=\"val-auc\" class=\"chart small\"></div><div id=\"lr\" class=\"chart small\"></div></div>"
      "<h2>ROC per test source</h2><div id=\"roc\" class=\"chart\"></div><p id=\"chart-note\" class=\"note\"></p>"
      "<h2>Confusion counts</h2>" + confusion_table(test) +
      "<h2>Test faces it got most wrong</h2><p class=\"note\">The worst face of each of the worst videos; faces of "
      "videos whose review is open are not shown (review stays blind).</p>" + worst_strips(test);
  return dashboard_page(ctx, req, "Run " + r->id, body, "run.js", " data-run=\"" + escape(r->id) + "\"");
}

Response experiment_page(ServiceContext& ctx, const Request& req) {
  const std::string id = req.captures.at(0);
  const auto e = dashboard::experiment_json(ctx, id);
  const auto& m = e["matrix"];
  std::string runs;
  for (const auto& r : e["runs"])
    runs += "<li><a href=\"/runs/" + escape(r["id"].get<std::string>()) + "\">" + escape(r["id"].get<std::string>()) +
            "</a> (" + escape(r["state"].get<std::string>()) + ", trained on " +
            escape(r["params"].value("train_source", "").empty() ? "all" : r["params"].value("train_source", "")) +
            ")</li>";
  const std::string body =
      "<p>" + escape(e.value("kind", "")) + ", " + escape(e.value("state", "")) + "; snapshot " +
      escape(e["snapshot_id"].is_string() ? e["snapshot_id"].get<std::string>().substr(0, 12) : "(several)") + "; " +
      std::to_string(e["runs"].size()) + " runs. <a href=\"/runs?experiment=" + escape(id) +
      "\">Their runs</a> &middot; <a href=\"/api/v1/experiments/" + escape(id) + "\">JSON</a></p>"
      "<h2>Video-level AUC</h2><p class=\"note\">Rows: what the models were trained on; columns: the source whose "
      "test split they were scored on. Cell: mean AUC over the cell's runs, with the mean of their 95% bootstrap "
      "intervals.</p><div id=\"heatmap\" class=\"chart\"></div><p id=\"chart-note\" class=\"note\"></p>" +
      matrix_table(m, "video", id) + "<h2>Frame-level AUC</h2>" + matrix_table(m, "frame", id) + "<h2>Runs</h2><ul>" +
      runs + "</ul>";
  return dashboard_page(ctx, req, "Experiment " + id, body, "experiment.js", " data-experiment=\"" + escape(id) + "\"");
}

Response dataset_page(ServiceContext& ctx, const Request& req) {
  const auto stats = dataset::dataset_stats(ctx.db, ctx.config.get(core::keys::dataset_test_fraction));
  std::string table = "<table class=\"data\" id=\"counts\"><tr><th>Source</th><th>Split</th><th>Real videos</th>"
                      "<th>Fake videos</th><th>Unknown videos</th><th>Real faces</th><th>Fake faces</th>"
                      "<th>Confirmed videos</th></tr>";
  for (const auto& s : stats.value("sources", nlohmann::json::array()))
    table += "<tr><td>" + escape(s.value("source", "")) + "</td><td>" + escape(s.value("split", "")) + "</td><td>" +
             s.value("real_videos", nlohmann::json(0)).dump() + "</td><td>" + s.value("fake_videos", nlohmann::json(0)).dump() +
             "</td><td>" + s.value("unknown_videos", nlohmann::json(0)).dump() + "</td><td>" +
             s.value("real_faces", nlohmann::json(0)).dump() + "</td><td>" + s.value("fake_faces", nlohmann::json(0)).dump() +
             "</td><td>" + s.value("confirmed_videos", nlohmann::json(0)).dump() + "</td></tr>";
  table += "</table>";
  const std::string body =
      "<p>Videos and faces per source, split and label now (a video counts under its confirmed label once "
      "confirmed). <a href=\"/api/v1/dataset/stats\">JSON</a></p>" + table +
      "<h2>Growth</h2><p class=\"note\">Confirmed videos per source and split in each snapshot, over time.</p>"
      "<div id=\"growth\" class=\"chart\"></div><p id=\"chart-note\" class=\"note\"></p>";
  return dashboard_page(ctx, req, "Dataset", body, "dataset.js");
}

} // namespace dashboard_pages

} // namespace curator::serve
