#include "core/logging.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace curator::core {

namespace {

// %j: the message as a JSON string literal (quoted and escaped), so JSON log lines stay valid whatever
// the message holds.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string quoted = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessageFlag>(); }
};

std::mutex g_mutex;

spdlog::sink_ptr shared_sink() {
  static spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

std::unique_ptr<spdlog::formatter> make_formatter(const std::string& format) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (format == "json") {
    formatter->add_flag<JsonMessageFlag>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","component":"%n","thread":%t,"msg":%j})");
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
  }
  return formatter;
}

std::string g_format = "text";

} // namespace

void configure_logging(const std::string& level, const std::string& format) {
  std::lock_guard lock(g_mutex);
  g_format = format;
  spdlog::set_level(spdlog::level::from_str(level));
  shared_sink()->set_formatter(make_formatter(format));
  spdlog::flush_on(spdlog::level::warn);
}

std::shared_ptr<spdlog::logger> logger(const std::string& component) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(component)) return existing;
  static bool formatted = false;
  if (!formatted) {
    shared_sink()->set_formatter(make_formatter(g_format));
    formatted = true;
  }
  auto log = std::make_shared<spdlog::logger>(component, shared_sink());
  log->set_level(spdlog::get_level());
  spdlog::register_logger(log);
  return log;
}

} // namespace curator::core
