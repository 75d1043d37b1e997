// Plain host vector spaces (netrl/kernels/vector_space.hpp): the host build of the Krylov vector
// operations of kernels/common/vector_space.hpp, without an engine. netrl::linear's std::vector
// interface (the maze inverse, tests) runs its GMRES on these.
#include <memory>

#include "../common/vector_space.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::host {

std::unique_ptr<VectorSpace> make_vector_space(std::uint64_t size, int slots) {
  return std::make_unique<Vectors<VectorSpace>>(Exec::make(), size, slots);
}

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::host
