// Output directories published whole (docs/outputs.md, "Output directories").
//
// A run for target DIR = PARENT/BASE works with three names in PARENT:
//   .BASE.netrl-lock          a lock file, held with flock() for the whole run: a second run for
//                             the same target is refused. The kernel drops the lock when its
//                             holder dies, so a killed run never blocks the next one.
//   .BASE.netrl-new.XXXXXX    the staging directory the run writes its files into.
//   .BASE.netrl-old.XXXXXX    only where the file system cannot exchange names (below).
// commit() makes the staging directory complete (every file written and synced, the marker
// .netrl-output last), then swaps it with DIR by renameat2(RENAME_EXCHANGE): one atomic step
// after which DIR is the new directory and the staging name holds the earlier outputs, which are
// then removed. Before the swap DIR is the earlier directory, untouched; after it, the new one.
// A SIGKILL at any moment therefore leaves DIR old-complete or new-complete.
//
// File systems without RENAME_EXCHANGE get two renames: DIR -> .BASE.netrl-old.XXXXXX, then
// staging -> DIR. Between them DIR is missing (never mixed); a run killed there leaves the old
// outputs complete under the -old name, and the next run for DIR, holding the lock, renames them
// back before anything else. Every run, once it holds the lock, removes the staging and -old
// directories of earlier runs for its target (no live run can own them: it would hold the lock).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "netrl/core/error.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {
namespace fs = std::filesystem;

namespace {

constexpr const char* kField = "output directory";
constexpr std::size_t kSuffixLength = 6;

std::string errno_text() { return std::strerror(errno); }

/// Six random characters for a temporary name.
std::string random_suffix() {
  static const char* chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::string s;
  for (std::size_t k = 0; k < kSuffixLength; ++k) s.push_back(chars[rd() % 62]);
  return s;
}

/// True when `name` is `prefix` followed by exactly one random suffix.
bool is_temporary_of(const std::string& name, const std::string& prefix) {
  return name.size() == prefix.size() + kSuffixLength && name.compare(0, prefix.size(), prefix) == 0 &&
         name.find('.', prefix.size()) == std::string::npos;
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

/// Names in a directory (without . and ..); IoError if it cannot be listed.
std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw IoError(dir + ": cannot list the directory: " + errno_text());
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw IoError(path + ": cannot remove: " + ec.message());
}

/// Why `target` may not be replaced by a netrl output directory ("" when it may).
std::string refuse_reason(const std::string& target) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return "";
    return target + ": cannot inspect: " + errno_text();
  }
  if (S_ISLNK(st.st_mode)) return target + " is a symbolic link to a missing directory";
  if (!S_ISDIR(st.st_mode)) return target + " exists and is not a directory";
  const std::vector<std::string> names = list_directory(target);
  if (names.empty()) return "";
  for (const auto& n : names)
    if (n == kOutputMarker) return "";
  return target + " exists and is not a netrl output directory (it holds " + std::to_string(names.size()) +
         " entries but no " + kOutputMarker + " marker). netrl replaces its output directory as a whole, so it "
         "writes only into a new or empty directory or one an earlier netrl run wrote; choose another directory "
         "or remove this one";
}

}  // namespace

OutputDir::OutputDir(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) throw InvalidInput(kField, "the name is empty");
  if (dir_.find('\0') != std::string::npos) throw InvalidInput(kField, "the name contains a NUL character");
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(fs::path(dir_)), ec);
  if (ec) throw InvalidInput(kField, dir_ + ": cannot resolve the path: " + ec.message());
  while (!p.has_filename() && p.has_relative_path()) p = p.parent_path();  // "out/" -> "out"
  if (!p.has_relative_path()) throw InvalidInput(kField, dir_ + ": the root directory cannot be an output directory");
  target_ = p.string();
  parent_ = p.parent_path().string();
  base_ = p.filename().string();
  ensure_directory(parent_);

  // The lock. After flock() succeeds, the name must still denote the locked file: a previous
  // holder unlinks it when done, and a lock on an unlinked file protects nothing.
  const std::string lock_path = parent_ + "/." + base_ + ".netrl-lock";
  for (int attempt = 0;; ++attempt) {
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (lock_fd_ < 0) throw IoError(lock_path + ": cannot create the lock file: " + errno_text());
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(lock_fd_);
      lock_fd_ = -1;
      if (err == EWOULDBLOCK) {
        throw InvalidInput(kField, dir_ + " is being written by another netrl run (it holds the lock " + lock_path +
                                       "); wait for it to finish or choose another directory");
      }
      throw IoError(lock_path + ": cannot lock: " + std::strerror(err));
    }
    struct stat held {}, named {};
    if (::fstat(lock_fd_, &held) == 0 && ::stat(lock_path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev) {
      break;
    }
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (attempt > 100) throw IoError(lock_path + ": the lock file keeps being replaced");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) == 0) (void)::pwrite(lock_fd_, pid.data(), pid.size(), 0);

  try {
    // Recovery and clean-up after earlier runs (see the top of this file).
    const std::string new_prefix = "." + base_ + ".netrl-new.", old_prefix = "." + base_ + ".netrl-old.";
    std::vector<std::string> stale, old;
    for (const auto& name : list_directory(parent_)) {
      if (is_temporary_of(name, new_prefix)) stale.push_back(name);
      if (is_temporary_of(name, old_prefix)) old.push_back(name);
    }
    struct stat st {};
    if (!old.empty() && ::lstat(target_.c_str(), &st) != 0 && errno == ENOENT) {
      if (::rename((parent_ + "/" + old.front()).c_str(), target_.c_str()) == 0) old.erase(old.begin());
    }
    for (const auto& name : stale) remove_tree(parent_ + "/" + name);
    for (const auto& name : old) remove_tree(parent_ + "/" + name);

    const std::string reason = refuse_reason(target_);
    if (!reason.empty()) throw InvalidInput(kField, reason);

    for (int attempt = 0; staging_.empty(); ++attempt) {
      const std::string candidate = parent_ + "/" + new_prefix + random_suffix();
      if (::mkdir(candidate.c_str(), 0777) == 0) {
        staging_ = candidate;
      } else if (errno != EEXIST || attempt > 100) {
        throw IoError(candidate + ": cannot create the staging directory: " + errno_text());
      }
    }
  } catch (...) {
    release();
    throw;
  }
}

OutputDir::~OutputDir() {
  if (!committed_ && !staging_.empty()) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
  release();
}

void OutputDir::release() noexcept {
  if (lock_fd_ < 0) return;
  // Unlinked while still held: a run that opened the old file sees, once it gets the lock, that
  // the name no longer denotes it, and starts again.
  ::unlink((parent_ + "/." + base_ + ".netrl-lock").c_str());
  ::close(lock_fd_);
  lock_fd_ = -1;
}

void OutputDir::write_bytes(const std::string& name, const std::string& bytes) {
  if (committed_) throw IoError(dir_ + "/" + name + ": the directory was already published");
  const std::string path = staging_ + "/" + name;
  const std::string shown = dir_ + "/" + name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) throw IoError(shown + ": cannot open for writing: " + errno_text());
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t put = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (put < 0) {
      if (errno == EINTR) continue;
      const std::string why = errno_text();
      ::close(fd);
      throw IoError(shown + ": write failed: " + why);
    }
    done += static_cast<std::size_t>(put);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw IoError(shown + ": write failed: " + errno_text());
}

void OutputDir::write_text(const std::string& name, const std::string& text) { write_bytes(name, text); }

void OutputDir::write_npy(const std::string& name, const std::vector<double>& values,
                          const std::vector<std::uint64_t>& shape) {
  write_bytes(name, npy::serialize(values, shape));
}

void OutputDir::write_npy(const std::string& name, const std::vector<std::uint8_t>& values,
                          const std::vector<std::uint64_t>& shape) {
  write_bytes(name, npy::serialize(values, shape));
}

void OutputDir::write_json(const std::string& name, const nlohmann::json& value) {
  write_bytes(name, value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void OutputDir::commit() {
  if (committed_) return;
  write_bytes(kOutputMarker, std::string("netrl output directory (netrl ") + NETRL_VERSION +
                                 "): the next netrl run that writes here replaces the whole directory.\n");
  fsync_path(staging_, O_RDONLY | O_DIRECTORY);
  // The target may have changed since the constructor checked it (not by netrl: we hold the lock).
  const std::string reason = refuse_reason(target_);
  if (!reason.empty()) throw InvalidInput(kField, reason);
  struct stat st {};
  const bool exists = ::lstat(target_.c_str(), &st) == 0;
  if (!exists) {
    if (::rename(staging_.c_str(), target_.c_str()) != 0) throw IoError(dir_ + ": cannot publish: " + errno_text());
  } else if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    // staging_ now names the earlier outputs; a failure to remove them leaves a temporary that the
    // next run removes.
    committed_ = true;
    std::error_code ec;
    fs::remove_all(staging_, ec);
  } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
    const std::string old = parent_ + "/." + base_ + ".netrl-old." + random_suffix();
    if (::rename(target_.c_str(), old.c_str()) != 0) throw IoError(dir_ + ": cannot move aside: " + errno_text());
    if (::rename(staging_.c_str(), target_.c_str()) != 0) {
      const std::string why = errno_text();
      (void)::rename(old.c_str(), target_.c_str());
      throw IoError(dir_ + ": cannot publish: " + why);
    }
    committed_ = true;
    std::error_code ec;
    fs::remove_all(old, ec);
  } else {
    throw IoError(dir_ + ": cannot publish: " + errno_text());
  }
  committed_ = true;
  fsync_path(parent_, O_RDONLY | O_DIRECTORY);
  release();
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
