#pragma once
// The netrl C++ API in one header (README "C++ API").
//
//   models       netrl/core/network_model.hpp, maze.hpp, mdp.hpp, input_process.hpp, reward.hpp
//   problems     netrl/problem.hpp (a model plus solver options)
//   solving      netrl/solve.hpp (solve, solve_batch, backend_available)
//   sampling     netrl/sample.hpp (sample: chains under an exact or Ising policy)
//   inverse RL   netrl/inverse.hpp (the methods), netrl/predict.hpp (predictions),
//                netrl/infer.hpp (one inference run: infer)
//   scenarios    netrl/scenarios.hpp (count8, maze, the sample-size experiment)
//   files        netrl/config.hpp (JSON configurations), netrl/io/*.hpp (.npy, output directories)
//   process      netrl/runtime.hpp (threads), netrl/version.hpp
// Errors are exceptions derived from netrl::Error (netrl/core/error.hpp).
#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/maze.hpp"
#include "netrl/core/mdp.hpp"
#include "netrl/core/network_model.hpp"
#include "netrl/core/raster.hpp"
#include "netrl/core/solver_options.hpp"
#include "netrl/infer.hpp"
#include "netrl/inverse.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/inference.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/io/policy.hpp"
#include "netrl/io/raster.hpp"
#include "netrl/io/samples.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/predict.hpp"
#include "netrl/problem.hpp"
#include "netrl/runtime.hpp"
#include "netrl/sample.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"
