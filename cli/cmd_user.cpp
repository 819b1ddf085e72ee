// `curator user add|disable|enable|passwd|role|list`: reviewer and admin accounts. Passwords are read
// from standard input (one line; echo is turned off when it is a terminal), never from the command line
// where other users could see them in the process list.
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "labeling/accounts.hpp"
#include "serve/services.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>

namespace curator::cli {

namespace {

struct UserFlags {
  std::string name, role = "reviewer";
  bool json = false;
};

std::string read_password(const std::string& prompt) {
  const bool tty = ::isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw InvalidInput("no password given on standard input");
  return line;
}

std::string operator_name() {
  const char* user = std::getenv("USER");
  return std::string("operator:") + (user && *user ? user : "cli");
}

} // namespace

void add_user_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto flags = std::make_shared<UserFlags>();
  auto* cmd = app.add_subcommand("user", "Reviewer and admin accounts (passwords are read from standard input).");
  cmd->require_subcommand(1);
  auto open = [options](auto&& body) {
    const core::Config config = load_config(*options);
    core::SystemClock clock;
    serve::Services services(config, clock);
    labeling::Accounts accounts(*services.db, clock);
    body(accounts);
  };
  auto name_arg = [flags](CLI::App* sub) { sub->add_option("name", flags->name, "User name")->required(); };

  auto* add = cmd->add_subcommand("add", "Create an account");
  add_data_options(*add, *options);
  name_arg(add);
  add->add_option("--role", flags->role, "reviewer or admin")->check(CLI::IsMember({"reviewer", "admin"}));
  add->callback([open, flags, &exit_code] {
    open([&](labeling::Accounts& a) {
      const auto user = a.add_user(operator_name(), flags->name, labeling::parse_role(flags->role),
                                   read_password("password for " + flags->name + ": "));
      std::cout << user.to_json().dump() << "\n";
      exit_code = 0;
    });
  });

  for (const bool disable : {true, false}) {
    auto* sub = cmd->add_subcommand(disable ? "disable" : "enable",
                                    disable ? "Disable an account (ends its sessions)" : "Enable an account again");
    add_data_options(*sub, *options);
    name_arg(sub);
    sub->callback([open, flags, disable, &exit_code] {
      open([&](labeling::Accounts& a) {
        a.set_disabled(operator_name(), flags->name, disable);
        std::cout << "user " << flags->name << (disable ? " disabled" : " enabled") << "\n";
        exit_code = 0;
      });
    });
  }

  auto* passwd = cmd->add_subcommand("passwd", "Set a new password (ends the account's sessions)");
  add_data_options(*passwd, *options);
  name_arg(passwd);
  passwd->callback([open, flags, &exit_code] {
    open([&](labeling::Accounts& a) {
      a.set_password(operator_name(), flags->name, read_password("new password for " + flags->name + ": "));
      std::cout << "password of " << flags->name << " changed\n";
      exit_code = 0;
    });
  });

  auto* role = cmd->add_subcommand("role", "Change an account's role");
  add_data_options(*role, *options);
  name_arg(role);
  role->add_option("role", flags->role, "reviewer or admin")->required()->check(CLI::IsMember({"reviewer", "admin"}));
  role->callback([open, flags, &exit_code] {
    open([&](labeling::Accounts& a) {
      a.set_role(operator_name(), flags->name, labeling::parse_role(flags->role));
      std::cout << "user " << flags->name << " is now " << flags->role << "\n";
      exit_code = 0;
    });
  });

  auto* list = cmd->add_subcommand("list", "List accounts (one JSON line each)");
  add_data_options(*list, *options);
  list->callback([open, &exit_code] {
    open([&](labeling::Accounts& a) {
      for (const auto& u : a.list()) std::cout << u.to_json().dump() << "\n";
      exit_code = 0;
    });
  });
}

} // namespace curator::cli
