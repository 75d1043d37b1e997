// Strict JSON reading: nlohmann's non-recursive SAX parser driving a document builder that
// refuses nesting beyond the limit json_depth while parsing (so no later recursive copy, dump or
// destruction can exhaust the stack) and refuses repeated keys, naming both places.
#include <cstddef>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/json_values.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/io/files.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace io {
namespace {

using nlohmann::json;

/// A character iterator that publishes how far the parser has read (for the place of a key).
class TrackedChar {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackedChar(const char* p, const char** seen) : p_(p), seen_(seen) {}
  reference operator*() const { return *p_; }
  TrackedChar& operator++() {
    ++p_;
    *seen_ = p_;
    return *this;
  }
  TrackedChar operator++(int) {
    TrackedChar old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackedChar& o) const { return p_ == o.p_; }
  bool operator!=(const TrackedChar& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  const char** seen_;
};

/// "line L, column C" of the byte at `offset` (both 1-based).
std::string place(const std::string& text, std::size_t offset) {
  std::size_t line = 1, line_start = 0;
  const std::size_t end = offset < text.size() ? offset : text.size();
  for (std::size_t k = 0; k < end; ++k) {
    if (text[k] == '\n') {
      ++line;
      line_start = k + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(end - line_start + 1);
}

/// Builds the document from SAX events, checking depth and keys as they arrive.
class StrictBuilder {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  StrictBuilder(const std::string& text, const std::string& name, const char* const* cursor)
      : text_(text), name_(name), cursor_(cursor), max_depth_(limit(LimitId::json_depth)) {}

  json take() { return std::move(root_); }

  bool null() { return add(json(nullptr)); }
  bool boolean(bool v) { return add(json(v)); }
  bool number_integer(number_integer_t v) { return add(json(v)); }
  bool number_unsigned(number_unsigned_t v) { return add(json(v)); }
  bool number_float(number_float_t v, const string_t&) { return add(json(v)); }
  bool string(string_t& v) { return add(json(std::move(v))); }
  bool binary(binary_t& v) { return add(json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    Frame& top = frames_.back();
    const std::size_t here = key_start();
    const auto [it, fresh] = top.keys.emplace(k, here);
    if (!fresh) {
      top.key = k;
      throw InvalidInput(path(), name_ + ": duplicate key " + quote_value(k) + " (" + place(text_, it->second) + " and " +
                                     place(text_, here) + "); a key may appear once per object");
    }
    top.key = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line L, column C: WHY".
    std::string why = ex.what();
    const std::size_t tag = why.find("] ");
    if (tag != std::string::npos) why = why.substr(tag + 2);
    const std::size_t at = why.find(": ");
    if (why.compare(0, 11, "parse error") == 0 && at != std::string::npos) why = why.substr(at + 2);
    throw IoError(name_ + ": malformed JSON at " + place(text_, position == 0 ? 0 : position - 1) + ": " +
                  shorten_quotes(why));
  }

 private:
  struct Frame {
    json* value;
    std::map<std::string, std::size_t> keys;  // object: each key read so far and where
    std::string key;                           // object: the key of the member being read
  };

  /// The offset of the last character read.
  std::size_t offset() const {
    const auto read = static_cast<std::size_t>(*cursor_ - text_.data());
    return read > 0 ? read - 1 : 0;
  }

  /// The offset of the opening quote of the key just read (the last character read closes it).
  std::size_t key_start() const {
    std::size_t k = offset();
    while (k > 0) {
      --k;
      if (text_[k] != '"') continue;
      std::size_t slashes = 0;
      while (k > slashes && text_[k - 1 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 0) return k;
    }
    return 0;
  }

  /// The JSON path of the value being read ("solver.tol", "predict[1].map[0]"), each key
  /// shortened and the whole cut after about 100 characters.
  std::string path() const {
    std::string p;
    for (std::size_t k = 0; k < frames_.size(); ++k) {
      const Frame& f = frames_[k];
      if (p.size() > 100) return p + "...";
      if (f.value->is_array()) {
        // Below the top the member being read is the last one; at the top it is the next one.
        const std::size_t index = f.value->size() - (k + 1 < frames_.size() ? 1 : 0);
        p += "[" + std::to_string(index) + "]";
      } else if (!f.keys.empty()) {
        p += (p.empty() ? "" : ".") + shorten(f.key, 80);
      }
    }
    return p;
  }

  /// Places `v` in the open container (or as the root); returns where it went.
  json* place_value(json&& v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& top = frames_.back();
    if (top.value->is_array()) {
      top.value->push_back(std::move(v));
      return &top.value->back();
    }
    json& slot = (*top.value)[top.key];
    slot = std::move(v);
    return &slot;
  }

  bool add(json&& v) {
    place_value(std::move(v));
    return true;
  }

  bool open(json&& container) {
    if (frames_.size() >= max_depth_) {
      throw InvalidInput(path(), name_ + ": arrays and objects nested deeper than " + limit_hint(LimitId::json_depth) +
                                     ", at " + place(text_, offset()));
    }
    json* slot = place_value(std::move(container));
    frames_.push_back(Frame{slot, {}, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  const std::string& text_;
  const std::string& name_;
  const char* const* cursor_;
  std::uint64_t max_depth_;
  json root_;
  std::vector<Frame> frames_;
};

}  // namespace

nlohmann::json parse_json(const std::string& text, const std::string& name) {
  const char* cursor = text.data();
  StrictBuilder builder(text, name, &cursor);
  TrackedChar first(text.data(), &cursor), last(text.data() + text.size(), &cursor);
  json::sax_parse(first, last, &builder, json::input_format_t::json, true, false);
  return builder.take();
}

}  NETRL_NAMESPACE_END  // namespace netrl::io
