// Progress on stderr (progress.hpp).
#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace netrl::cli {

namespace {

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

}  // namespace netrl::cli
