#include "netrl/core/maze.hpp"

#include <cmath>
#include <map>
#include <queue>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN
namespace {

std::string cell_name(int r, int c) {
  return "(row " + std::to_string(r) + ", column " + std::to_string(c) + ")";
}

/// A map character for a message: printable ASCII as itself, other bytes as \xNN.
std::string char_text(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c >= 0x20 && c < 0x7f ? std::string(1, ch) : byte_escape(c);
}

constexpr int kDr[4] = {-1, 1, 0, 0};  // up, down, left, right
constexpr int kDc[4] = {0, 0, -1, 1};

}  // namespace

std::vector<std::string> Maze::default_map() {
  // netrl's own 15x15 layout (the paper does not publish its walls): a corridor maze whose
  // shortest path from S (top left) to R (bottom right) takes 28 moves.
  return {
      "S......#.......",
      ".#####.#.#####.",
      ".#.....#.....#.",
      ".#.#######.#.#.",
      ".#.......#.#...",
      ".#####.#.#.###.",
      ".....#.#...#...",
      "####.#.#####.##",
      ".....#.....#...",
      ".###.#####.###.",
      ".#.......#.....",
      ".#.#####.#####.",
      ".#.#...#.....#.",
      "...#.#.#####.#.",
      "####.#.......#R",
  };
}

Maze Maze::parse(const std::vector<std::string>& map, double slip, const std::string& field) {
  Maze maze;
  maze.map = map;
  maze.slip = slip;
  if (!std::isfinite(slip) || slip < 0.0 || slip > 1.0) {
    std::ostringstream os;
    os << "slip probability " << slip << " must lie in [0, 1]";
    throw InvalidInput("slip", os.str());
  }
  if (map.empty()) throw InvalidInput(field, "the map has no rows");
  if (map[0].empty()) throw InvalidInput(field + "[0]", "the first row is empty");
  // The size is bounded before anything is allocated (the grid and the solver grow with it).
  std::uint64_t cells = 0;
  if (!checked_multiply(map.size(), map[0].size(), &cells) || cells > limit(LimitId::maze_cells) ||
      cells >= (std::uint64_t{1} << 31)) {
    throw InvalidInput(field, "the map has " + std::to_string(map.size()) + " rows of " + std::to_string(map[0].size()) +
                                  " cells, more than " + limit_hint(LimitId::maze_cells) +
                                  (limit(LimitId::maze_cells) >= (std::uint64_t{1} << 31) ? "; at most 2^31 - 1 cells" : ""));
  }
  maze.rows = static_cast<int>(map.size());
  maze.cols = static_cast<int>(map[0].size());
  std::vector<int> state_of_cell(static_cast<std::size_t>(maze.rows) * maze.cols, -1);
  for (int r = 0; r < maze.rows; ++r) {
    if (static_cast<int>(map[r].size()) != maze.cols) {
      throw InvalidInput(field + "[" + std::to_string(r) + "]",
                         "row has " + std::to_string(map[r].size()) + " characters; the map must be "
                         "rectangular (row 0 has " + std::to_string(maze.cols) + ")");
    }
    for (int c = 0; c < maze.cols; ++c) {
      const char ch = map[r][c];
      if (ch == '#') continue;
      if (ch != '.' && ch != 'S' && ch != 'R') {
        throw InvalidInput(field + "[" + std::to_string(r) + "]",
                           "character '" + char_text(ch) + "' at " + cell_name(r, c) +
                               " is not one of '#' (wall), '.' (free), 'S' (start), 'R' (reward)");
      }
      const int s = maze.num_states();
      state_of_cell[r * maze.cols + c] = s;
      maze.cell_of_state.push_back(r * maze.cols + c);
      if (ch == 'S') {
        if (maze.start_state >= 0) {
          throw InvalidInput(field, "more than one start cell 'S' (second at " + cell_name(r, c) + ")");
        }
        maze.start_state = s;
      }
      if (ch == 'R') maze.reward_states.push_back(s);
    }
  }
  if (maze.start_state < 0) throw InvalidInput(field, "the map has no start cell 'S'");
  if (maze.reward_states.empty()) throw InvalidInput(field, "the map has no reward cell 'R'");

  // Every free cell must be reachable from the start by moves (so the chain is irreducible).
  std::vector<char> seen(maze.num_states(), 0);
  std::queue<int> queue;
  queue.push(maze.start_state);
  seen[maze.start_state] = 1;
  while (!queue.empty()) {
    const int s = queue.front();
    queue.pop();
    const int r = maze.cell_of_state[s] / maze.cols, c = maze.cell_of_state[s] % maze.cols;
    for (int a = 0; a < kNumActions; ++a) {
      const int rr = r + kDr[a], cc = c + kDc[a];
      if (rr < 0 || rr >= maze.rows || cc < 0 || cc >= maze.cols) continue;
      const int t = state_of_cell[rr * maze.cols + cc];
      if (t >= 0 && !seen[t]) {
        seen[t] = 1;
        queue.push(t);
      }
    }
  }
  const int sr = maze.cell_of_state[maze.start_state] / maze.cols;
  const int sc = maze.cell_of_state[maze.start_state] % maze.cols;
  for (int s : maze.reward_states) {
    if (!seen[s]) {
      const int r = maze.cell_of_state[s] / maze.cols, c = maze.cell_of_state[s] % maze.cols;
      throw InvalidInput(field, "the reward cell R at " + cell_name(r, c) +
                                    " cannot be reached from the start S at " + cell_name(sr, sc));
    }
  }
  for (int s = 0; s < maze.num_states(); ++s) {
    if (!seen[s]) {
      const int r = maze.cell_of_state[s] / maze.cols, c = maze.cell_of_state[s] % maze.cols;
      throw InvalidInput(field, "free cell " + cell_name(r, c) +
                                    " cannot be reached from the start S at " + cell_name(sr, sc) +
                                    "; wall it off with '#'");
    }
  }
  return maze;
}

Mdp Maze::mdp() const {
  Mdp mdp;
  mdp.num_states = num_states();
  mdp.num_actions = kNumActions;
  mdp.reward.assign(num_states(), 0.0);
  for (int s : reward_states) mdp.reward[s] = 1.0;
  std::vector<int> state_of_cell(static_cast<std::size_t>(rows) * cols, -1);
  for (int s = 0; s < num_states(); ++s) state_of_cell[cell_of_state[s]] = s;
  std::vector<char> is_reward(num_states(), 0);
  for (int s : reward_states) is_reward[s] = 1;

  for (int s = 0; s < num_states(); ++s) {
    const int r = cell_of_state[s] / cols, c = cell_of_state[s] % cols;
    int target[kNumActions];
    for (int d = 0; d < kNumActions; ++d) {
      const int rr = r + kDr[d], cc = c + kDc[d];
      const bool inside = rr >= 0 && rr < rows && cc >= 0 && cc < cols;
      const int t = inside ? state_of_cell[rr * cols + cc] : -1;
      target[d] = t >= 0 ? t : s;
    }
    for (int a = 0; a < kNumActions; ++a) {
      std::map<int, double> next;  // ordered, merged: a wall bump and a stay share one entry
      if (is_reward[s]) {
        next[start_state] = 1.0;
      } else {
        for (int d = 0; d < kNumActions; ++d) {
          const double p = (d == a ? 1.0 - slip : 0.0) + slip / kNumActions;
          if (p > 0.0) next[target[d]] += p;
        }
      }
      for (const auto& [t, p] : next) {
        mdp.next_state.push_back(t);
        mdp.probability.push_back(p);
      }
      mdp.row_ptr.push_back(static_cast<std::int64_t>(mdp.next_state.size()));
    }
  }
  return mdp;
}

NETRL_NAMESPACE_END  // namespace netrl
