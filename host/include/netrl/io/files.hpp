#pragma once
// Files on disk: whole-file reads of regular files within a size limit, strict JSON, atomic
// writes, and output directories published whole (docs/outputs.md, docs/limits.md).
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "netrl/core/limits.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
/// Throws IoError naming the path on failure; the temporary is removed.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// A regular file opened for reading. FIFOs, devices, sockets and directories are refused by
/// name without blocking (the file is opened non-blocking and checked before any read), and so
/// is a file larger than the limit `size_limit`. IoError naming the path.
class InputFile {
 public:
  InputFile(const std::string& path, LimitId size_limit);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  /// Reads `count` bytes at `offset` into `out`; IoError on a read error or a file that ends early.
  void read_at(std::uint64_t offset, char* out, std::uint64_t count) const;
  /// The whole file.
  std::string read_all() const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

/// Reads a whole regular file of at most `size_limit` bytes; IoError naming the path if it is
/// not a regular file, too large, or cannot be opened or read.
std::string read_file(const std::string& path, LimitId size_limit = LimitId::npy_bytes);

/// Parses JSON strictly: malformed JSON is an IoError naming `name`, the line and the column;
/// nesting deeper than the limit json_depth and a key repeated in one object are InvalidInput
/// whose field is the JSON path ("solver.tol") and whose message names `name` and the places.
/// Messages quote at most 80 characters of the input.
nlohmann::json parse_json(const std::string& text, const std::string& name);

/// Reads a JSON file (at most the limit json_bytes) with parse_json.
nlohmann::json read_json_file(const std::string& path);

/// Creates a directory (and parents) if missing; IoError if it cannot.
void ensure_directory(const std::string& path);

/// `relative` resolved against the directory of `base_file` unless it is absolute. Every file and
/// directory a configuration names is resolved here, so a ResolvedPaths alive on the calling
/// thread records it.
std::string resolve_relative(const std::string& base_file, const std::string& relative);

/// While one lives, every path resolve_relative returns on this thread is recorded: the input
/// files and directories that the configurations parsed meanwhile name (a sweep hashes them to
/// notice an input that changed under its finished points). Nests: an inner one records alone.
class ResolvedPaths {
 public:
  ResolvedPaths();
  ~ResolvedPaths();
  ResolvedPaths(const ResolvedPaths&) = delete;
  ResolvedPaths& operator=(const ResolvedPaths&) = delete;
  /// In the order they were resolved, repeats kept.
  const std::vector<std::string>& paths() const { return paths_; }
  void add(const std::string& path) { paths_.push_back(path); }

 private:
  std::vector<std::string> paths_;
  ResolvedPaths* previous_ = nullptr;
};

/// The file that marks a directory as a netrl output directory (netrl may replace such a
/// directory as a whole; it never replaces a non-empty directory without it).
inline constexpr const char* kOutputMarker = ".netrl-output";

/// The output directory of one run, published whole. The constructor checks the target and takes
/// its lock; files are written into a fresh staging directory next to it; commit() publishes the
/// staging directory in place of the target with one atomic exchange of names and removes the
/// earlier outputs. Until commit() the target is untouched; a run that fails or is killed leaves
/// the earlier outputs whole (a killed run's temporaries are removed by the next run for the same
/// target). Every writer of the library's outputs goes through this type.
class OutputDir {
 public:
  /// InvalidInput (field "output directory") for an empty name, a target that is not a
  /// directory, a non-empty directory without the marker kOutputMarker, or a target another
  /// netrl run is writing; IoError if the staging directory cannot be created.
  explicit OutputDir(std::string dir);
  /// Without commit(): removes the staging directory and releases the lock.
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  /// The target, as given.
  const std::string& dir() const { return dir_; }
  void write_text(const std::string& name, const std::string& text);
  void write_npy(const std::string& name, const std::vector<double>& values, const std::vector<std::uint64_t>& shape);
  void write_npy(const std::string& name, const std::vector<std::uint8_t>& values,
                 const std::vector<std::uint64_t>& shape);
  /// A JSON file (pretty-printed, newline-terminated).
  void write_json(const std::string& name, const nlohmann::json& value);
  /// Publishes the files written so far as the target directory (once).
  void commit();

 private:
  void write_bytes(const std::string& name, const std::string& bytes);
  void release() noexcept;

  std::string dir_;      // as given
  std::string target_;   // absolute, symbolic links of existing parents resolved
  std::string parent_;   // target's parent directory
  std::string base_;     // target's last component
  std::string staging_;  // parent/.base.netrl-new.XXXXXX
  int lock_fd_ = -1;
  bool committed_ = false;
};

}  NETRL_NAMESPACE_END  // namespace netrl::io
