#include "netrl/io/files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "netrl/core/error.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {
namespace fs = std::filesystem;

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot open for writing: " + std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      throw IoError(path + ": write failed: " + std::strerror(errno));
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot rename the temporary file into place: " + ec.message());
  }
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw IoError(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError(path + ": read failed");
  return ss.str();
}

nlohmann::json read_json_file(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw IoError(path + ": malformed JSON: " + e.what());
  }
}

void ensure_directory(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec || !fs::is_directory(path)) {
    throw IoError(path + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
  }
}

std::string resolve_relative(const std::string& base_file, const std::string& relative) {
  const fs::path p(relative);
  if (p.is_absolute() || base_file.empty()) return relative;
  return (fs::path(base_file).parent_path() / p).string();
}

OutputDir::OutputDir(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) throw IoError("output directory: the name is empty");
  ensure_directory(dir_);
}

void OutputDir::write_text(const std::string& name, const std::string& text) { write_file_atomic(path(name), text); }

void OutputDir::write_npy(const std::string& name, const std::vector<double>& values,
                          const std::vector<std::uint64_t>& shape) {
  write_file_atomic(path(name), npy::serialize(values, shape));
}

void OutputDir::write_npy(const std::string& name, const std::vector<std::uint8_t>& values,
                          const std::vector<std::uint64_t>& shape) {
  write_file_atomic(path(name), npy::serialize(values, shape));
}

void OutputDir::write_json(const std::string& name, const nlohmann::json& value) {
  write_text(name, value.dump(2) + "\n");
}

void OutputDir::commit() {}

}  NETRL_NAMESPACE_END  // namespace netrl::io
