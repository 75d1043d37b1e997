#pragma once
// A sweep distributed over MPI ranks (docs/sweeps.md, "MPI"): built only when CMake finds MPI
// (NETRL_MPI), linked into the netrl tool. Rank 0 owns the sweep directory (lock, journal,
// table) and hands units of points to the other ranks as they become idle; those compute the
// points, write and sync each point's directory (a file system shared by the ranks), and report
// back; rank 0 journals the finished points. A rank that dies mid-point takes the job down with
// it (mpirun's behaviour), and its point, never journalled, is computed again on resume.
#include "netrl/sweep.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep {

struct MpiRun {
  /// This process is rank 0 (it holds the report).
  bool root = true;
  /// The exit status of a worker rank (0, or 1 after an error rank 0 reports).
  int status = 0;
  Report report;
};

/// Initialises MPI, runs the sweep over all ranks (every rank passes the same spec: each reads
/// the sweep file; rank 0 checks that they agree) and finalises MPI. With one rank, the sweep runs
/// in that rank alone. Errors of the set-up (invalid points, a directory in use) are thrown on
/// rank 0; the other ranks return status 1.
MpiRun run_mpi(const Spec& spec, const Options& options);

}  NETRL_NAMESPACE_END  // namespace netrl::sweep
