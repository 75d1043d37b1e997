// Progress on stderr (progress.hpp).
#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace netrl::cli {

namespace {

int terminal_width() {
  winsize w{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 20) return w.ws_col;
  return 100;
}

std::string solve_detail(const SolveProgress& p) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "outer %lld, inner %lld (%s), span %.2e (tol %.0e), prior residual %.2e",
                static_cast<long long>(p.outer_iterations), static_cast<long long>(p.inner_iterations), p.phase,
                p.span, p.inner_tol, p.prior_residual);
  std::string s = buf;
  if (p.problems > 1) s += ", " + std::to_string(p.running) + "/" + std::to_string(p.problems) + " problems running";
  return s;
}

}  // namespace

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[40];
  if (s < 60) std::snprintf(buf, sizeof buf, "%lld s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

std::function<void(const SolveProgress&)> solve_progress_printer(const std::string& prefix) {
  return [prefix](const SolveProgress& p) {
    if (std::string(p.phase) == "done") return;  // the summary follows
    std::cerr << prefix << ": " << format_duration(p.elapsed_seconds) << ", " << solve_detail(p) << std::endl;
  };
}

std::function<void(const sweep::Progress&)> sweep_progress_printer(bool terminal) {
  return [terminal](const sweep::Progress& p) {
    const std::size_t finished = p.resumed + p.done + p.failed;
    const std::size_t remaining = p.total > finished ? p.total - finished : 0;
    const double rate = p.elapsed_seconds > 0.0 ? static_cast<double>(p.done + p.failed) / p.elapsed_seconds : 0.0;
    const double eta = rate > 0.0 ? static_cast<double>(remaining) / rate : std::nan("");
    char counts[160];
    std::snprintf(counts, sizeof counts, "%zu/%zu points", finished, p.total);
    std::string status = counts;
    if (p.resumed > 0) status += " (" + std::to_string(p.resumed) + " resumed)";
    if (p.failed > 0) status += ", " + std::to_string(p.failed) + " failed";
    char speed[96];
    std::snprintf(speed, sizeof speed, ", %.3g points/s, elapsed %s, ETA %s", rate,
                  format_duration(p.elapsed_seconds).c_str(), p.finished ? "0 s" : format_duration(eta).c_str());
    status += speed;
    std::string running;
    if (!p.current.empty()) running = "running " + p.current;
    if (p.has_solve) running += (running.empty() ? "" : ": ") + solve_detail(p.solve);
    if (!terminal) {
      std::cerr << "netrl sweep: " << status << (running.empty() ? "" : "; " + running) << std::endl;
      return;
    }
    const int width = terminal_width();
    const int bar = 24;
    const double frac = p.total > 0 ? static_cast<double>(finished) / static_cast<double>(p.total) : 1.0;
    const int filled = static_cast<int>(std::floor(frac * bar));
    std::string line = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                       std::string(static_cast<std::size_t>(bar - filled), '.') + "] ";
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3.0f%% ", 100.0 * frac);
    line += pct + status;
    if (!running.empty()) line += "  " + running;
    if (static_cast<int>(line.size()) > width - 1) line.resize(static_cast<std::size_t>(width - 1));
    std::cerr << "\r" << line << "\033[K" << (p.finished ? "\n" : "") << std::flush;
  };
}

}  // namespace netrl::cli
