// Fuzz target: the JSON configuration loaders of `netrl solve`, `sample` and `infer` (and the
// data an infer configuration names). The first byte picks the loader; the rest is the JSON
// text, parsed as the tool parses a file. Configurations may name the files of the scratch
// directory (sol, smp, r.npy, J.npy, h.npy, raster.npy, inputs.npy, map.txt).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace netrl;
  if (size < 1) return 0;
  const std::string source = fuzz::scratch() + "/config.json";
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const nlohmann::json config = io::parse_json(text, source);
    switch (data[0] % 3) {
      case 0: (void)parse_problem(config, source); break;
      case 1: (void)parse_sample_config(config, source); break;
      default: (void)load_infer_data(parse_infer_config(config, source)); break;
    }
  } catch (const Error&) {
    // A clear error: the expected answer to bad input.
  }
  return 0;
}
