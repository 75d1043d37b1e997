#pragma once
// The maze of MODEL.md sec. 1, built from an ASCII map: '#' wall, 'S' start, 'R' reward, '.' free.
#include <string>
#include <vector>

#include "netrl/core/mdp.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

struct Maze {
  std::vector<std::string> map;
  double slip = 0.05;
  int rows = 0;
  int cols = 0;
  /// Grid cell (row * cols + col) of every state; states are the free cells in row-major order.
  std::vector<int> cell_of_state;
  int start_state = -1;
  std::vector<int> reward_states;

  /// Parses and validates a map: rectangular, only "#.SR", exactly one S, at least one R, every
  /// free cell reachable from S. `field` names the map in errors (e.g. "maze.map").
  static Maze parse(const std::vector<std::string>& map, double slip,
                    const std::string& field = "map");

  int num_states() const { return static_cast<int>(cell_of_state.size()); }

  /// Actions 0 up, 1 down, 2 left, 3 right. With probability 1 - slip the intended move, with
  /// probability slip a uniformly random one of the four; a move into a wall or the border stays;
  /// from a reward cell the next state is the start whatever the action. r = 1 on reward cells.
  Mdp mdp() const;

  /// The engine's default 15x15 map (documented in the README): S top left, R bottom right.
  static std::vector<std::string> default_map();

  static constexpr int kNumActions = 4;
};

NETRL_NAMESPACE_END  // namespace netrl
