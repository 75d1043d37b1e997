#pragma once
// Durable files for long-running work that may be killed at any moment (the sweep directory,
// docs/sweeps.md): an append-only journal of records, each made durable (fsync) before append()
// returns; whole files replaced atomically and durably; fsync of a finished output directory; an
// exclusive lock on a directory. Written here only (io/ is the one layer that touches files).
#include <functional>
#include <string>
#include <vector>

#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {

/// write_file_atomic, then fsync of the file and of its directory: after return the new content
/// survives a crash or power loss, and a crash before return leaves the old content.
void write_file_durable(const std::string& path, const std::string& bytes);

/// fsync of every regular file and directory below `dir`, of `dir` itself and of its parent
/// directory: the files an output directory holds (and its entry) are on disk after return.
void sync_tree(const std::string& dir);

/// Removes `path` (a file or a directory tree) if it exists; IoError if it cannot.
void remove_tree(const std::string& path);

/// True iff `path` names an existing directory.
bool is_directory(const std::string& path);

/// The entries (names, not paths) of directory `dir`, sorted; empty if it does not exist.
std::vector<std::string> list_directory(const std::string& dir);

/// An append-only text journal: one record per line, a header line naming its format. A crash
/// can only tear the last line (records are appended by one write each, each durable before the
/// next): open() drops a last line that is incomplete (no newline) or rejected by `valid`, and
/// then rewrites the file without it (atomically, durably) before appending. A rejected line that
/// is not the last is damage that a crash cannot cause: IoError naming the file and the line,
/// the file left as it is (dropping it would drop every record after it).
class Journal {
 public:
  /// Opens (creating it when missing) the journal at `path` whose first line is `header`. IoError
  /// if it cannot, or if an existing file does not start with `header` (another kind of file).
  Journal(std::string path, std::string header, const std::function<bool(const std::string&)>& valid);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  /// The records found when it was opened, in order (duplicates kept).
  const std::vector<std::string>& records() const { return records_; }
  /// Lines dropped at open: 1 for a torn or invalid last line, else 0.
  std::size_t dropped() const { return dropped_; }
  /// Appends one record (no newline inside) and fsyncs the file before returning.
  void append(const std::string& record);

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> records_;
  std::size_t dropped_ = 0;
};

/// An exclusive advisory lock (flock) on DIR/.lock, held while the object lives and released by
/// the kernel when the process dies. IoError naming the directory if another process holds it.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  NETRL_NAMESPACE_END  // namespace netrl::io
