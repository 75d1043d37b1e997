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

SamplerPolicy read_ising_policy(const std::string& j_path, const std::string& h_path, std::vector<double> prior, int n,
                                int m) {
  // Each file is checked against the model (n, m) before it is converted, so that the file that is
  // wrong is the one named.
  const auto un = static_cast<std::uint64_t>(n), um = static_cast<std::uint64_t>(m);
  const npy::Array ja = under_field("J", [&] { return npy::load(j_path); });
  if (ja.dtype != "<f8") throw InvalidInput("J", j_path + " holds dtype '" + ja.dtype + "'; expected float64");
  if (ja.shape != std::vector<std::uint64_t>{un, un}) {
    throw InvalidInput("J", j_path + " has shape " + npy::shape_text(ja.shape) + "; the model's n = " +
                                std::to_string(n) + " needs an n x n matrix " + npy::shape_text({un, un}));
  }
  std::vector<double> J = npy::to_double(ja, j_path);
  std::vector<double> h;
  if (h_path.empty()) {
    h.assign(un, 0.0);
  } else {
    const npy::Array ha = under_field("h", [&] { return npy::load(h_path); });
    if (ha.dtype != "<f8") throw InvalidInput("h", h_path + " holds dtype '" + ha.dtype + "'; expected float64");
    if (ha.shape != std::vector<std::uint64_t>{un} && ha.shape != std::vector<std::uint64_t>{um, un}) {
      throw InvalidInput("h", h_path + " has shape " + npy::shape_text(ha.shape) + "; the model needs n fields " +
                                  npy::shape_text({un}) + " or m x n fields " + npy::shape_text({um, un}));
    }
    h = npy::to_double(ha, h_path);
  }
  return SamplerPolicy::ising(std::move(J), std::move(h), std::move(prior));
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
