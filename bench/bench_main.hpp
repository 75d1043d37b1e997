#pragma once
// The shared entry point of netrl's benchmark programs. `--netrl_smoke` (the CTest smoke run)
// sets `*smoke` and is removed before Google Benchmark parses the arguments. Google Benchmark 1.7
// reads --benchmark_min_time as a plain number of seconds (1.8 adds the "s" suffix and still
// accepts a plain number), so the suffix is dropped and the CTest command works with both.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace netrl::bench {

/// Parses the arguments, calls `register_benchmarks` (may be null for BENCHMARK macros), runs.
inline int run(int argc, char** argv, bool* smoke, void (*register_benchmarks)()) {
  std::vector<std::string> args;
  for (int k = 1; k < argc; ++k) {
    std::string arg = argv[k];
    if (arg == "--netrl_smoke") {
      *smoke = true;
      continue;
    }
    const std::string min_time = "--benchmark_min_time=";
    if (arg.rfind(min_time, 0) == 0 && arg.size() > min_time.size() && arg.back() == 's') arg.pop_back();
    args.push_back(arg);
  }
  std::vector<char*> cargs{argv[0]};
  for (std::string& a : args) cargs.push_back(a.data());
  int count = static_cast<int>(cargs.size());
  if (register_benchmarks) register_benchmarks();
  benchmark::Initialize(&count, cargs.data());
  if (benchmark::ReportUnrecognizedArguments(count, cargs.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace netrl::bench
