// Sweeps in the library: key paths, the points of a sweep file (cartesian order, zipped axes,
// repeats with derived seeds, warm-start chains, stable ids), the durable journal, the exact
// solver's warm starts and progress reports, and the count8-samples points against the scenario.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/journal.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"
#include "netrl/sweep.hpp"
#include "cli_support.hpp"
#include "test_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json count8_config() {
  return json::parse(R"({"model": "network", "n": 8, "input": {"T": [[0.98, 0.02], [0.02, 0.98]]},
                         "reward": {"kind": "count", "targets": [2, 6]}, "lambda": 0.114,
                         "solver": {"backend": "host"}})");
}

sweep::Spec spec_of(const json& sweep_file) { return parse_sweep(sweep_file, "test.json"); }

TEST(SweepKeyPath, WritesNestedKeysAndArrayElements) {
  json c = count8_config();
  sweep::set_key_path(c, "lambda", 0.2, "f");
  sweep::set_key_path(c, "input.T[0][1]", 0.5, "f");
  sweep::set_key_path(c, "solver.tol", 1e-8, "f");
  sweep::set_key_path(c, "sampling.seed", 7, "f");  // missing objects are created
  EXPECT_EQ(c["lambda"], 0.2);
  EXPECT_EQ(c["input"]["T"][0][1], 0.5);
  EXPECT_EQ(c["input"]["T"][0][0], 0.98);
  EXPECT_EQ(c["solver"]["tol"], 1e-8);
  EXPECT_EQ(c["sampling"]["seed"], 7);
}

TEST(SweepKeyPath, RejectsPathsThatDoNotFitTheBase) {
  json c = count8_config();
  for (const char* bad : {"", "a..b", "input.T[5]", "lambda.x", "input.T[x]", "input.T[0]x"}) {
    try {
      sweep::set_key_path(c, bad, 1, "axes[0]");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.field(), "axes[0]") << bad;
      EXPECT_NE(std::string(e.what()).find("key path"), std::string::npos) << e.what();
    }
  }
}

TEST(SweepExpand, CartesianProductWithTheFirstAxisSlowest) {
  const json file = {{"command", "solve"},
                     {"base", count8_config()},
                     {"axes", {{{"key", "lambda"}, {"values", {0.1, 0.2}}},
                               {{"key", "n"}, {"range", {6, 8}}}}}};
  const auto points = sweep::expand(spec_of(file));
  ASSERT_EQ(points.size(), 6u);
  const double lambdas[] = {0.1, 0.1, 0.1, 0.2, 0.2, 0.2};
  const int ns[] = {6, 7, 8, 6, 7, 8};
  std::set<std::string> ids;
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(points[i].index, i);
    EXPECT_EQ(points[i].config["lambda"], lambdas[i]);
    EXPECT_EQ(points[i].config["n"], ns[i]);
    EXPECT_EQ(points[i].params.dump(), json({{"lambda", lambdas[i]}, {"n", ns[i]}}).dump());
    EXPECT_EQ(points[i].id.size(), 16u);
    EXPECT_EQ(points[i].warm_from, -1);
    ids.insert(points[i].id);
  }
  EXPECT_EQ(ids.size(), 6u);
}

TEST(SweepExpand, IdsDependOnTheConfigurationOnly) {
  // The same points from axes in another order, and a point equal to the base: same ids.
  const json a = {{"command", "solve"},
                  {"base", count8_config()},
                  {"axes", {{{"key", "lambda"}, {"values", {0.114, 0.2}}}, {{"key", "n"}, {"values", {7, 8}}}}}};
  json b = a;
  std::swap(b["axes"][0], b["axes"][1]);
  std::set<std::string> ia, ib;
  for (const auto& p : sweep::expand(spec_of(a))) ia.insert(p.id);
  for (const auto& p : sweep::expand(spec_of(b))) ib.insert(p.id);
  EXPECT_EQ(ia, ib);
  const std::string base_id = sweep::hash_id({{"command", "solve"}, {"config", count8_config()}});
  EXPECT_EQ(ia.count(base_id), 1u);
  // Another command gives other ids.
  EXPECT_NE(sweep::hash_id({{"command", "sample"}, {"config", count8_config()}}), base_id);
}

TEST(SweepExpand, ZippedAxesVaryTogether) {
  const json file = {{"command", "solve"},
                     {"base", count8_config()},
                     {"axes", {{{"zip", {{{"key", "n"}, {"values", {6, 10}}},
                                         {{"key", "reward.targets"}, {"values", {{1, 5}, {2, 8}}}}}}}}}};
  const auto points = sweep::expand(spec_of(file));
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].config["n"], 10);
  EXPECT_EQ(points[1].config["reward"]["targets"], json({2, 8}));
  json unequal = file;
  unequal["axes"][0]["zip"][1]["values"] = {{1, 5}};
  EXPECT_THROW(sweep::expand(spec_of(unequal)), InvalidInput);
}

TEST(SweepExpand, RepeatsGetDistinctReproducibleSeeds) {
  const json file = {{"command", "count8-samples"},
                     {"base", {{"T", 1000}}},
                     {"axes", {{{"key", "T"}, {"values", {1000, 2000}}}}},
                     {"repeats", {{"count", 3}, {"seed_key", "seed"}, {"seed", 5}}}};
  const auto points = sweep::expand(spec_of(file));
  ASSERT_EQ(points.size(), 6u);
  std::set<std::uint64_t> seeds;
  for (const auto& p : points) {
    const auto seed = p.config["seed"].get<std::uint64_t>();
    EXPECT_LT(seed, std::uint64_t{1} << 53);
    EXPECT_EQ(p.params["seed"], seed);
    EXPECT_EQ(seed, sweep::derive_seed(5, json{{"T", p.config["T"]}}, p.params["repeat"].get<int>()));
    seeds.insert(seed);
  }
  EXPECT_EQ(seeds.size(), 6u);
  EXPECT_EQ(points[4].params["repeat"], 1);
  EXPECT_EQ(points[4].config["T"], 2000);
  // Another base seed, other seeds.
  json other = file;
  other["repeats"]["seed"] = 6;
  EXPECT_NE(sweep::expand(spec_of(other))[0].config["seed"], points[0].config["seed"]);
}

TEST(SweepExpand, WarmStartsChainAlongTheirAxis) {
  const json file = {{"command", "solve"},
                     {"base", count8_config()},
                     {"axes", {{{"key", "lambda"}, {"linspace", {0.1, 0.3, 3}}},
                               {{"key", "reward.targets"}, {"values", {{2, 6}, {3, 5}}}}}},
                     {"warm_start", "lambda"}};
  const auto points = sweep::expand(spec_of(file));
  ASSERT_EQ(points.size(), 6u);
  const std::ptrdiff_t from[] = {-1, -1, 0, 1, 2, 3};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(points[i].warm_from, from[i]) << i;
  EXPECT_DOUBLE_EQ(points[2].config["lambda"].get<double>(), 0.2);
  // The warm-start source is part of the id: the same configuration started cold differs.
  json cold = file;
  cold.erase("warm_start");
  const auto cold_points = sweep::expand(spec_of(cold));
  EXPECT_EQ(cold_points[0].id, points[0].id);
  EXPECT_NE(cold_points[2].id, points[2].id);
  json nowhere = file;
  nowhere["warm_start"] = "n";
  EXPECT_THROW(sweep::expand(spec_of(nowhere)), InvalidInput);
}

TEST(SweepExpand, RejectsDuplicatePointsAndKeysOnTwoAxes) {
  json file = {{"command", "solve"}, {"base", count8_config()}, {"axes", {{{"key", "lambda"}, {"values", {0.1, 0.1}}}}}};
  EXPECT_THROW(sweep::expand(spec_of(file)), InvalidInput);
  file["axes"] = {{{"key", "lambda"}, {"values", {0.1}}}, {{"key", "lambda"}, {"values", {0.2}}}};
  EXPECT_THROW(sweep::expand(spec_of(file)), InvalidInput);
  // A key inside another: the table reported targets[0] = 1 for points that ran [2, 2] and [3, 3].
  file["axes"] = {{{"key", "reward.targets[0]"}, {"values", {1}}},
                  {{"key", "reward.targets"}, {"values", {{2, 2}, {3, 3}}}}};
  try {
    sweep::expand(spec_of(file));
    ADD_FAILURE() << "accepted";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "axes[0]");
    EXPECT_EQ(e.message(), "key \"reward.targets[0]\" lies inside \"reward.targets\" of axes[1]: one would overwrite "
                           "the other");
  }
  file["axes"] = {{{"key", "input"}, {"values", {{{"T", {{0.9, 0.1}, {0.1, 0.9}}}}}}},
                  {{"key", "input.T"}, {"values", {{{0.8, 0.2}, {0.2, 0.8}}}}}};
  EXPECT_THROW(sweep::expand(spec_of(file)), InvalidInput);
  file["axes"] = {{{"key", "reward.targets[0]"}, {"values", {1, 2}}}, {{"key", "reward.targets[1]"}, {"values", {3}}}};
  EXPECT_EQ(sweep::expand(spec_of(file)).size(), 2u);  // siblings, not nested
}

TEST(SweepFile, ErrorsNameTheField) {
  auto field_of = [](const json& file) {
    try {
      spec_of(file);
    } catch (const InvalidInput& e) {
      return e.field();
    }
    return std::string("(accepted)");
  };
  const json ok = {{"command", "solve"}, {"base", count8_config()}, {"axes", {{{"key", "lambda"}, {"values", {0.1}}}}}};
  EXPECT_EQ(field_of(ok), "(accepted)");
  json bad = ok;
  bad["command"] = "frobnicate";
  EXPECT_EQ(field_of(bad), "command");
  bad = ok;
  bad["axes"][0]["linspace"] = {0, 1, 3};
  EXPECT_EQ(field_of(bad), "axes[0]");  // two value forms
  bad = ok;
  bad["axes"][0].erase("values");
  bad["axes"][0]["geomspace"] = {0, 1, 3};
  EXPECT_EQ(field_of(bad), "axes[0].geomspace");
  bad = ok;
  bad["axes"][0]["values"] = json::array();
  EXPECT_EQ(field_of(bad), "axes[0].values");
  bad = ok;
  bad["repeats"] = {{"count", 0}, {"seed_key", "seed"}};
  EXPECT_EQ(field_of(bad), "repeats.count");
  bad = ok;
  bad["batchsize"] = 3;
  EXPECT_EQ(field_of(bad), "batchsize");
  bad = ok;
  bad["warm_start"] = "";  // not the same as leaving it out
  EXPECT_EQ(field_of(bad), "warm_start");
}

TEST(SweepFile, GeomspaceKeepsWholeNumbersIntegral) {
  const json file = {{"command", "count8-samples"}, {"base", {{"T", 10}}},
                     {"axes", {{{"key", "T"}, {"geomspace", {1000, 1000000, 4}}}}}};
  const auto points = sweep::expand(spec_of(file));
  ASSERT_EQ(points.size(), 4u);
  const std::int64_t expected[] = {1000, 10000, 100000, 1000000};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(points[i].config["T"].is_number_integer()) << points[i].config["T"];
    EXPECT_EQ(points[i].config["T"], expected[i]);
  }
}

// Ends a whole double range apart: stop - start (and stop / start) overflow, the values do not.
TEST(SweepFile, SpacedValuesBetweenFiniteEndsAreFinite) {
  json file = {{"command", "solve"}, {"base", {{"model", "network"}, {"n", 2}}},
               {"axes", {{{"key", "lambda"}, {"linspace", {-1.7e308, 1.7e308, 3}}}}}};
  auto points = sweep::expand(spec_of(file));
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].config["lambda"].get<double>(), -1.7e308);
  EXPECT_EQ(points[1].config["lambda"].get<double>(), 0.0);
  EXPECT_EQ(points[2].config["lambda"].get<double>(), 1.7e308);
  file["axes"][0] = {{"key", "lambda"}, {"geomspace", {1e-300, 1e300, 3}}};
  points = sweep::expand(spec_of(file));
  ASSERT_EQ(points.size(), 3u);
  EXPECT_NEAR(points[1].config["lambda"].get<double>(), 1.0, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// The journal.

TEST(Journal, KeepsRecordsAndDropsATornTail) {
  const fs::path dir = test::fresh_dir("netrl_journal_", "torn", true);
  const std::string path = (dir / "journal").string();
  auto valid = [](const std::string& s) { return s.size() == 3 && s.find_first_not_of("abc") == std::string::npos; };
  {
    io::Journal j(path, "hdr 1", valid);
    EXPECT_TRUE(j.records().empty());
    j.append("abc");
    j.append("cab");
  }
  {
    io::Journal j(path, "hdr 1", valid);
    EXPECT_EQ(j.records(), (std::vector<std::string>{"abc", "cab"}));
    EXPECT_EQ(j.dropped(), 0u);
  }
  // A torn last record (no newline), then one with garbage: both dropped, the file rewritten.
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "bca\nzz";
  }
  {
    io::Journal j(path, "hdr 1", valid);
    EXPECT_EQ(j.records(), (std::vector<std::string>{"abc", "cab", "bca"}));
    EXPECT_EQ(j.dropped(), 1u);
    j.append("aaa");
  }
  EXPECT_EQ(io::read_file(path), "hdr 1\nabc\ncab\nbca\naaa\n");
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << std::string("\0\0\0\n", 4);  // a complete last line that is no record: dropped too
  }
  {
    io::Journal j(path, "hdr 1", valid);
    EXPECT_EQ(j.records().size(), 4u);
    EXPECT_EQ(j.dropped(), 1u);
  }
  EXPECT_EQ(io::read_file(path), "hdr 1\nabc\ncab\nbca\naaa\n");
  // (An invalid line with records after it is an error: test_sweep_inputs.cpp.)
  EXPECT_THROW(io::Journal(path, "other 1", valid), IoError);
  fs::remove_all(dir);
}

TEST(DirectoryLock, SecondLockOnTheSameDirectoryFails) {
  const fs::path dir = test::fresh_dir("netrl_lock_", "dir", true);
  {
    io::DirectoryLock first(dir.string());
    EXPECT_THROW(io::DirectoryLock second(dir.string()), IoError);
  }
  io::DirectoryLock again(dir.string());  // released with the first
  fs::remove_all(dir);
}

TEST(SweepRun, StartsOverTheLeftoversOfARunKilledAtItsStart) {
  // Killed while writing sweep.json: only the lock and the temporary file are there.
  const fs::path out = test::fresh_dir("netrl_sweep_", "leftover", true);
  std::ofstream(out / ".lock") << "";
  std::ofstream(out / "sweep.json.tmp.4242") << "{\"comm";
  std::ofstream(out / "table.csv.tmp.4242") << "id,";
  const json file = {{"command", "solve"}, {"base", count8_config()}, {"axes", {{{"key", "lambda"}, {"values", {0.1}}}}}};
  sweep::Options opt;
  opt.out = out.string();
  const sweep::Report r = sweep::run(spec_of(file), opt);
  EXPECT_EQ(r.done, 1u);
  EXPECT_FALSE(fs::exists(out / "sweep.json.tmp.4242"));
  EXPECT_FALSE(fs::exists(out / "table.csv.tmp.4242"));
  EXPECT_EQ(io::read_json_file((out / "sweep.json").string()), spec_of(file).canonical);
  fs::remove_all(out);
}

// ---------------------------------------------------------------------------------------------
// Warm starts and progress of the exact solver.

NetworkModel count8_at(double lambda) {
  NetworkModel m = count8_model();
  m.lambda = lambda;
  return m;
}

SolverOptions host_options() {
  SolverOptions o;
  o.backend = test::kBackend;
  return o;
}

WarmStart warm_from(const SolveResult& r) { return {r.values, r.prior, r.stationary}; }

TEST(WarmStart, ConvergesToTheColdFixedPointInFewerIterations) {
  NETRL_REQUIRE_BACKEND(test::kBackend);
  // Population prior: one fixed point here. (Per-neuron priors can have several, frozen neurons
  // among them, and a warm start may then settle on another one than a cold start: docs/sweeps.md.)
  std::mt19937_64 rng(11);
  const NetworkModel a = test::random_network(7, 2, PriorMode::population, rng, 0.30);
  NetworkModel b = a;
  b.lambda = 0.33;
  const SolverOptions o = host_options();
  const SolveResult from = solve(a, o);
  const SolveResult cold = solve(b, o);
  SolveHooks hooks;
  hooks.warm_starts = {warm_from(from)};
  const SolveResult warm = solve(b, o, hooks);
  ASSERT_TRUE(cold.converged && warm.converged);
  // Both stop within the tolerances of the one fixed point: the gain is stationary there (its
  // error is second order), the prior within a few prior_tol of the contraction's limit.
  EXPECT_NEAR(warm.gain, cold.gain, 1e-11);
  for (std::size_t i = 0; i < cold.prior.size(); ++i) EXPECT_NEAR(warm.prior[i], cold.prior[i], 1e-8) << i;
  EXPECT_LT(warm.inner_iterations, cold.inner_iterations);
  // Started at its own solution, a solve confirms it at once.
  hooks.warm_starts = {warm_from(cold)};
  const SolveResult again = solve(b, o, hooks);
  EXPECT_NEAR(again.gain, cold.gain, 1e-12);
  EXPECT_LE(again.outer_iterations, 2);
  EXPECT_LT(again.inner_iterations, cold.inner_iterations / 4);
}

TEST(WarmStart, BatchedWarmStartsEqualSingleWarmStarts) {
  NETRL_REQUIRE_BACKEND(test::kBackend);
  const SolverOptions o = host_options();
  const SolveResult base = solve(count8_at(0.114), o);
  std::vector<NetworkModel> models = {count8_at(0.12), count8_at(0.13), count8_at(0.14)};
  SolveHooks hooks;
  hooks.warm_starts = {warm_from(base), WarmStart{}, warm_from(base)};  // the middle one cold
  const auto batch = solve_batch(models, o, hooks);
  for (std::size_t q = 0; q < models.size(); ++q) {
    SolveHooks one;
    one.warm_starts = {hooks.warm_starts[q]};
    const SolveResult alone = solve(models[q], o, one);
    // The host backend computes a problem identically alone and in a batch.
    const double tol = test::kBackend == Backend::host ? 0.0 : 1e-12;
    EXPECT_NEAR(batch[q].gain, alone.gain, tol) << q;
    EXPECT_EQ(batch[q].inner_iterations, alone.inner_iterations) << q;
  }
}

TEST(WarmStart, BadWarmStartsNameTheField) {
  NETRL_REQUIRE_BACKEND(test::kBackend);
  const SolverOptions o = host_options();
  const SolveResult base = solve(count8_at(0.114), o);
  auto field_of = [&](const WarmStart& w, const SolverOptions& opt) {
    SolveHooks hooks;
    hooks.warm_starts = {w};
    try {
      solve(count8_at(0.12), opt, hooks);
    } catch (const InvalidInput& e) {
      return e.field();
    }
    return std::string("(accepted)");
  };
  WarmStart w = warm_from(base);
  w.values.pop_back();
  EXPECT_EQ(field_of(w, o), "warm_start");
  w = warm_from(base);
  w.prior.resize(3);
  EXPECT_EQ(field_of(w, o), "warm_start");
  w = warm_from(base);
  w.values[5] = std::nan("");
  EXPECT_EQ(field_of(w, o), "warm_start");
  w = warm_from(base);
  w.prior[0] = 1.5;
  EXPECT_EQ(field_of(w, o), "warm_start");
  SolverOptions ref = o;
  ref.backend = Backend::reference;
  EXPECT_EQ(field_of(warm_from(base), ref), "warm_start");
}

TEST(SolveProgress, ReportsIterationsAtTheInterval) {
  NETRL_REQUIRE_BACKEND(test::kBackend);
  std::vector<SolveProgress> reports;
  SolveHooks hooks;
  hooks.progress = [&](const SolveProgress& p) { reports.push_back(p); };
  hooks.progress_interval = 0.0;  // every check
  const SolveResult r = solve(count8_at(0.114), host_options(), hooks);
  ASSERT_GE(reports.size(), static_cast<std::size_t>(r.inner_iterations));
  EXPECT_STREQ(reports.back().phase, "done");
  EXPECT_EQ(reports.back().outer_iterations, r.outer_iterations);
  EXPECT_EQ(reports.back().inner_iterations, r.inner_iterations);
  EXPECT_EQ(reports.back().running, 0);
  std::int64_t inner = 0;
  bool saw_value_iteration = false;
  for (const SolveProgress& p : reports) {
    EXPECT_GE(p.inner_iterations, inner);  // never decreases
    inner = p.inner_iterations;
    saw_value_iteration = saw_value_iteration || std::string(p.phase) == "value iteration";
    EXPECT_GE(p.elapsed_seconds, 0.0);
  }
  EXPECT_TRUE(saw_value_iteration);
  // A long interval: only the final report.
  reports.clear();
  hooks.progress_interval = 1e6;
  solve(count8_at(0.114), host_options(), hooks);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_STREQ(reports.front().phase, "done");
}

// ---------------------------------------------------------------------------------------------
// count8-samples points: the scenario's rows, through the sweep machinery.

TEST(SweepCount8Samples, PointsEqualTheScenarioRows) {
  SampleSizeOptions so;
  so.sizes = {1000, 2000};
  so.repeats = 2;
  so.seed = 3;
  so.predictions = false;
  const SampleSizeResult scenario = count8_from_samples(so);
  // The same (T, seed) pairs as one zipped axis.
  json Ts = json::array(), seeds = json::array();
  for (const auto& row : scenario.rows) {
    Ts.push_back(row.T);
    seeds.push_back(row.seed);
  }
  const json file = {{"command", "count8-samples"},
                     {"base", {{"T", 2}, {"predictions", false}}},
                     {"axes", {{{"zip", {{{"key", "T"}, {"values", Ts}}, {{"key", "seed"}, {"values", seeds}}}}}}}};
  const fs::path out = test::fresh_dir("netrl_sweep_", "samples", false);
  sweep::Options opt;
  opt.out = out.string();
  const sweep::Report rep = sweep::run(spec_of(file), opt);
  EXPECT_EQ(rep.done, scenario.rows.size());
  EXPECT_EQ(rep.failed, 0u);
  const auto points = sweep::expand(spec_of(file));
  for (std::size_t k = 0; k < points.size(); ++k) {
    const json r = io::read_json_file((out / "points" / points[k].id / "result.json").string());
    EXPECT_EQ(r["seed"], scenario.rows[k].seed);
    EXPECT_EQ(r["r2"].get<double>(), scenario.rows[k].r2) << k;  // the same computation, bit for bit
  }
  fs::remove_all(out);
}

}  // namespace
}  // namespace netrl
