#include "netrl/core/limits.hpp"

#include <array>
#include <atomic>
#include <cctype>
#include <stdexcept>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN
namespace {

constexpr std::uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;

const std::vector<LimitInfo> kTable = {
    {LimitId::json_bytes, "json_bytes", 256 * kMiB, "bytes of a JSON file (configurations, result.json)"},
    {LimitId::json_depth, "json_depth", 64, "nesting depth of arrays and objects in a JSON file"},
    {LimitId::npy_bytes, "npy_bytes", 16 * kGiB, "bytes of a .npy file"},
    {LimitId::npy_header_bytes, "npy_header_bytes", 64 * kKiB, "bytes of a .npy header"},
    {LimitId::text_bytes, "text_bytes", 16 * kMiB, "bytes of a text file (a maze map_file)"},
    {LimitId::maze_cells, "maze_cells", 250000, "cells (rows x columns) of a maze map"},
    {LimitId::sample_steps, "sample_steps", 1000000000000ULL,
     "chain steps of one sampling run, chains x (burn_in + steps); count8-samples: repeats x the sum of (T + burn-in)"},
    {LimitId::solver_iterations, "solver_iterations", 1000000000ULL,
     "solver.max_iterations and solver.max_outer_iterations"},
    {LimitId::predictions, "predictions", 1000, "entries of an infer configuration's \"predict\""},
};

constexpr std::size_t kCount = 9;

std::array<std::atomic<std::uint64_t>, kCount>& values() {
  static std::array<std::atomic<std::uint64_t>, kCount> v;
  static const bool initialised = [] {
    for (std::size_t k = 0; k < kTable.size(); ++k) {
      if (static_cast<std::size_t>(kTable[k].id) != k) throw std::logic_error("limit table out of order");
      v[k].store(kTable[k].default_value);
    }
    return true;
  }();
  (void)initialised;
  return v;
}

const LimitInfo& info(LimitId id) { return kTable.at(static_cast<std::size_t>(id)); }

std::string known_names() {
  std::string s;
  for (const auto& i : kTable) s += (s.empty() ? "" : ", ") + std::string(i.name);
  return s;
}

}  // namespace

const std::vector<LimitInfo>& limit_table() { return kTable; }

std::uint64_t limit(LimitId id) { return values()[static_cast<std::size_t>(id)].load(std::memory_order_relaxed); }

const char* limit_name(LimitId id) { return info(id).name; }

void set_limit(const std::string& name, std::uint64_t value) {
  for (const auto& i : kTable) {
    if (name != i.name) continue;
    if (value == 0) throw InvalidInput("--limit", std::string(i.name) + " must be at least 1");
    values()[static_cast<std::size_t>(i.id)].store(value);
    return;
  }
  throw InvalidInput("--limit", "unknown limit \"" + name.substr(0, 40) + "\" (known: " + known_names() + ")");
}

void set_limit_from_text(const std::string& assignment) {
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos) {
    throw InvalidInput("--limit", "expected NAME=VALUE (e.g. maze_cells=1000000), got \"" + assignment.substr(0, 40) + "\"");
  }
  const std::string name = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  std::size_t k = 0;
  std::uint64_t value = 0;
  bool ok = !text.empty() && std::isdigit(static_cast<unsigned char>(text[0]));
  for (; ok && k < text.size() && std::isdigit(static_cast<unsigned char>(text[k])); ++k) {
    ok = checked_multiply(value, 10, &value) && checked_add(value, static_cast<std::uint64_t>(text[k] - '0'), &value);
  }
  const std::string suffix = ok ? text.substr(k) : "";
  const std::pair<const char*, std::uint64_t> units[] = {{"", 1},           {"k", 1000},       {"M", 1000000},
                                                         {"G", 1000000000}, {"T", 1000000000000ULL}, {"Ki", kKiB},
                                                         {"Mi", kMiB},      {"Gi", kGiB},      {"Ti", kGiB * kKiB}};
  bool unit_found = false;
  for (const auto& [unit, factor] : units) {
    if (ok && suffix == unit) {
      unit_found = true;
      ok = checked_multiply(value, factor, &value);
    }
  }
  if (!ok || !unit_found) {
    throw InvalidInput("--limit", name.substr(0, 40) + ": \"" + text.substr(0, 40) +
                                      "\" is not a count below 2^64 (digits, optionally followed by k, M, G, T, Ki, Mi, "
                                      "Gi or Ti)");
  }
  set_limit(name, value);
}

void reset_limits() {
  for (const auto& i : kTable) values()[static_cast<std::size_t>(i.id)].store(i.default_value);
}

std::string limit_hint(LimitId id) {
  const std::string name = limit_name(id);
  return "the limit " + name + " = " + std::to_string(limit(id)) + " (raise it with --limit " + name +
         "=N; docs/limits.md)";
}

bool checked_multiply(std::uint64_t a, std::uint64_t b, std::uint64_t* product) {
  return !__builtin_mul_overflow(a, b, product);
}

bool checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t* sum) { return !__builtin_add_overflow(a, b, sum); }

NETRL_NAMESPACE_END  // namespace netrl
