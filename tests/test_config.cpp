#include "core/config.hpp"
#include "core/error.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace curator;
using core::Config;
using core::ConfigSources;

namespace {
void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string error_of(const ConfigSources& sources) {
  try {
    Config::load(core::default_settings(), sources);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
} // namespace

TEST_CASE("defaults come from the registry", "[config]") {
  Config c = Config::load(core::default_settings(), {});
  CHECK(c.get_int("server.port") == 8080);
  CHECK(c.get_string("server.host") == "127.0.0.1");
  CHECK(c.get_path("data.dir") == "var");
  CHECK(c.entry("server.port").origin == "default");
  CHECK(c.entries().size() == core::default_settings().all().size());
}

TEST_CASE("every typed key is a catalogued setting of its type", "[config]") {
  const auto& registry = core::default_settings();
  const auto keys = core::all_setting_keys();
  REQUIRE(keys.size() >= 90);
  for (const auto& [name, type] : keys) {
    INFO(name);
    const auto* spec = registry.find(name);
    REQUIRE(spec != nullptr);
    CHECK(spec->type == type);
  }
  // The typed read gives what the named one gives.
  const auto config = core::Config::defaults(registry, {{"ingest.sample_frames", "12"}});
  CHECK(config.get(core::keys::ingest_sample_frames) == 12);
  CHECK(config.get(core::keys::faces_min_score) == config.get_double("faces.min_score"));
  CHECK_THROWS_AS(config.get_int("ingest.sample_frame"), std::logic_error); // by name, a typo is a runtime error
}

TEST_CASE("precedence: default < file < env < flag", "[config]") {
  test::TempDir dir;
  write(dir / "c.toml", "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[jobs]\nworkers = 3\n[log]\nlevel = \"debug\"\n");
  ConfigSources s;
  s.file = dir / "c.toml";
  s.env = {{"CURATOR_PORT", "9100"}, {"CURATOR_JOBS_WORKERS", "4"}, {"UNRELATED", "x"}};
  s.flags = {{"server.port", "9200", "flag --port"}};
  Config c = Config::load(core::default_settings(), s);
  CHECK(c.get_int("server.port") == 9200);
  CHECK(c.entry("server.port").origin == "flag --port");
  CHECK(c.get_int("jobs.workers") == 4);
  CHECK(c.entry("jobs.workers").origin == "env CURATOR_JOBS_WORKERS");
  CHECK(c.get_string("server.host") == "0.0.0.0");
  CHECK(c.entry("server.host").origin == "file " + (dir / "c.toml").string());
  CHECK(c.get_string("log.level") == "debug");
  CHECK(c.get_int("torch.threads") == 2);
  CHECK(c.entry("torch.threads").origin == "default");
}

TEST_CASE("bad values name the setting, the range and the origin", "[config]") {
  ConfigSources s;
  s.env = {{"CURATOR_PORT", "70000"}};
  std::string e = error_of(s);
  CHECK_THAT(e, Catch::Contains("server.port") && Catch::Contains("[0, 65535]") && Catch::Contains("env CURATOR_PORT"));

  s.env = {{"CURATOR_PORT", "80x"}};
  CHECK_THAT(error_of(s), Catch::Contains("is not an integer"));

  s.env = {};
  s.flags = {{"log.level", "loud", "flag --set"}};
  CHECK_THAT(error_of(s), Catch::Contains("log.level") && Catch::Contains("one of: trace") &&
                              Catch::Contains("flag --set"));

  s.flags = {{"jobs.backoff_base_seconds", "-1", "flag --set"}};
  CHECK_THAT(error_of(s), Catch::Contains("out of range"));

  s.flags = {{"no.such", "1", "flag --set"}};
  CHECK_THAT(error_of(s), Catch::Contains("unknown setting 'no.such'"));
}

TEST_CASE("file errors: missing file, syntax, unknown keys, non-tables", "[config]") {
  test::TempDir dir;
  ConfigSources s;
  s.file = dir / "missing.toml";
  CHECK_THAT(error_of(s), Catch::Contains("does not exist"));

  write(dir / "syntax.toml", "[server\nport = 1\n");
  s.file = dir / "syntax.toml";
  CHECK_THAT(error_of(s), Catch::Contains("line 1"));

  write(dir / "typo.toml", "[server]\nprot = 1\n");
  s.file = dir / "typo.toml";
  CHECK_THAT(error_of(s), Catch::Contains("unknown setting 'server.prot'"));

  write(dir / "flat.toml", "port = 1\n");
  s.file = dir / "flat.toml";
  CHECK_THAT(error_of(s), Catch::Contains("[section]"));

  write(dir / "type.toml", "[jobs]\nworkers = \"many\"\n");
  s.file = dir / "type.toml";
  CHECK_THAT(error_of(s), Catch::Contains("jobs.workers") && Catch::Contains("[0, 64]"));
}

TEST_CASE("booleans and numbers parse from text", "[config]") {
  const auto& reg = core::default_settings();
  core::SettingSpec b;
  b.name = "x.flag";
  b.type = core::SettingType::boolean;
  CHECK(std::get<bool>(reg.parse(b, "yes", "t")));
  CHECK_FALSE(std::get<bool>(reg.parse(b, "off", "t")));
  CHECK_THROWS_AS(reg.parse(b, "maybe", "t"), ConfigError);
  CHECK(std::get<double>(reg.parse(*reg.find("jobs.backoff_base_seconds"), "2.5", "t")) == 2.5);
}

TEST_CASE("ops/curator.toml is the generated example and loads cleanly", "[config]") {
  auto source = test::required_env_path("CURATOR_SOURCE_DIR");
  auto file = source / "ops" / "curator.toml";
  CHECK(test::read_file(file) == core::example_toml(core::default_settings()));
  ConfigSources s;
  s.file = file;
  Config c = Config::load(core::default_settings(), s);
  for (const auto& e : c.entries()) {
    INFO(e.spec->name);
    CHECK(e.origin.rfind("file ", 0) == 0); // every setting is written out in the file
    CHECK(e.text == c.entry(e.spec->name).spec->default_text);
  }
}

TEST_CASE("relative paths resolve against the install, whatever the working directory; data.dir does not", "[config]") {
  Config c = Config::defaults(core::default_settings(), {});
  CHECK(c.get_path("faces.models_dir") == Config::install_root() / "models/face-api");
  CHECK(c.get_path("web.charts_file") == Config::install_root() / "vendor/echarts/echarts.min.js");
  CHECK(c.get_path("data.dir") == std::filesystem::path("var"));
  CHECK(c.effective_text(c.entry("faces.models_dir")) == (Config::install_root() / "models/face-api").string());
  Config absolute = Config::defaults(core::default_settings(), {{"faces.models_dir", "/opt/models"}});
  CHECK(absolute.get_path("faces.models_dir") == std::filesystem::path("/opt/models"));
  CHECK(std::filesystem::exists(Config::install_root() / "ops/curator.toml")); // the tree this binary came from
}
