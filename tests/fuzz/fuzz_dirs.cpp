// Fuzz target: the readers of solution and sample directories. The input is split at
// "\n--part--\n" into result.json and two .npy files; the first byte picks a solution directory
// (values.npy, stationary.npy; read_solution, then check_solution against a network n = 2 or the
// maze S.#/..R) or a sample directory (histogram.npy, transitions.npy; read_samples for n = 2).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace netrl;
  if (size < 1) return 0;
  const std::string dir = fuzz::scratch() + "/fuzz_dir";
  static const bool made = [&] { return std::filesystem::create_directories(dir); }();
  (void)made;
  const auto parts = fuzz::split_parts(data + 1, size - 1, 3);
  const int mode = data[0] % 3;
  const char* npy_names[2][2] = {{"values.npy", "stationary.npy"}, {"histogram.npy", "transitions.npy"}};
  const auto& names = npy_names[mode == 2 ? 1 : 0];
  fuzz::put(dir + "/result.json", parts[0]);
  fuzz::put(dir + "/" + names[0], parts[1]);
  fuzz::put(dir + "/" + names[1], parts[2]);
  Problem p;
  p.network.n = 2;
  p.network.reward = RewardSpec::count({1});
  p.network.lambda = 0.5;
  if (mode == 1) {
    p.kind = ModelKind::maze;
    p.maze = Maze::parse({"S.#", "..R"}, 0.05);
    p.maze_lambda = 0.5;
  }
  try {
    if (mode == 2) {
      std::vector<std::string> notes;
      (void)io::read_samples(dir, p.network, &notes);
    } else {
      io::check_solution(io::read_solution(dir), p);
    }
  } catch (const Error&) {
  }
  std::remove((dir + "/" + names[0]).c_str());
  std::remove((dir + "/" + names[1]).c_str());
  return 0;
}
