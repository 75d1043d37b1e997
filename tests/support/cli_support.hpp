#pragma once
// Running the `netrl` command line from tests (NETRL_CLI: the tool's path, set by CMake).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "netrl/io/files.hpp"

namespace netrl::test {

struct CliRun {
  int status;          // exit status, -1 if the tool did not exit normally
  std::string output;  // stdout and stderr together
};

/// Runs `cli args`, capturing its output in `log` (removed afterwards).
inline CliRun run_cli_logged(const std::string& cli, const std::string& args, const std::filesystem::path& log) {
  const std::string cmd = cli + " " + args + " > " + log.string() + " 2>&1";
  const int raw = std::system(cmd.c_str());
  CliRun r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, io::read_file(log.string())};
  std::filesystem::remove(log);
  return r;
}

/// temp/<prefix><pid>.log: where a test binary's runs of the tool log their output.
inline std::filesystem::path temp_log(const std::string& prefix) {
  return std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()) + ".log");
}

/// An empty directory temp/<prefix><name>_<pid> (created when `create`).
inline std::filesystem::path fresh_dir(const std::string& prefix, const std::string& name, bool create) {
  const std::filesystem::path d =
      std::filesystem::temp_directory_path() / (prefix + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  if (create) std::filesystem::create_directories(d);
  return d;
}

}  // namespace netrl::test
