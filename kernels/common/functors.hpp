#pragma once
// Per-element functors of the exact network solver (MODEL.md sec. 2), written once for the host
// (OpenMP) and CUDA builds. A launcher calls `operator()(k)` for every k in [0, count):
// `for_each_index` for the sweeps, `reduce_by_problem` for functors that return a value.
//
// layout.hpp         the batch layout: shapes, passes, tiles, double buffers, chunks
// pair_functors.hpp  the pair operations (Bellman, fixed policy, adjoint), the tile sweep, PairStats
// chunk_functors.hpp the relative steps, weighted sums, fills, copies and the host input step
#include "chunk_functors.hpp"
#include "layout.hpp"
#include "pair_functors.hpp"
