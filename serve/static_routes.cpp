// Scripts for the pages: GET /static/{name}. The pages' own come from the binary (serve/assets.hpp);
// echarts.min.js is the charting library ops/setup.sh installs (web.charts_file).
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "serve/assets.hpp"
#include "serve/handlers.hpp"

#include <filesystem>

namespace curator::serve::static_api {

Response asset(ServiceContext& ctx, const Request& req) {
  const std::string& name = req.captures.at(0);
  Response r;
  if (name == "echarts.min.js") {
    const auto file = ctx.config.get(core::keys::web_charts_file);
    if (!std::filesystem::is_regular_file(file))
      throw NotFound("the charting library is not installed (" + file.string() + "): run ops/setup.sh");
    r = Response::file_content(file, "text/javascript; charset=utf-8");
    r.headers.emplace_back("Cache-Control", "public, max-age=86400");
  } else {
    const auto script = embedded_asset(name);
    if (!script) throw NotFound("no script " + name);
    r = Response::text(std::string(*script), "text/javascript; charset=utf-8");
    r.headers.emplace_back("Cache-Control", "no-cache");
  }
  return r;
}

} // namespace curator::serve::static_api
