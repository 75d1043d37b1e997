// `netrl sweep`: a grid of solve, sample or infer runs (docs/sweeps.md), in this process or over MPI.
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "progress.hpp"
#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/sweep.hpp"
#ifdef NETRL_HAVE_MPI
#include "sweep_mpi.hpp"
#endif

namespace netrl::cli {

namespace {

/// Set by OpenMPI's mpirun, by PMI launchers (MPICH, Slurm) and by PMIx.
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

int print_report(const sweep::Report& r) {
  std::cout << "netrl sweep: " << r.total << " points: " << r.resumed << " resumed, " << r.done << " computed, "
            << r.failed << " failed, in " << fmt(r.elapsed_seconds, "%.3f") << " s\n";
  std::cout << "  table " << r.table << "\n";
  if (!r.summary.empty()) std::cout << "  summary " << r.summary << "\n";
  for (const auto& f : r.failures) std::cerr << "netrl sweep: point " << f << "\n";
  if (r.failed > 0) {
    std::cerr << "netrl sweep: " << r.failed << " point(s) failed; rerun the same command to retry them\n";
    return 1;
  }
  if (r.unconverged > 0) {
    std::cerr << "netrl sweep: " << r.unconverged << " solve(s) did not converge (\"converged\": false in the table)\n";
    return 3;
  }
  return 0;
}

}  // namespace

int run_sweep(const SweepArgs& args) {
  if (args.print) {
    std::cout << sweep::preset(args.preset).dump(2) << "\n";
    return 0;
  }
  const sweep::Spec spec =
      args.preset.empty() ? load_sweep(args.config) : parse_sweep(sweep::preset(args.preset), "preset " + args.preset);
  sweep::Options options;
  options.out = args.out;
  options.extend = args.extend;
  const bool terminal = stderr_is_terminal();
  if (!args.quiet) {
    options.progress = sweep_progress_printer(terminal);
    options.progress_interval = args.progress_interval > 0.0 ? args.progress_interval : (terminal ? 0.2 : 10.0);
  }
  if (args.mpi || launched_by_mpi()) {
#ifdef NETRL_HAVE_MPI
    const sweep::MpiRun run = sweep::run_mpi(spec, options);
    return run.root ? print_report(run.report) : run.status;
#else
    throw InvalidInput("--mpi", "this netrl was built without MPI (configure with NETRL_MPI=ON and an MPI "
                                "library); under mpirun every rank would run the whole sweep");
#endif
  }
  return print_report(sweep::run(spec, options));
}

}  // namespace netrl::cli
