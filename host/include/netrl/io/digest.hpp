#pragma once
// Content digests of input files and directories: a sweep records them to notice that an input
// its finished points were computed from has changed (docs/sweeps.md). SHA-256, through OpenSSL's
// libcrypto.
#include <cstdint>
#include <optional>
#include <string>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

struct ContentDigest {
  /// "file" or "directory".
  std::string kind;
  /// The file's size; for a directory, the sum over its regular files.
  std::uint64_t bytes = 0;
  /// 64 hex digits: the SHA-256 of the file's bytes; for a directory, of the relative names, sizes
  /// and digests of every regular file below it, in sorted order.
  std::string hash;
};

/// The digest of `path` (symbolic links followed; below a directory, links to directories are not
/// descended), reading each file once in chunks. std::nullopt when nothing exists at `path` or it
/// is neither a regular file nor a directory (a FIFO or device is never opened). IoError when it
/// cannot be read.
std::optional<ContentDigest> content_digest(const std::string& path);

}  NETRL_NAMESPACE_END  // namespace netrl::io
