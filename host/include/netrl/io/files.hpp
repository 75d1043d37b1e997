#pragma once
// Files on disk: whole-file reads, JSON files, atomic writes, and output directories.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
/// Throws IoError naming the path on failure; the temporary is removed.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// Reads a whole file; IoError naming the path if it cannot be opened or read.
std::string read_file(const std::string& path);

/// Reads a JSON file; malformed JSON is an IoError naming the file, line and column.
nlohmann::json read_json_file(const std::string& path);

/// Creates a directory (and parents) if missing; IoError if it cannot.
void ensure_directory(const std::string& path);

/// `relative` resolved against the directory of `base_file` unless it is absolute.
std::string resolve_relative(const std::string& base_file, const std::string& relative);

/// An output directory being written. Files are added by name; `commit()` marks the directory
/// complete (result.json is written last, by the caller, before it). Every writer of the
/// library's outputs goes through this type.
class OutputDir {
 public:
  /// IoError if `dir` is empty or cannot be created.
  explicit OutputDir(std::string dir);
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void write_text(const std::string& name, const std::string& text);
  void write_npy(const std::string& name, const std::vector<double>& values, const std::vector<std::uint64_t>& shape);
  void write_npy(const std::string& name, const std::vector<std::uint8_t>& values,
                 const std::vector<std::uint64_t>& shape);
  /// result.json (pretty-printed, newline-terminated); call it last.
  void write_json(const std::string& name, const nlohmann::json& value);
  void commit();

 private:
  std::string dir_;
};

}  NETRL_NAMESPACE_END  // namespace netrl::io
