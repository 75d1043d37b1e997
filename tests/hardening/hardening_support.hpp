#pragma once
// Helpers of the hardening tests: a scratch directory per test, the tool run under a wall-clock
// limit and (outside AddressSanitizer builds) an address-space limit, and raw .npy bytes with any
// header text, so that malformed files can be written.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_support.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NETRL_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NETRL_TEST_ASAN 1
#endif

namespace netrl::test {

/// A fresh directory for the running test, removed at the end.
class Scratch {
 public:
  explicit Scratch(const std::string& prefix) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           (prefix + std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  const std::filesystem::path& dir() const { return dir_; }
  /// Writes `bytes` to `name` (plain write, any content).
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(path(name), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path(name);
  }

 private:
  std::filesystem::path dir_;
};

/// Runs `netrl args` in `cwd` with a wall-clock limit (a hang is killed and reads as status 137
/// or 124) and, except under AddressSanitizer, a 6 GiB address-space limit (an allocation the
/// input should have been refused before fails instead of paging the machine out).
inline CliRun run_limited(const Scratch& s, const std::string& args, int seconds = 60) {
#if defined(NETRL_TEST_ASAN)
  const std::string limit = "export ASAN_OPTIONS=\"$ASAN_OPTIONS:max_allocation_size_mb=6144\"; ";
#else
  const std::string limit = "ulimit -v 6291456; ";
#endif
  const std::string cmd = "cd '" + s.dir().string() + "' && " + limit + "exec timeout -s KILL " +
                          std::to_string(seconds) + " " + std::string(NETRL_CLI) + " " + args;
  const std::string quoted = "bash -c \"" + [&] {
    std::string q;
    for (char c : cmd) {
      if (c == '"' || c == '\\' || c == '$' || c == '`') q.push_back('\\');
      q.push_back(c);
    }
    return q;
  }() + "\"";
  return run_cli_logged(quoted, "", s.dir() / ".cli.log");
}

/// A .npy file: magic, version `major`, the header length (2 bytes for 1.0, 4 for 2.0/3.0), the
/// header text padded with spaces and a newline to a multiple of 64 bytes, then `data`.
inline std::string npy_bytes(const std::string& header, const std::string& data, int major = 1) {
  std::string h = header;
  const std::size_t prefix = major == 1 ? 10 : 12;
  const std::size_t total = prefix + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h.push_back('\n');
  std::string out("\x93NUMPY", 6);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  for (std::size_t k = 0; k < len_bytes; ++k) out.push_back(static_cast<char>((h.size() >> (8 * k)) & 0xff));
  return out + h + data;
}

/// The header dictionary of a C-order array.
inline std::string npy_header(const std::string& descr, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
}

}  // namespace netrl::test
