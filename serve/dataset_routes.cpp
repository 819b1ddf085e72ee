#include "serve/handlers.hpp"

#include "dataset/snapshot.hpp"
#include "core/setting_keys.hpp"
#include "dataset/stats.hpp"
#include "serve/web_auth.hpp"

#include <fstream>
#include <sstream>

namespace curator::serve {

namespace dataset_api {

// GET /api/v1/dataset/stats: the per-source evaluation sets (same JSON as `curator dataset stats --json`),
// counts only, for anyone. Snapshots list every confirmed crop with its video and label: staff only.
Response stats(ServiceContext& ctx, const Request&) {
  return Response::json(dataset::dataset_stats(ctx.db, ctx.config.get(core::keys::dataset_test_fraction)));
}

void require_staff(ServiceContext& ctx, const Request& req) {
  require_session(ctx.web, req);
}

Response snapshots(ServiceContext& ctx, const Request& req) {
  require_staff(ctx, req);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : dataset::list_snapshots(ctx.db, ctx.data_dir)) {
    auto j = s.to_json();
    j.erase("manifest"); // a server path: clients fetch the manifest through the API instead
    out.push_back(j);
  }
  return Response::json({{"snapshots", out}});
}

Response snapshot(ServiceContext& ctx, const Request& req) {
  require_staff(ctx, req);
  auto j = dataset::find_snapshot(ctx.db, ctx.data_dir, req.captures.at(0)).to_json();
  j.erase("manifest");
  return Response::json(j);
}

// The manifest itself (JSON Lines), for trainers and evaluators on other machines.
Response manifest(ServiceContext& ctx, const Request& req) {
  require_staff(ctx, req);
  const auto info = dataset::find_snapshot(ctx.db, ctx.data_dir, req.captures.at(0));
  std::ifstream in(info.manifest, std::ios::binary);
  if (!in) throw Error(ErrorCode::internal, "snapshot " + info.id + " has lost its manifest file");
  std::ostringstream text;
  text << in.rdbuf();
  return Response::text(text.str(), "application/x-ndjson");
}

} // namespace dataset_api

} // namespace curator::serve
