// Figure 1: the maze at low and high coding cost: policy, occupancy and the inferred reward
// (docs/figures.md).
#include <cmath>

#include "figures/figure_support.hpp"
#include "netrl/figures.hpp"
#include "netrl/infer.hpp"
#include "netrl/policy.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace figures {

FigureData maze_figure(const FigureOptions& opt) {
  FigureData fig;
  fig.name = "1";
  fig.title = "The maze at low and high coding cost (paper fig. 1)";
  const char* scenarios[] = {"maze", "maze-high"};
  const char* suffix[] = {"low", "high"};
  Table states{"states.csv", {"state", "row", "col", "start", "reward"}, {}};
  std::vector<std::vector<double>> columns;
  Maze maze;
  for (int k = 0; k < 2; ++k) {
    const Problem p = scenario(scenarios[k]);
    maze = p.maze;
    detail::progress(opt, "1", std::string("solving scenario ") + scenarios[k]);
    const SolveResult exact = solve(p);
    const std::vector<double> pi = maze_policy(p.maze, p.maze_lambda, exact);
    InferSettings settings;
    settings.problem = p;
    settings.has_truth = true;
    settings.source = std::string("scenario ") + scenarios[k];
    settings.optimizer.tolerance = 1e-12;
    const InferResult inf = infer(settings, InferData::from_solution(p, exact));
    const std::uint64_t N = static_cast<std::uint64_t>(p.maze.num_states());
    const std::vector<double> truth = p.maze.mdp().reward;
    const std::vector<double> aligned = detail::align_reward(inf.reward, truth, exact.stationary, N, inf.comparison.scale);
    const std::string sx = suffix[k];
    for (const char* c : {"occupancy", "p_up", "p_down", "p_left", "p_right", "inferred", "inferred_aligned"})
      states.columns.push_back(std::string(c) + "_" + sx);
    std::vector<std::vector<double>> block(N);
    for (std::uint64_t s = 0; s < N; ++s) {
      block[s] = {exact.stationary[s], pi[s * 4 + 0], pi[s * 4 + 1], pi[s * 4 + 2], pi[s * 4 + 3], inf.reward[s],
                  aligned[s]};
    }
    if (columns.empty()) columns.resize(N);
    for (std::uint64_t s = 0; s < N; ++s) columns[s].insert(columns[s].end(), block[s].begin(), block[s].end());
    fig.numbers.push_back({"lambda_" + sx, p.maze_lambda});
    fig.numbers.push_back({"gain_" + sx, exact.gain});
    fig.numbers.push_back({"mean_coding_cost_" + sx, exact.mean_coding_cost});
    fig.numbers.push_back({"reward_r2_" + sx, inf.comparison.r2});
    fig.numbers.push_back({"reward_max_abs_error_" + sx, inf.comparison.max_abs_error});
    for (int a = 0; a < 4; ++a) fig.numbers.push_back({"prior_" + std::to_string(a) + "_" + sx, exact.prior[a]});
  }
  for (int s = 0; s < maze.num_states(); ++s) {
    const int cell = maze.cell_of_state[s];
    bool reward = false;
    for (int r : maze.reward_states) reward = reward || r == s;
    std::vector<double> row{double(s), double(cell / maze.cols), double(cell % maze.cols),
                            s == maze.start_state ? 1.0 : 0.0, reward ? 1.0 : 0.0};
    row.insert(row.end(), columns[s].begin(), columns[s].end());
    states.add(std::move(row));
  }
  fig.tables.push_back(std::move(states));
  fig.numbers.push_back({"rows", double(maze.rows)});
  fig.numbers.push_back({"cols", double(maze.cols)});
  fig.settings.push_back({"quick", opt.quick ? "true (the same exact computation)" : "false"});
  fig.settings.push_back({"maze", "the built-in 15x15 map, slip 0.05 (docs/config-solve.md)"});
  return fig;
}

}  NETRL_NAMESPACE_END  // namespace netrl::figures
