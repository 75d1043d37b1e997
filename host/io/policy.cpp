#include "netrl/io/policy.hpp"

#include "netrl/core/error.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/io/solution.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

SamplerPolicy read_exact_policy(const std::string& dir, const NetworkModel& model) {
  Problem problem;
  problem.kind = ModelKind::network;
  problem.network = model;
  Solution s = read_solution(dir);
  check_solution(s, problem);
  return SamplerPolicy::exact(std::move(s.result.values), std::move(s.result.prior));
}

SamplerPolicy read_ising_policy(const std::string& j_path, const std::string& h_path, std::vector<double> prior) {
  const npy::Array ja = npy::load(j_path);
  if (ja.dtype != "<f8") throw InvalidInput("J", j_path + " holds dtype '" + ja.dtype + "'; expected float64");
  if (ja.shape.size() != 2 || ja.shape[0] != ja.shape[1]) {
    throw InvalidInput("J", j_path + " must hold a square n x n matrix");
  }
  std::vector<double> J = npy::to_double(ja, j_path);
  std::vector<double> h;
  if (h_path.empty()) {
    h.assign(ja.shape[0], 0.0);
  } else {
    const npy::Array ha = npy::load(h_path);
    if (ha.dtype != "<f8") throw InvalidInput("h", h_path + " holds dtype '" + ha.dtype + "'; expected float64");
    if (ha.shape.empty() || ha.shape.size() > 2 || ha.shape.back() != ja.shape[0]) {
      throw InvalidInput("h", h_path + " must hold n or m x n fields (n = " + std::to_string(ja.shape[0]) + ")");
    }
    h = npy::to_double(ha, h_path);
  }
  return SamplerPolicy::ising(std::move(J), std::move(h), std::move(prior));
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
