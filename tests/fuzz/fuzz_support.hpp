#pragma once
// Shared by the libFuzzer targets (docs/limits.md, "Fuzzing"): a scratch directory with the files
// that configurations may name (a solution directory `sol`, a sample directory `smp`, .npy
// arrays, a maze map, the arrays of a general MDP), made once per process, and the rule every target follows: netrl::Error is
// an answer, anything else thrown escapes and is reported by libFuzzer as a crash (an
// "internal error" of the tool).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/io/samples.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/sample.hpp"
#include "netrl/solve.hpp"

namespace netrl::fuzz {

/// Writes a one-dimensional little-endian int64 .npy file (netrl writes only float64 and uint8).
inline void put_int64_npy(const std::string& path, const std::vector<std::int64_t>& values) {
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (" + std::to_string(values.size()) + ",), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');  // the data start at a multiple of 64
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(std::int64_t));
  io::write_file_atomic(path, out);
}

/// The scratch directory (created on first use, removed at exit).
inline const std::string& scratch() {
  static const std::string dir = [] {
    const auto d = std::filesystem::temp_directory_path() / ("netrl_fuzz_" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("netrl_fuzz_" + std::to_string(::getpid())),
                                  ec);
    });
    const std::string s = d.string();
    // A network n = 2 without input, solved exactly: sol/ (also a policy for sampling), smp/.
    Problem p;
    p.kind = ModelKind::network;
    p.network.n = 2;
    p.network.input = InputProcess::none();
    p.network.reward = RewardSpec::count({1});
    p.network.lambda = 0.5;
    p.source = "fuzz";
    const SolveResult r = solve(p);
    io::write_solution(s + "/sol", p, r);
    SampleConfig c;
    c.model = p.network;
    c.policy = SamplerPolicy::exact(r.values, r.prior);
    c.policy_json = "{}";
    c.options.chains = 2;
    c.options.steps = 50;
    c.options.transitions = true;
    c.source = "fuzz";
    io::write_samples(s + "/smp", c, sample(c.model, c.policy, c.options));
    npy::save(s + "/r.npy", {0.0, 1.0, 0.5, 0.25}, {4});
    npy::save(s + "/J.npy", {0.0, 0.1, 0.1, 0.0}, {2, 2});
    npy::save(s + "/h.npy", {0.1, -0.1}, {2});
    io::write_file_atomic(s + "/raster.npy", npy::serialize(std::vector<std::uint8_t>{0, 1, 1, 1, 0, 0}, {3, 2}));
    npy::save(s + "/inputs.npy", {0.0, 0.0, 0.0}, {3});
    io::write_file_atomic(s + "/map.txt", "S.#\n..R\n");
    // A general MDP of 2 states and 2 actions: sparse rows (s, a) at s * 2 + a, and dense.
    put_int64_npy(s + "/mdp_row_ptr.npy", {0, 2, 3, 4, 6});
    put_int64_npy(s + "/mdp_next.npy", {0, 1, 1, 0, 0, 1});
    npy::save(s + "/mdp_prob.npy", {0.5, 0.5, 1.0, 1.0, 0.3, 0.7}, {6});
    npy::save(s + "/mdp_reward.npy", {0.0, 1.0}, {2});
    npy::save(s + "/mdp_dense.npy", {0.5, 0.5, 1.0, 0.0, 0.0, 1.0, 0.3, 0.7}, {2, 2, 2});
    return s;
  }();
  return dir;
}

/// The input split at "\n--part--\n" into at most `parts` pieces (the last takes the rest).
inline std::vector<std::string> split_parts(const std::uint8_t* data, std::size_t size, std::size_t parts) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const std::string sep = "\n--part--\n";
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() + 1 < parts) {
    const std::size_t at = all.find(sep, start);
    if (at == std::string::npos) break;
    out.push_back(all.substr(start, at - start));
    start = at + sep.size();
  }
  out.push_back(all.substr(start));
  out.resize(parts);
  return out;
}

/// Writes `bytes` to `path` (no atomic rename: the target is fuzzing speed).
inline void put(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

}  // namespace netrl::fuzz
