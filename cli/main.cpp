// The netrl command-line tool.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/infer.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/problem.hpp"
#include "netrl/sample.hpp"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  netrl solve CONFIG.json [--out DIR]\n"
    "  netrl solve --scenario NAME [--out DIR]     (NAME: count8, maze, maze-high)\n"
    "  netrl sample CONFIG.json [--out DIR]        (chains of the network dynamics under a policy)\n"
    "  netrl infer CONFIG.json [--out DIR]         (inverse RL; or --scenario count8|count8-samples|maze)\n"
    "  netrl --help | --version\n"
    "\n"
    "Solves the forward problem of a network or maze model (see README.md, \"Config reference\").\n"
    "With --out, writes result.json, values.npy, stationary.npy and spike_count.csv into DIR.\n"
    "Exit status: 0 solved, 1 error, 2 usage error, 3 solved but not converged.\n";

int usage_error(const std::string& message) {
  std::cerr << "netrl: " << message << "\n\n" << kUsage;
  return 2;
}

int run_solve(const std::vector<std::string>& args) {
  std::string config, scenario, out;
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& a = args[k];
    if (a == "--out" || a == "--scenario") {
      if (k + 1 >= args.size()) return usage_error(a + " needs a value");
      (a == "--out" ? out : scenario) = args[++k];
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option " + a);
    } else if (config.empty()) {
      config = a;
    } else {
      return usage_error("more than one configuration file given");
    }
  }
  if (config.empty() == scenario.empty()) return usage_error("give either CONFIG.json or --scenario NAME");
  const netrl::Problem problem = scenario.empty() ? netrl::load_problem(config) : netrl::scenario(scenario);
  const netrl::SolveResult result = netrl::solve(problem);
  std::cout << netrl::summary(problem, result);
  if (!out.empty()) {
    netrl::write_outputs(out, problem, result);
    std::cout << "  wrote " << out << "/result.json\n";
  }
  if (!result.converged) {
    std::cerr << "netrl: the solver did not converge (" << result.note
              << "); results are marked \"converged\": false\n";
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("no command given");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "netrl 0.1.0\n";
    return 0;
  }
  try {
    if (args[0] == "solve") return run_solve({args.begin() + 1, args.end()});
    if (args[0] == "infer") return netrl::run_infer_command({args.begin() + 1, args.end()});
    if (args[0] == "sample") return netrl::run_sample_command({args.begin() + 1, args.end()});
    return usage_error("unknown command \"" + args[0] + "\"");
  } catch (const netrl::Error& e) {
    std::cerr << "netrl: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "netrl: internal error: " << e.what() << "\n";
    return 1;
  }
}
