#pragma once
// Bounds on what an input may ask of the process (docs/limits.md): the size of the files netrl
// reads, the nesting of JSON, the size of a maze, the work of a sampling run, solver iterations.
// Each is checked before the work or the allocation it bounds, and its error names the limit and
// how to raise it. The values are process-wide settings, like the thread count: the `netrl` tool
// sets them from `--limit NAME=VALUE`; C++ users call set_limit().
#include <cstdint>
#include <string>
#include <vector>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

enum class LimitId {
  json_bytes,         // size of a JSON file (configurations, result.json)
  json_depth,         // nesting of arrays and objects in a JSON file
  npy_bytes,          // size of a .npy file
  npy_header_bytes,   // size of a .npy header
  text_bytes,         // size of a text file (maze maps)
  maze_cells,         // rows x cols of a maze map
  sample_steps,       // chain steps of a sampling run: chains x (burn_in + steps)
  solver_iterations,  // solver.max_iterations and solver.max_outer_iterations
  predictions,        // entries of an infer configuration's "predict"
};

struct LimitInfo {
  LimitId id;
  const char* name;
  std::uint64_t default_value;
  const char* meaning;
};

/// Every limit with its name, default and meaning, in the order of docs/limits.md.
const std::vector<LimitInfo>& limit_table();

/// The current value of a limit.
std::uint64_t limit(LimitId id);
const char* limit_name(LimitId id);

/// Sets the limit called `name` (a name of limit_table()) to `value` >= 1. InvalidInput (field
/// "--limit") for an unknown name or a zero value.
void set_limit(const std::string& name, std::uint64_t value);
/// Parses "NAME=VALUE" (VALUE a decimal integer, optionally with a suffix k, M, G, T for powers
/// of 1000 or Ki, Mi, Gi, Ti for powers of 1024) and sets it. InvalidInput (field "--limit").
void set_limit_from_text(const std::string& assignment);
/// Restores every default.
void reset_limits();

/// The end of an error message about limit `id`: "the limit NAME = VALUE (raise it with --limit
/// NAME=N, docs/limits.md)".
std::string limit_hint(LimitId id);

/// a * b, or false when the product exceeds 2^64 - 1.
bool checked_multiply(std::uint64_t a, std::uint64_t b, std::uint64_t* product);
/// a + b, or false when the sum exceeds 2^64 - 1.
bool checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t* sum);

NETRL_NAMESPACE_END  // namespace netrl
