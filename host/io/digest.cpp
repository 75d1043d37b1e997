// Content digests of input files and directories (netrl/io/digest.hpp).
#include "netrl/io/digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kP1 = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t kP2 = 0xBF58476D1CE4E5B9ULL;
constexpr std::uint64_t kP3 = 0x94D049BB133111EBULL;

inline std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/// A bijective avalanche of 64 bits.
inline std::uint64_t avalanche(std::uint64_t x) {
  x ^= x >> 30;
  x *= kP2;
  x ^= x >> 27;
  x *= kP3;
  x ^= x >> 31;
  return x;
}

inline std::uint64_t load64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// One 64-bit step of a lane: bijective in the lane for a fixed word.
inline std::uint64_t step(std::uint64_t lane, std::uint64_t word) { return rotl(lane ^ (word * kP2), 29) * kP1; }

std::string hex16(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

/// The hash of a regular file, read once in chunks of 1 MiB; its size in *bytes.
std::uint64_t hash_file(const std::string& path, std::uint64_t* bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw IoError(path + ": cannot open to hash its content: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError(path + ": is no longer a regular file");
  }
  std::vector<unsigned char> buffer(std::size_t{1} << 20);
  std::uint64_t h = 0, total = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw IoError(path + ": cannot read to hash its content: " + std::strerror(err));
    }
    if (got == 0) break;
    h = hash_bytes(buffer.data(), static_cast<std::size_t>(got), h);
    total += static_cast<std::uint64_t>(got);
  }
  ::close(fd);
  *bytes = total;
  return hash_bytes(&total, sizeof total, h);
}

}  // namespace

std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t lane[4] = {seed + kP1, seed ^ kP2, seed - kP1, ~seed ^ kP3};
  std::size_t n = size;
  for (; n >= 32; n -= 32, p += 32)
    for (int k = 0; k < 4; ++k) lane[k] = step(lane[k], load64(p + 8 * k));
  std::uint64_t h = avalanche(lane[0]) ^ rotl(avalanche(lane[1]), 16) ^ rotl(avalanche(lane[2]), 32) ^
                    rotl(avalanche(lane[3]), 48);
  for (; n >= 8; n -= 8, p += 8) h = step(h, load64(p));
  for (; n > 0; --n, ++p) h = (h ^ *p) * 0x100000001B3ULL;
  return avalanche(h ^ (static_cast<std::uint64_t>(size) * kP3));
}

std::optional<ContentDigest> content_digest(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw IoError(path + ": cannot inspect to hash its content: " + std::strerror(errno));
  }
  ContentDigest d;
  if (S_ISREG(st.st_mode)) {
    d.kind = "file";
    d.hash = hex16(hash_file(path, &d.bytes));
    return d;
  }
  if (!S_ISDIR(st.st_mode)) return std::nullopt;
  d.kind = "directory";
  // Relative names of the regular files below it (links to files followed), sorted.
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!fs::is_regular_file(it->status(type_ec)) || type_ec) continue;
    files.emplace_back(it->path().lexically_relative(path).generic_string(), it->path().string());
  }
  if (ec) throw IoError(path + ": cannot list the directory to hash its content: " + ec.message());
  std::sort(files.begin(), files.end());
  std::string manifest;
  for (const auto& [name, full] : files) {
    std::uint64_t bytes = 0;
    const std::uint64_t h = hash_file(full, &bytes);
    d.bytes += bytes;
    manifest += name + '\0' + std::to_string(bytes) + ' ' + hex16(h) + '\n';
  }
  d.hash = hex16(hash_bytes(manifest.data(), manifest.size()));
  return d;
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
