// Content digests of input files and directories (netrl/io/digest.hpp).
#include "netrl/io/digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
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

/// SHA-256 through OpenSSL's EVP interface, fed in pieces.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) fail();
  }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void add(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(ctx_, data, size) != 1) fail();
  }
  /// 64 hex digits.
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, md, &len) != 1) fail();
    std::string out;
    char buf[3];
    for (unsigned int k = 0; k < len; ++k) {
      std::snprintf(buf, sizeof buf, "%02x", md[k]);
      out += buf;
    }
    return out;
  }

 private:
  [[noreturn]] static void fail() { throw IoError("SHA-256 (OpenSSL) failed"); }
  EVP_MD_CTX* ctx_;
};

/// The digest of a regular file, read once in chunks of 1 MiB; its size in *bytes.
std::string hash_file(const std::string& path, std::uint64_t* bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw IoError(path + ": cannot open to hash its content: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError(path + ": is no longer a regular file");
  }
  std::vector<unsigned char> buffer(std::size_t{1} << 20);
  Sha256 h;
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw IoError(path + ": cannot read to hash its content: " + std::strerror(err));
    }
    if (got == 0) break;
    h.add(buffer.data(), static_cast<std::size_t>(got));
    total += static_cast<std::uint64_t>(got);
  }
  ::close(fd);
  *bytes = total;
  return h.hex();
}

}  // namespace

std::optional<ContentDigest> content_digest(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw IoError(path + ": cannot inspect to hash its content: " + std::strerror(errno));
  }
  ContentDigest d;
  if (S_ISREG(st.st_mode)) {
    d.kind = "file";
    d.hash = hash_file(path, &d.bytes);
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
    const std::string h = hash_file(full, &bytes);
    d.bytes += bytes;
    manifest += name + '\0' + std::to_string(bytes) + ' ' + h + '\n';
  }
  Sha256 list;
  list.add(manifest.data(), manifest.size());
  d.hash = list.hex();
  return d;
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
