// Which points of a sweep are ready and how they are grouped into units (session.hpp).
#include <algorithm>
#include <filesystem>
#include <map>

#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep::detail {

using nlohmann::json;

namespace {

/// Checks a point's configuration as its command reads it; for solves that the exact solver can
/// batch, sets the batching key (n, m, clamps and solver options) and the states of one problem.
void inspect(const Spec& spec, const Point& point, std::string* key, std::uint64_t* states, std::string* describe,
             char* host, char* exact) {
  switch (spec.kind) {
    case Kind::solve: {
      const Problem p = parse_problem(point.config, spec.base_source);
      if (p.kind != ModelKind::network) {
        *describe = "maze";
        return;
      }
      const NetworkModel& net = p.network;
      const SolverOptions& o = p.solver;
      const Backend backend = o.backend == Backend::automatic ? Backend::host : o.backend;
      *describe = "n = " + std::to_string(net.n) + ", m = " + std::to_string(net.m()) + ", " + to_string(backend);
      if (backend != Backend::host && backend != Backend::cuda) return;
      *host = backend == Backend::host ? 1 : 0;
      *exact = o.method == Method::parametric ? 0 : 1;  // the parametric solver writes J and h, no values
      const json solver = {{"method", to_string(o.method)}, {"backend", to_string(backend)},
                           {"precision", to_string(o.precision)}, {"tol", o.tol},
                           {"prior_tol", o.prior_tol}, {"max_iterations", o.max_iterations},
                           {"max_outer_iterations", o.max_outer_iterations}, {"p0", o.p0},
                           {"prior_eps", o.prior_eps}, {"threads", o.threads},
                           {"policy_table", o.policy_table}};
      *key = json{{"n", net.n}, {"m", net.m()}, {"clamp_mask", net.clamp_mask()},
                  {"clamp_bits", net.clamp_bits()}, {"solver", solver}}.dump();
      *states = static_cast<std::uint64_t>(net.m()) << net.free_neurons().size();
      return;
    }
    case Kind::sample: parse_sample_config(point.config, spec.base_source); return;
    case Kind::infer: parse_infer_config(point.config, spec.base_source); return;
    case Kind::count8_samples: parse_sample_size_point(point.config); return;
    case Kind::sampled: {
      const SampledPoint p = parse_sampled_point(point.config, spec.base_source);
      *describe = "n = " + std::to_string(p.problem.network.n) + ", " + std::to_string(p.options.samples) + " samples";
      return;
    }
  }
}

}  // namespace

Scheduler::Scheduler(const Spec& spec, const std::vector<Point>& points) : spec_(spec), points_(points) {
  const std::size_t N = points.size();
  state_.assign(N, State::pending);
  key_.assign(N, "");
  states_.assign(N, 0);
  host_.assign(N, 0);
  exact_.assign(N, 0);
  describe_.assign(N, std::string(to_string(spec.kind)));
  std::map<std::string, std::size_t> path_index;          // absolute path -> first-seen index
  std::map<std::string, std::size_t> resolved;            // path as resolved -> first-seen index
  std::map<std::vector<std::size_t>, std::size_t> set_index;  // a set of first-seen indices -> set
  std::vector<std::vector<std::size_t>> sets;
  inputs_.set_of.assign(N, 0);
  for (std::size_t i = 0; i < N; ++i) {
    const Point& p = points[i];
    io::ResolvedPaths named;  // the files and directories its configuration names
    try {
      inspect(spec, p, &key_[i], &states_[i], &describe_[i], &host_[i], &exact_[i]);
    } catch (const InvalidInput& e) {
      throw InvalidInput(e.field(), e.message() + " (sweep point " + std::to_string(i) + ", id " + p.id + ", " +
                                        shorten(json(p.params).dump(), 200) + ")");
    }
    std::vector<std::size_t> set;
    for (const std::string& path : named.paths()) {
      auto known = resolved.find(path);
      if (known == resolved.end()) {  // made absolute once per name, not once per point
        std::error_code ec;
        const std::filesystem::path abs = std::filesystem::absolute(path, ec);
        const std::string key = (ec ? std::filesystem::path(path) : abs).lexically_normal().string();
        known = resolved.emplace(path, path_index.emplace(key, path_index.size()).first->second).first;
      }
      set.push_back(known->second);
    }
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    const auto [it, fresh] = set_index.emplace(set, sets.size());
    if (fresh) sets.push_back(set);
    inputs_.set_of[i] = it->second;
    if (p.warm_from >= 0) {
      const auto src = static_cast<std::size_t>(p.warm_from);
      if (key_[i].empty() || key_[i] != key_[src] || !exact_[src]) {
        throw InvalidInput("warm_start", "sweep point " + std::to_string(i) + " " + shorten(json(p.params).dump(), 200) +
                                             " cannot start from point " + std::to_string(src) + " " +
                                             shorten(json(points[src].params).dump(), 200) +
                                             ": warm starts need exact network solves (value or policy iteration) on the host or cuda "
                                             "backend that share n, m, the clamps and the solver options");
      }
    }
  }
  pending_ = N;
  // Paths in sorted order, the sets renumbered to match.
  std::vector<std::size_t> rank(path_index.size());
  for (const auto& [path, first] : path_index) {
    rank[first] = inputs_.paths.size();
    inputs_.paths.push_back(path);
  }
  for (auto& set : sets) {
    for (std::size_t& k : set) k = rank[k];
    std::sort(set.begin(), set.end());
  }
  inputs_.sets = std::move(sets);
}

void Scheduler::mark_finished(const std::vector<char>& finished) {
  for (std::size_t i = 0; i < state_.size(); ++i)
    if (finished[i] && state_[i] == State::pending) {
      state_[i] = State::finished;
      --pending_;
    }
}

std::vector<Unit> Scheduler::take(std::size_t max_units, std::size_t workers, std::vector<Outcome>* blocked) {
  // Ready points by key, in point order; points that run alone each form a group of their own.
  std::vector<std::pair<std::string, std::vector<std::size_t>>> groups;
  std::map<std::string, std::size_t> group_of;
  for (std::size_t i = 0; i < points_.size(); ++i) {
    if (state_[i] != State::pending) continue;
    const std::ptrdiff_t src = points_[i].warm_from;
    if (src >= 0) {
      const State s = state_[static_cast<std::size_t>(src)];
      if (s == State::failed) {
        state_[i] = State::failed;
        --pending_;
        blocked->push_back({i, false, true, "its warm-start source, point " + points_[static_cast<std::size_t>(src)].id +
                                                ", failed"});
        continue;
      }
      if (s != State::finished) continue;
    }
    if (key_[i].empty()) {
      groups.push_back({"", {i}});
      continue;
    }
    const auto [it, fresh] = group_of.emplace(key_[i], groups.size());
    if (fresh) groups.push_back({key_[i], {}});
    groups[it->second].second.push_back(i);
  }
  std::vector<Unit> units;
  for (const auto& [key, members] : groups) {
    if (units.size() >= max_units) break;
    const std::size_t k = members.size();
    std::size_t chunk = std::min<std::size_t>(static_cast<std::size_t>(spec_.batch), (k + workers - 1) / std::max<std::size_t>(workers, 1));
    if (!key.empty()) {
      chunk = std::min<std::size_t>(chunk, std::max<std::uint64_t>(1, kMaxBatchStates / std::max<std::uint64_t>(1, states_[members[0]])));
    }
    chunk = std::max<std::size_t>(chunk, 1);
    for (std::size_t begin = 0; begin < k && units.size() < max_units; begin += chunk) {
      Unit u;
      u.points.assign(members.begin() + static_cast<std::ptrdiff_t>(begin),
                      members.begin() + static_cast<std::ptrdiff_t>(std::min(k, begin + chunk)));
      for (std::size_t i : u.points) state_[i] = State::running;
      pending_ -= u.points.size();
      running_ += u.points.size();
      const Point& first = points_[u.points.front()];
      u.label = u.points.size() > 1 ? std::to_string(u.points.size()) + " " + to_string(spec_.kind) + "s (" +
                                          describe_[u.points.front()] + ")"
                                    : "point " + first.id + " (" + describe_[u.points.front()] + ")";
      units.push_back(std::move(u));
    }
  }
  return units;
}

bool Scheduler::runs_beside_others(const Unit& unit) const {
  if (spec_.kind == Kind::count8_samples) return true;
  if (spec_.kind != Kind::solve) return false;
  std::uint64_t states = 0;
  for (std::size_t i : unit.points) {
    if (!host_[i]) return false;
    states += states_[i];
  }
  return states <= kParallelStates;
}

void Scheduler::settle(const Outcome& outcome) {
  State& s = state_[outcome.point];
  if (s == State::running) --running_;
  s = outcome.ok ? State::finished : State::failed;
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep::detail
