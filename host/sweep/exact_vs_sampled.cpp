// The exact-vs-sampled benchmark as two sweeps and their crossover table (netrl/sweep.hpp).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/statistics.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/journal.hpp"
#include "netrl/sweep.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep {

namespace {

using nlohmann::json;

json flip_matrix(double p) { return json::array({json::array({1.0 - p, p}), json::array({p, 1.0 - p})}); }

/// K = round(n/4) under x = -1 and n - round(n/4) under x = +1 (count8's 2 and 6): symmetric
/// under flipping every neuron and the input, so the population prior stays 1/2.
json targets(int n) {
  const int low = static_cast<int>(std::floor(n / 4.0 + 0.5));
  return json::array({low, n - low});
}

json count_network(const ExactVsSampledOptions& b) {
  return {{"model", "network"},
          {"n", b.n_min},
          {"input", {{"T", flip_matrix(b.flip)}}},
          {"reward", {{"kind", "count"}, {"targets", targets(b.n_min)}}},
          {"lambda", b.lambda},
          {"prior", "population"},
          {"solver", {{"backend", to_string(b.backend)}}}};
}

void check(const ExactVsSampledOptions& b) {
  if (b.n_min < 2 || b.n_max < b.n_min || b.n_max > 24) {
    throw InvalidInput("n", "the sizes n = " + std::to_string(b.n_min) + ".." + std::to_string(b.n_max) +
                                " must satisfy 2 <= n_min <= n_max <= 24 (the sampler's histogram)");
  }
  if (b.samples.empty()) throw InvalidInput("samples", "give at least one number of samples");
  for (auto s : b.samples)
    if (s < b.chains) {
      throw InvalidInput("samples", std::to_string(s) + " samples for " + std::to_string(b.chains) +
                                        " chains: give at least one sample per chain");
    }
  if (b.repeats < 1) throw InvalidInput("repeats", "must be at least 1");
  if (b.infer_max_n > 20) throw InvalidInput("infer_max_n", "the tabular inverse needs n <= 20");
}

/// Mean of `key` over result.json files (NaN entries left out).
double mean_of(const std::vector<json>& results, const char* key) {
  std::vector<double> v;
  for (const json& r : results) v.push_back(r.contains(key) && r[key].is_number() ? r[key].get<double>() : std::nan(""));
  return mean_sem(v).mean;
}

}  // namespace

ExactVsSampledResult exact_vs_sampled(const ExactVsSampledOptions& b, const Options& options) {
  check(b);
  if (options.out.empty()) throw InvalidInput("out", "the benchmark needs an output directory");
  io::ensure_directory(options.out);
  const std::string dir = options.out;
  ExactVsSampledResult out;

  // 1. The exact solves, one unit per n (each n is a shape of its own: the times are per solve).
  json ns = json::array(), ts = json::array();
  for (int n = b.n_min; n <= b.n_max; ++n) {
    ns.push_back(n);
    ts.push_back(targets(n));
  }
  const json exact_file = {{"command", "solve"},
                           {"base", count_network(b)},
                           {"batch", 1},
                           {"axes", json::array({{{"zip", {{{"key", "n"}, {"values", ns}},
                                                           {{"key", "reward.targets"}, {"values", ts}}}}}})}};
  io::write_file_durable(dir + "/exact.json", exact_file.dump(2) + "\n");
  const Spec exact = parse_sweep(exact_file, dir + "/exact.json");
  Options eo = options;
  eo.out = dir + "/exact";
  eo.parallel = 1;  // timed: one solve at a time, on every thread
  out.exact = run(exact, eo);
  const std::vector<Point> exact_points = expand(exact);

  // 2. The sampled estimates over those solutions (paths relative to DIR/sampled.json).
  json solutions = json::array(), infer = json::array(), burn = json::array();
  for (const Point& p : exact_points) {
    const int n = p.config["n"].get<int>();
    solutions.push_back("exact/points/" + p.id);
    infer.push_back(n <= b.infer_max_n);
    burn.push_back(b.burn_in_per_neuron * static_cast<std::uint64_t>(n));
  }
  json base = count_network(b);
  base["solution"] = solutions[0];
  base["infer"] = false;
  base["sampling"] = {{"samples", b.samples.front()}, {"chains", b.chains}, {"burn_in", 0}, {"seed", 0},
                      {"backend", to_string(b.backend)}};
  const json sampled_file = {
      {"command", "sampled-vs-exact"},
      {"base", base},
      {"axes", json::array({{{"zip", {{{"key", "n"}, {"values", ns}},
                                      {{"key", "reward.targets"}, {"values", ts}},
                                      {{"key", "solution"}, {"values", solutions}},
                                      {{"key", "infer"}, {"values", infer}},
                                      {{"key", "sampling.burn_in"}, {"values", burn}}}}},
                            {{"key", "sampling.samples"}, {"values", b.samples}}})},
      {"repeats", {{"count", b.repeats}, {"seed_key", "sampling.seed"}, {"seed", b.seed}}}};
  io::write_file_durable(dir + "/sampled.json", sampled_file.dump(2) + "\n");
  const Spec sampled = parse_sweep(sampled_file, dir + "/sampled.json");
  Options so = options;
  so.out = dir + "/sampled";
  out.sampled = run(sampled, so);

  // 3. The crossover: per n, the fewest samples whose mean error meets each target.
  std::map<int, std::map<std::uint64_t, std::vector<json>>> by_n;
  for (const Point& p : expand(sampled)) {
    const std::string path = detail::point_dir(so.out, p) + "/result.json";
    if (!std::filesystem::exists(path)) continue;
    by_n[p.config["n"].get<int>()][p.config["sampling"]["samples"].get<std::uint64_t>()].push_back(io::read_json_file(path));
  }
  std::ostringstream csv;
  csv << "n,states,exact_seconds,tv_samples,tv_seconds,gain_samples,gain_seconds,r2_samples,r2_seconds\n";
  for (const Point& p : exact_points) {
    const std::string path = detail::point_dir(eo.out, p) + "/result.json";
    if (!std::filesystem::exists(path)) continue;
    const json r = io::read_json_file(path);
    CrossoverRow row;
    row.n = p.config["n"].get<int>();
    row.states = r.value("states", std::uint64_t{0});
    row.exact_seconds = r.value("elapsed_seconds", std::nan(""));
    row.inferred = row.n <= b.infer_max_n;
    const double gain = std::abs(r.value("gain", std::nan("")));
    // From the largest number of samples down: the fewest from which on every larger number meets
    // the target (a noisy mean that dips below it once does not count).
    const auto& sizes = by_n[row.n];
    bool tv = true, rel = true, r2 = row.inferred;
    for (auto it = sizes.rbegin(); it != sizes.rend(); ++it) {
      const std::vector<json>& results = it->second;
      std::vector<double> relative;
      for (const json& x : results) relative.push_back(std::abs(x.value("gain_error", std::nan(""))) / gain);
      const double seconds = mean_of(results, "sample_seconds");
      tv = tv && mean_of(results, "tv_spike_count") <= b.tv_target;
      rel = rel && mean_sem(relative).mean <= b.gain_target;
      r2 = r2 && mean_of(results, "r2") >= b.r2_target;
      if (tv) row.tv = {it->first, seconds};
      if (rel) row.gain = {it->first, seconds};
      if (r2) row.r2 = {it->first, seconds + mean_of(results, "infer_seconds")};
    }
    auto hit = [](const CrossoverRow::Hit& h) {
      if (h.samples == 0) return std::string(",");
      char buf[64];
      std::snprintf(buf, sizeof buf, "%llu,%.6g", static_cast<unsigned long long>(h.samples), h.seconds);
      return std::string(buf);
    };
    char head[96];
    std::snprintf(head, sizeof head, "%d,%llu,%.6g", row.n, static_cast<unsigned long long>(row.states), row.exact_seconds);
    csv << head << "," << hit(row.tv) << "," << hit(row.gain) << "," << (row.inferred ? hit(row.r2) : ",") << "\n";
    out.rows.push_back(row);
  }
  out.crossover = dir + "/crossover.csv";
  io::write_file_durable(out.crossover, csv.str());
  return out;
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep
