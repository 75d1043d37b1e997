// Durable files: the append-only journal, durable atomic replacement, fsync of a directory tree,
// the directory lock (netrl/io/journal.hpp).
#include "netrl/io/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw IoError(path + ": " + what + ": " + std::strerror(errno));
}

/// Writes all of `bytes` to `fd` (retrying short writes and EINTR).
void write_all(int fd, const std::string& bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(path, "write failed");
    }
    done += static_cast<std::size_t>(w);
  }
}

/// fsync of a file or directory by name. Directories are opened read-only (O_DIRECTORY).
void sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open to sync");
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  errno = err;
  if (rc != 0) fail(path, "fsync failed");
}

/// A journal line for a message: at most 80 bytes, control characters and non-ASCII as \xNN.
std::string quote_line(const std::string& line) {
  std::string out = "\"";
  for (std::size_t k = 0; k < line.size() && k < 80; ++k) {
    const auto c = static_cast<unsigned char>(line[k]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "\"";
  if (line.size() > 80) out += " (" + std::to_string(line.size()) + " bytes)";
  return out;
}

std::string parent_of(const std::string& path) {
  const fs::path p = fs::path(path).parent_path();
  return p.empty() ? std::string(".") : p.string();
}

}  // namespace

void write_file_durable(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "cannot open a temporary file for writing");
  try {
    write_all(fd, bytes, path);
    if (::fsync(fd) != 0) fail(path, "fsync failed");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    fail(path, "cannot rename the temporary file into place");
  }
  sync_path(parent_of(path), true);
}

void sync_tree(const std::string& dir) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto status = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_regular_file(status)) sync_path(it->path().string(), false);
    else if (fs::is_directory(status)) sync_path(it->path().string(), true);
  }
  if (ec) throw IoError(dir + ": cannot list the directory to sync it: " + ec.message());
  sync_path(dir, true);
  sync_path(parent_of(dir), true);
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw IoError(path + ": cannot remove: " + ec.message());
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) throw IoError(dir + ": cannot list the directory: " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Journal::Journal(std::string path, std::string header, const std::function<bool(const std::string&)>& valid)
    : path_(std::move(path)) {
  std::error_code ec;
  const bool existed = fs::exists(path_, ec);
  std::string kept = header + "\n";
  if (existed) {
    const std::string text = read_file(path_);
    if (text.compare(0, kept.size(), kept) != 0) {
      throw IoError(path_ + ": not a journal of this kind (its first line is not \"" + header + "\")");
    }
    std::size_t pos = kept.size();
    std::size_t line_number = 1;  // the header
    while (pos < text.size()) {
      const std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) break;  // torn last line (no newline)
      ++line_number;
      const std::string line = text.substr(pos, end - pos);
      if (!valid(line)) {
        // Only the last line can be torn (records are appended one write each, each made durable
        // before the next): an invalid line with lines after it is damage, not a crash, and
        // dropping it would silently drop every record after it.
        if (end + 1 < text.size()) {
          const std::size_t after = static_cast<std::size_t>(
              std::count(text.begin() + static_cast<std::ptrdiff_t>(end) + 1, text.end(), '\n')) +
              (text.back() != '\n' ? 1 : 0);
          throw IoError(path_ + ": line " + std::to_string(line_number) + " is not a valid record (" +
                        quote_line(line) + ") and " + std::to_string(after) + " line(s) follow it: a crash tears "
                        "only the last line, so the journal is damaged, and dropping the line would lose the "
                        "records after it. It was left as it is: repair or remove that line");
        }
        break;  // an invalid last line: torn
      }
      records_.push_back(line);
      pos = end + 1;
    }
    if (pos < text.size()) {
      // Drop the torn last line (it may lack its newline).
      dropped_ = 1;
      kept = text.substr(0, pos);
    }
  }
  if (!existed || dropped_ > 0) write_file_durable(path_, kept);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) fail(path_, "cannot open the journal for appending");
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::append(const std::string& record) {
  if (record.find('\n') != std::string::npos) throw IoError(path_ + ": a journal record may not hold a newline");
  write_all(fd_, record + "\n", path_);
  if (::fsync(fd_) != 0) fail(path_, "fsync failed");
}

DirectoryLock::DirectoryLock(const std::string& dir) {
  const std::string path = dir + "/.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path, "cannot open the lock file");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      throw IoError(dir + ": another process is working in this directory (it holds " + path +
                    "); wait for it to finish or choose another directory");
    }
    errno = err;
    fail(path, "cannot lock");
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
