#include <cstdio>
#include "netrl/host/reference.hpp"
#include "netrl/core/maze.hpp"
int main() {
  netrl::SolverOptions opt;
  auto r = netrl::reference::solve(netrl::count8_model(), opt);
  std::printf("gain %.12f [%.12f %.12f] outer %ld inner %ld p %.6f t %.3f\n", r.gain, r.gain_lo, r.gain_hi, (long)r.outer_iterations, (long)r.inner_iterations, r.prior[0], r.elapsed_seconds);
  std::printf("P(K=2|x=-1) %.5f P(K=6|x=+1) %.5f\n", r.spike_count[2*2+0], r.spike_count[6*2+1]);
  auto maze = netrl::Maze::parse(netrl::Maze::default_map(), 0.05);
  opt.tol = 1e-10;
  auto rm = netrl::reference::solve(maze.mdp(), 0.013, opt);
  std::printf("maze gain %.12f outer %ld inner %ld t %.3f prior %.4f %.4f %.4f %.4f\n", rm.gain, (long)rm.outer_iterations, (long)rm.inner_iterations, rm.elapsed_seconds, rm.prior[0], rm.prior[1], rm.prior[2], rm.prior[3]);
}
