// Fuzz target: the .npy reader (header parser, shape arithmetic, dtype conversion).
#include <cstddef>
#include <cstdint>
#include <string>

#include "netrl/core/error.hpp"
#include "netrl/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace netrl;
  try {
    const npy::Array a = npy::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    const std::vector<double> v = npy::to_double(a, "fuzz.npy");
    if (v.size() != a.size()) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
