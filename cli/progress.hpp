#pragma once
// Progress on stderr: a bar with rate and ETA redrawn in place when stderr is a terminal, plain
// lines otherwise (logs, batch jobs).
#include <functional>
#include <string>

#include "netrl/solve.hpp"
#include "netrl/sweep.hpp"

namespace netrl::cli {

/// True iff stderr is a terminal.
bool stderr_is_terminal();

/// "netrl solve: 12.0 s, outer 3, inner 1234 (value iteration), span 1.2e-06 (tol 1e-10), prior
/// residual 3.4e-05" lines.
std::function<void(const SolveProgress&)> solve_progress_printer(const std::string& prefix);

/// The sweep's reports: a bar on a terminal (redrawn, finished with a newline), else one line per
/// report.
std::function<void(const sweep::Progress&)> sweep_progress_printer(bool terminal);

/// "1:02:03", "4:05", "7 s".
std::string format_duration(double seconds);

}  // namespace netrl::cli
