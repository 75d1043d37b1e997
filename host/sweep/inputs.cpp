// The record of a sweep directory's input files, DIR/inputs.json (session.hpp): the content
// digests of the files and directories its points' configurations name. A finished point was
// computed from the content it had then; resuming or extending after it changed would mix results
// of two contents in one table, so that is refused.
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "netrl/core/error.hpp"
#include "netrl/io/digest.hpp"
#include "netrl/io/files.hpp"
#include "sweep/json_tree.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep::detail {

using nlohmann::json;

namespace {

json to_json(const io::ContentDigest& d) { return {{"kind", d.kind}, {"bytes", d.bytes}, {"hash", d.hash}}; }

std::string describe(const json& entry) {
  return "a " + entry.at("kind").get<std::string>() + " of " + std::to_string(entry.at("bytes").get<std::uint64_t>()) +
         " bytes, content hash " + entry.at("hash").get<std::string>();
}

/// DIR/inputs.json, checked: {"files": {PATH: {"kind", "bytes", "hash"}, ...}}; null when absent
/// (a directory started before the record existed, or a new one).
json read_record(const std::string& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return nullptr;
  json record = io::read_json_file(file);
  check_depth(record, "out", kMaxDepth, file);
  auto bad = [&](const std::string& why) {
    return InvalidInput("out", file + " is not a sweep's record of its input files (" + why +
                                   "); restore it, or remove it to record the inputs as they are now");
  };
  if (!record.is_object() || !record.contains("files") || !record.at("files").is_object()) throw bad("no \"files\" object");
  for (const auto& [path, entry] : record.at("files").items()) {
    if (!entry.is_object() || !entry.contains("kind") || !entry.at("kind").is_string() || !entry.contains("bytes") ||
        !entry.at("bytes").is_number_unsigned() || !entry.contains("hash") || !entry.at("hash").is_string()) {
      throw bad("the entry of " + path.substr(0, 200) + " lacks its kind, bytes or hash");
    }
  }
  return record;
}

}  // namespace

json reconcile_inputs(const std::string& out, const Inputs& inputs, const std::vector<Point>& points,
                      const std::vector<std::string>& journalled, bool* changed) {
  const std::string file = out + "/inputs.json";
  json stored = read_record(file);
  *changed = stored.is_null();
  json record = stored.is_null() ? json{{"files", json::object()}} : stored;
  if (inputs.paths.empty()) return record;

  // The journalled points of this sweep, and whether the journal holds points of another sweep.
  std::map<std::string, std::size_t> index;
  for (const Point& p : points) index.emplace(p.id, p.index);
  std::vector<char> finished(points.size(), 0);
  bool foreign = false;
  for (const std::string& id : journalled) {
    const auto it = index.find(id);
    if (it == index.end()) foreign = true;
    else finished[it->second] = 1;
  }
  // Each input hashed once per run.
  json& files = record.at("files");
  for (std::size_t k = 0; k < inputs.paths.size(); ++k) {
    const std::string& path = inputs.paths[k];
    const std::optional<io::ContentDigest> digest = io::content_digest(path);
    if (!digest) continue;  // missing (or a FIFO, a device): the points that need it fail on their own
    const json now = to_json(*digest);
    if (files.contains(path) && files.at(path) != now) {
      // A finished point computed from the old content: the first one, to name it.
      const Point* user = nullptr;
      for (std::size_t i = 0; i < points.size() && user == nullptr; ++i) {
        if (!finished[i]) continue;
        const auto& set = inputs.sets[inputs.set_of[i]];
        if (std::binary_search(set.begin(), set.end(), k)) user = &points[i];
      }
      if (user != nullptr || foreign) {
        const std::string who = user != nullptr ? "point " + user->id + " " + shorten(json(user->params).dump(), 200)
                                                : "points of the sweep it held before (--extend)";
        throw InvalidInput("out", path + " changed since " + out + " computed points from it (" +
                                      describe(files.at(path)) + " then, " + describe(now) + " now; " + who +
                                      " among them): resuming or extending would mix results of its old and new "
                                      "content in one table. Restore the file, or run the sweep in a new directory");
      }
    }
    if (!files.contains(path) || files.at(path) != now) {
      files[path] = now;
      *changed = true;
    }
  }
  return record;
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep::detail
