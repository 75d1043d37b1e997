#pragma once
// File output that never leaves half-written files: write to a temporary name, then rename.
#include <string>

namespace netrl::io {

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
/// Throws IoError naming the path on failure; the temporary is removed.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// Reads a whole file; IoError naming the path if it cannot be opened or read.
std::string read_file(const std::string& path);

/// Creates a directory (and parents) if missing; IoError if it cannot.
void ensure_directory(const std::string& path);

/// `relative` resolved against the directory of `base_file` unless it is absolute.
std::string resolve_relative(const std::string& base_file, const std::string& relative);

}  // namespace netrl::io
