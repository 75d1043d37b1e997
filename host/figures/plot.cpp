// Drawing a figure: runs its plotting script (figures/figN.py, matplotlib) on the data directory.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/figures.hpp"
#include "netrl/version.hpp"

extern char** environ;

NETRL_NAMESPACE_BEGIN namespace figures {

namespace {

/// The scripts' exit status when matplotlib cannot be imported (figures/common.py).
constexpr int kMissingMatplotlib = 3;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

}  // namespace

std::string scripts_dir() {
  namespace fs = std::filesystem;
  const std::string configured = env_or("NETRL_FIGURE_SCRIPTS", "");
  if (!configured.empty()) return configured;
  for (const char* dir : {NETRL_FIGURE_SCRIPTS_SOURCE, NETRL_FIGURE_SCRIPTS_INSTALL}) {
    std::error_code ec;
    if (fs::is_regular_file(fs::path(dir) / "common.py", ec)) return dir;
  }
  return NETRL_FIGURE_SCRIPTS_INSTALL;
}

std::string python() { return env_or("NETRL_PYTHON", "/usr/bin/python3"); }

void plot_figure(const std::string& name, const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string interpreter = python();
  if (::access(interpreter.c_str(), X_OK) != 0) {
    throw BackendError("figure " + name + ": no Python interpreter at " + interpreter +
                       "; the figures are drawn with python3 and matplotlib (Debian: apt-get install python3-matplotlib, "
                       "as cmake/install_deps.sh does; or set NETRL_PYTHON). The data are in " + dir +
                       "; --no-plot writes them without drawing");
  }
  const std::string script = (fs::path(scripts_dir()) / ("fig" + name + ".py")).string();
  std::error_code ec;
  if (!fs::is_regular_file(script, ec)) {
    throw BackendError("figure " + name + ": the plotting script " + script +
                       " is missing (set NETRL_FIGURE_SCRIPTS to the figures/ folder of the netrl sources)");
  }
  std::vector<std::string> args{interpreter, script, dir};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int err = ::posix_spawn(&pid, interpreter.c_str(), nullptr, nullptr, argv.data(), environ); err != 0) {
    throw BackendError("figure " + name + ": cannot start " + interpreter + " (error " + std::to_string(err) + ")");
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw BackendError("figure " + name + ": lost the plotting process");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  if (WIFEXITED(status) && WEXITSTATUS(status) == kMissingMatplotlib) {
    throw BackendError("figure " + name + ": matplotlib is not installed for " + interpreter +
                       " (Debian: apt-get install python3-matplotlib, as cmake/install_deps.sh does). The data are in " +
                       dir + "; --no-plot writes them without drawing");
  }
  throw Error("figure " + name + ": the plotting script " + script + " failed (" +
              (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                 : std::string("killed by a signal")) +
              "); the data are in " + dir);
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures
