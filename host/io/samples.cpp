#include "netrl/io/samples.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/json_values.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

using nlohmann::json;

namespace {

std::vector<double> to_doubles(const std::vector<std::uint64_t>& v) { return std::vector<double>(v.begin(), v.end()); }

}  // namespace

void write_samples(const std::string& dir, const SampleConfig& c, const SampleResult& r) {
  OutputDir out(dir);
  write_samples(out, c, r);
}

void write_samples(OutputDir& out, const SampleConfig& c, const SampleResult& r) {
  const SampleStats& st = r.stats;
  const auto n = static_cast<std::uint64_t>(st.n), m = static_cast<std::uint64_t>(st.m);
  const double samples = static_cast<double>(st.samples());
  std::vector<std::string> files;
  if (!st.histogram.empty()) {
    out.write_npy("histogram.npy", to_doubles(st.histogram), {st.histogram.size()});
    files.push_back("histogram.npy");
  }
  if (!st.transitions.empty()) {
    out.write_npy("transitions.npy", to_doubles(st.transitions), {st.transitions.size() / (n + 1), n + 1});
    files.push_back("transitions.npy");
  }
  out.write_npy("spike_count_counts.npy", to_doubles(st.spike_count), {n + 1, m});
  files.push_back("spike_count_counts.npy");
  std::vector<double> rates(st.active.size());
  for (std::size_t i = 0; i < rates.size(); ++i) rates[i] = static_cast<double>(st.active[i]) / samples;
  out.write_npy("rates.npy", rates, {n});
  files.push_back("rates.npy");
  if (!st.coactive.empty()) {
    std::vector<double> co(st.coactive.size());
    for (std::size_t k = 0; k < co.size(); ++k) co[k] = static_cast<double>(st.coactive[k]) / samples;
    out.write_npy("coactivation.npy", co, {n, n});
    files.push_back("coactivation.npy");
    // Pearson correlation of sigma_i and sigma_j (NaN where a neuron never changes).
    std::vector<double> corr(co.size());
    for (std::uint64_t i = 0; i < n; ++i)
      for (std::uint64_t j = 0; j < n; ++j) {
        const double var = rates[i] * (1.0 - rates[i]) * rates[j] * (1.0 - rates[j]);
        corr[i * n + j] = var > 0.0 ? (co[i * n + j] - rates[i] * rates[j]) / std::sqrt(var)
                                    : std::numeric_limits<double>::quiet_NaN();
      }
    out.write_npy("correlation.npy", corr, {n, n});
    files.push_back("correlation.npy");
  }
  // spike_count.csv: P(K | x), the format of `netrl solve`.
  std::vector<double> per_input(m, 0.0);
  for (std::uint64_t k = 0; k <= n; ++k)
    for (std::uint64_t x = 0; x < m; ++x) per_input[x] += static_cast<double>(st.spike_count[k * m + x]);
  std::ostringstream csv;
  csv << "K";
  for (std::uint64_t x = 0; x < m; ++x) csv << ",x" << x;
  csv << "\n";
  char buf[64];
  for (std::uint64_t k = 0; k <= n; ++k) {
    csv << k;
    for (std::uint64_t x = 0; x < m; ++x) {
      const double v = per_input[x] > 0.0 ? static_cast<double>(st.spike_count[k * m + x]) / per_input[x]
                                          : std::numeric_limits<double>::quiet_NaN();
      std::snprintf(buf, sizeof buf, ",%.17g", v);
      csv << buf;
    }
    csv << "\n";
  }
  out.write_text("spike_count.csv", csv.str());
  files.push_back("spike_count.csv");
  for (const auto& raster : st.rasters) {
    const std::string name = "raster_chain" + std::to_string(raster.chain);
    out.write_npy(name + ".npy", raster.states, {st.samples_per_chain, n});
    out.write_npy("inputs_chain" + std::to_string(raster.chain) + ".npy",
              std::vector<double>(raster.inputs.begin(), raster.inputs.end()), {st.samples_per_chain});
    files.push_back(name + ".npy");
    files.push_back("inputs_chain" + std::to_string(raster.chain) + ".npy");
  }

  json j;
  j["command"] = "sample";
  j["source"] = c.source;
  j["n"] = st.n;
  j["m"] = st.m;
  j["lambda"] = c.model.lambda;
  j["policy"] = json::parse(c.policy_json);
  j["backend"] = to_string(r.backend);
  j["kernel"] = r.kernel;
  j["seed"] = r.seed;
  j["chains"] = st.chains;
  j["steps"] = c.options.steps;
  j["burn_in"] = c.options.burn_in;
  j["thin"] = c.options.thin;
  j["samples_per_chain"] = st.samples_per_chain;
  j["samples"] = st.samples();
  j["updates"] = r.updates;
  j["flips"] = st.flips;
  j["elapsed_seconds"] = r.elapsed_seconds;
  j["updates_per_second"] = r.elapsed_seconds > 0.0 ? static_cast<double>(r.updates) / r.elapsed_seconds : 0.0;
  std::vector<std::uint64_t> input_counts(m, 0);
  for (std::uint64_t x = 0; x < m; ++x) input_counts[x] = static_cast<std::uint64_t>(per_input[x]);
  j["input_counts"] = input_counts;
  j["rates"] = rates;
  double mean_k = 0.0;
  for (std::uint64_t k = 0; k <= n; ++k)
    for (std::uint64_t x = 0; x < m; ++x) mean_k += static_cast<double>(k) * static_cast<double>(st.spike_count[k * m + x]);
  j["mean_spike_count"] = mean_k / samples;
  if (c.has_reward && !st.histogram.empty()) {
    double total = 0.0;
    for (std::uint64_t s = 0; s < st.histogram.size(); ++s) {
      if (st.histogram[s]) {
        total += static_cast<double>(st.histogram[s]) *
                 c.model.reward.evaluate(st.n, s & ((std::uint64_t{1} << n) - 1), static_cast<int>(s >> n));
      }
    }
    j["mean_reward"] = total / samples;
  }
  j["files"] = files;
  out.write_json("result.json", j);
  out.commit();
}

namespace {

/// A `netrl sample` count file, its size checked before it is read and its shape before conversion.
std::vector<double> load_counts(const std::string& path, const std::vector<std::uint64_t>& shape,
                                const std::string& field) {
  const std::uint64_t entries = shape.size() == 1 ? shape[0] : shape[0] * shape[1];
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  // 8 bytes per entry (the sampler writes float64) plus a header of at most 64 KiB.
  if (!ec && bytes > entries * 8 + (std::uint64_t{1} << 16)) {
    throw InvalidInput(field, path + " has " + std::to_string(bytes) + " bytes; the model's " +
                                  std::to_string(entries) + " counts need at most " +
                                  std::to_string(entries * 8 + (std::uint64_t{1} << 16)) +
                                  " (was it sampled for a larger n or m?)");
  }
  const npy::Array a = under_field(field, [&] { return npy::load(path); });
  if (a.shape != shape) {
    throw InvalidInput(field, path + " has shape " + npy::shape_text(a.shape) + "; the model (m * 2^n states" +
                                  (shape.size() == 2 ? ", n + 1 successors" : "") + ") needs " + npy::shape_text(shape));
  }
  return npy::to_double(a, path);
}

}  // namespace

inverse::NetworkData read_samples(const std::string& dir, const NetworkModel& net, std::vector<std::string>* notes) {
  const std::string field = "samples";
  const std::string result_path = dir + "/result.json";
  const json result = read_json_file(result_path);
  const JsonFile f(result, result_path, field, "a `netrl sample --out` directory");
  if (!f.has("command") || f.string("command") != "sample") {
    throw InvalidInput(field, result_path + " is not the result of `netrl sample --out` (no \"command\": \"sample\")");
  }
  const std::int64_t n = f.integer("n", 1, std::int64_t{1} << 20), m = f.integer("m", 1, std::int64_t{1} << 30);
  if (n != net.n || m != net.m()) {
    throw InvalidInput(field, result_path + " has n = " + std::to_string(n) + ", m = " + std::to_string(m) +
                                  "; the config has n = " + std::to_string(net.n) + ", m = " + std::to_string(net.m()));
  }
  const double lambda = f.number("lambda");
  if (std::abs(lambda - net.lambda) > 1e-12 * std::abs(net.lambda)) {
    throw InvalidInput(field, result_path + " was sampled at lambda = " + fmt17(lambda) +
                                  "; the config has lambda = " + fmt17(net.lambda) +
                                  " (the reward is inferred at the config's lambda: give the sampled one)");
  }
  const bool burn_in = f.has("burn_in") && f.integer("burn_in", 0, std::numeric_limits<std::int64_t>::max()) > 0;
  // The model's size is bounded before the counts are read.
  if (net.n > inverse::kMaxTabularNeurons) {
    throw InvalidInput("n", "the tabular inverse keeps counts over the m * 2^n states; n = " + std::to_string(net.n) +
                                " exceeds its limit " + std::to_string(inverse::kMaxTabularNeurons));
  }
  const std::uint64_t states = net.num_states();
  const std::string hist_path = dir + "/histogram.npy", trans_path = dir + "/transitions.npy";
  if (!std::filesystem::exists(hist_path)) {
    throw InvalidInput(field, dir + " has no histogram.npy: the run did not record the state histogram (its "
                                    "\"sampling.record.histogram\" was false, or n > 24); sample again with "
                                    "\"record\": {\"histogram\": true, \"transitions\": true}");
  }
  std::vector<double> hist = load_counts(hist_path, {states}, field);
  std::vector<double> trans;
  if (std::filesystem::exists(trans_path)) {
    trans = load_counts(trans_path, {states, static_cast<std::uint64_t>(net.n + 1)}, field);
  }
  // The counts' own checks (non-negative integers, transitions that sum to the histogram) name
  // the array; the directory is added here.
  inverse::NetworkData d;
  try {
    d = inverse::sampled_counts(net, std::move(hist), std::move(trans));
  } catch (const InvalidInput& e) {
    throw InvalidInput(field, dir + " (histogram.npy, transitions.npy): " + e.message());
  }
  if (notes && !burn_in) {
    notes->push_back("the samples have no burn-in: the chains start from uniformly drawn states, so the first "
                      "steps are not stationary samples");
  }
  return d;
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
