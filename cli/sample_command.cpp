// `netrl sample`: chains of the network dynamics under a policy.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "netrl/config.hpp"
#include "netrl/io/samples.hpp"
#include "netrl/sample.hpp"

namespace netrl::cli {

int run_sample(const SampleArgs& args) {
  const SampleConfig c = load_sample_config(args.config);
  const auto out = open_output(args.out);
  const SampleResult r = sample(c.model, c.policy, c.options);
  char line[512];
  std::snprintf(line, sizeof line,
                "netrl sample: %s\n  n = %d, m = %d, %llu chains x %llu steps (burn-in %llu, thin %llu), seed %llu\n",
                c.source.c_str(), r.stats.n, r.stats.m, static_cast<unsigned long long>(r.stats.chains),
                static_cast<unsigned long long>(c.options.steps), static_cast<unsigned long long>(c.options.burn_in),
                static_cast<unsigned long long>(c.options.thin), static_cast<unsigned long long>(r.seed));
  std::cout << line;
  std::snprintf(line, sizeof line,
                "  %llu samples, %llu neuron updates in %.3f s (%.3g updates/s), backend %s, kernel %s\n",
                static_cast<unsigned long long>(r.stats.samples()), static_cast<unsigned long long>(r.updates),
                r.elapsed_seconds, r.elapsed_seconds > 0 ? static_cast<double>(r.updates) / r.elapsed_seconds : 0.0,
                to_string(r.backend), r.kernel.c_str());
  std::cout << line;
  if (out) {
    io::write_samples(*out, c, r);
    std::cout << "  wrote " << args.out << "/result.json\n";
  }
  return 0;
}

}  // namespace netrl::cli
