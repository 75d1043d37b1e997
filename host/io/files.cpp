#include "netrl/io/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

/// "a FIFO (named pipe)", "a directory", ... for a file type that is not regular.
const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot open for writing: " + errno_text());
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      const std::string why = errno_text();
      out.close();
      std::remove(tmp.c_str());
      throw IoError(path + ": write failed: " + why);
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot rename the temporary file into place: " + ec.message());
  }
}

InputFile::InputFile(const std::string& path, LimitId size_limit) : path_(path) {
  if (path.empty()) throw IoError("the file name is empty");
  if (path.find('\0') != std::string::npos) throw IoError(shorten(path) + ": the file name contains a NUL character");
  // The type is checked before opening (opening a FIFO or a device can block or act) and again
  // on the open descriptor (the name may have been replaced in between).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw IoError(path + ": cannot open for reading: " + errno_text());
  if (!S_ISREG(st.st_mode)) throw IoError(path + ": is " + file_type_name(st.st_mode) + ", not a regular file");
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd_ < 0) throw IoError(path + ": cannot open for reading: " + errno_text());
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw IoError(path + ": is " + file_type_name(st.st_mode) + ", not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (size_ > limit(size_limit)) {
    ::close(fd_);
    fd_ = -1;
    throw IoError(path + ": " + std::to_string(size_) + " bytes exceed " + limit_hint(size_limit));
  }
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read_at(std::uint64_t offset, char* out, std::uint64_t count) const {
  std::uint64_t done = 0;
  while (done < count) {
    const std::uint64_t chunk = std::min<std::uint64_t>(count - done, std::uint64_t{1} << 30);
    const ssize_t got = ::pread(fd_, out + done, static_cast<std::size_t>(chunk), static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw IoError(path_ + ": read failed: " + errno_text());
    }
    if (got == 0) {
      throw IoError(path_ + ": the file ended after " + std::to_string(offset + done) + " bytes (was it truncated while " +
                    "being read?)");
    }
    done += static_cast<std::uint64_t>(got);
  }
}

std::string InputFile::read_all() const {
  std::string bytes(size_, '\0');
  read_at(0, bytes.data(), size_);
  return bytes;
}

std::string read_file(const std::string& path, LimitId size_limit) { return InputFile(path, size_limit).read_all(); }

nlohmann::json read_json_file(const std::string& path) { return parse_json(read_file(path, LimitId::json_bytes), path); }

void ensure_directory(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec || !fs::is_directory(path)) {
    throw IoError(path + ": cannot create directory" + (ec ? ": " + ec.message() : ""));
  }
}

namespace {
thread_local ResolvedPaths* t_recorder = nullptr;
}  // namespace

ResolvedPaths::ResolvedPaths() : previous_(t_recorder) { t_recorder = this; }

ResolvedPaths::~ResolvedPaths() { t_recorder = previous_; }

std::string resolve_relative(const std::string& base_file, const std::string& relative) {
  const fs::path p(relative);
  std::string resolved = p.is_absolute() || base_file.empty() ? relative : (fs::path(base_file).parent_path() / p).string();
  if (t_recorder != nullptr) t_recorder->add(resolved);
  return resolved;
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
