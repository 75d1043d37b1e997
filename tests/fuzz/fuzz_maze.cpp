// Fuzz target: the maze parser, through a map_file (read_file, line splitting, Maze::parse) and
// the MDP it builds. The first byte sets the slip probability.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "netrl/core/mdp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace netrl;
  if (size < 1) return 0;
  const std::string map = fuzz::scratch() + "/fuzz_map.txt";
  fuzz::put(map, std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  const nlohmann::json config = {{"model", "maze"}, {"map_file", map}, {"lambda", 0.1}, {"slip", data[0] / 255.0}};
  try {
    const Problem p = parse_problem(config, fuzz::scratch() + "/config.json");
    p.maze.mdp().validate();
  } catch (const Error&) {
  }
  return 0;
}
