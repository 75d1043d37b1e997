// Sweeps at the edges of their inputs: integer ranges at the ends of int64, the point cap with
// repeats, deeply nested values, floats that hold integers, a damaged journal, content digests.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/io/digest.hpp"
#include "netrl/io/files.hpp"
#include "netrl/io/journal.hpp"
#include "netrl/sweep.hpp"
#include "cli_support.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

json solve_base() {
  return json::parse(R"({"model": "network", "n": 8, "lambda": 0.1, "reward": {"kind": "count", "targets": [2]}})");
}

json range_sweep(const json& range) {
  return {{"command", "solve"}, {"base", solve_base()}, {"axes", {{{"key", "n"}, {"range", range}}}}};
}

/// The InvalidInput of parse_sweep + expand as "field: message", or "(accepted)".
std::string error_of(const json& file) {
  try {
    sweep::expand(parse_sweep(file, "test.json"));
  } catch (const InvalidInput& e) {
    return e.field() + ": " + e.message();
  }
  return "(accepted)";
}

TEST(SweepRange, EndsAtStopNearTheInt64Limits) {
  // The last `v += step` of these used to overflow: an endless loop that ate memory.
  sweep::Spec s = parse_sweep(range_sweep({kMax - 807, kMax}), "test.json");
  ASSERT_EQ(s.axes[0].size(), 808u);
  EXPECT_EQ(s.axes[0].values[0].front(), kMax - 807);
  EXPECT_EQ(s.axes[0].values[0].back(), kMax);
  s = parse_sweep(range_sweep({4, kMax, kMax}), "test.json");
  ASSERT_EQ(s.axes[0].size(), 1u);
  EXPECT_EQ(s.axes[0].values[0][0], 4);
  // b - a overflowed int64 here: (2^64 - 1) / (2^63 - 1) = 2 steps, three values.
  s = parse_sweep(range_sweep({kMin, kMax, kMax}), "test.json");
  ASSERT_EQ(s.axes[0].size(), 3u);
  EXPECT_EQ(s.axes[0].values[0][0], kMin);
  EXPECT_EQ(s.axes[0].values[0][1], -1);
  EXPECT_EQ(s.axes[0].values[0][2], kMax - 1);
  s = parse_sweep(range_sweep({kMax, kMax}), "test.json");
  ASSERT_EQ(s.axes[0].size(), 1u);
  EXPECT_EQ(s.axes[0].values[0][0], kMax);
}

TEST(SweepRange, TooManyValuesNameTheFieldAndTheBound) {
  EXPECT_EQ(error_of(range_sweep({kMin, kMax})),
            "axes[0].range: [-9223372036854775808, 9223372036854775807] in steps of 1 gives 18446744073709551616 "
            "values, more than the 1048576 an axis may hold");
  EXPECT_EQ(error_of(range_sweep({0, 1048576})),
            "axes[0].range: [0, 1048576] in steps of 1 gives 1048577 values, more than the 1048576 an axis may hold");
  EXPECT_EQ(parse_sweep(range_sweep({-1, 1048574}), "test.json").axes[0].size(), 1048576u);  // 2^20: the most
  // Above 2^63 - 1 a JSON integer would wrap to a negative int64.
  EXPECT_EQ(error_of(range_sweep({json(std::uint64_t{18446744073709551615ULL}), json(std::uint64_t{18446744073709551615ULL})})),
            "axes[0].range[0]: the integer 18446744073709551615 is beyond 2^63 - 1 (ranges hold 64-bit signed integers)");
}

TEST(SweepExpand, ThePointCapCountsTheRepeats) {
  // 2^20 points of the axes, 17 repeats each: more than 2^24 points, refused before they are built.
  const json file = {{"command", "count8-samples"},
                     {"base", {{"T", 1000}}},
                     {"axes", {{{"key", "T"}, {"range", {1000, 1000 + (1 << 20) - 1}}}}},
                     {"repeats", {{"count", 17}, {"seed_key", "seed"}}}};
  EXPECT_EQ(error_of(file), "repeats.count: 1048576 points of the axes x 17 repeats = 17825792 points, more than 2^24");
}

TEST(SweepCount8Samples, TheRecordingIsBoundedByTheSampleStepsLimit) {
  // T up to 2^40 was accepted, beyond the 10^12 steps of the sample_steps limit: the point failed
  // only when it ran. Now T + 10^4 burn-in steps must fit, as for `infer --scenario count8-samples`.
  EXPECT_EQ(parse_sample_size_point({{"T", 1000000000000ULL - 10000}}).T, 1000000000000ULL - 10000);
  try {
    parse_sample_size_point({{"T", 1000000000000ULL - 9999}});
    ADD_FAILURE() << "accepted";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "T");
    EXPECT_NE(e.message().find("999999990001 recorded steps and 10000 burn-in steps exceed"), std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find("sample_steps"), std::string::npos) << e.message();
  }
  set_limit("sample_steps", 5000);  // below the burn-in: no T fits
  EXPECT_THROW(parse_sample_size_point({{"T", 2}}), InvalidInput);
  reset_limits();
  EXPECT_THROW(parse_sample_size_point({{"T", 1}}), InvalidInput);
}

TEST(SweepDepth, DeepValuesNameTheirFieldBeforeAnythingRecurses) {
  // A value nested 10^5 deep overflowed the stack in the sweep's copies, hashes and comparisons.
  json deep = json::parse(std::string(100000, '[') + std::string(100000, ']'));
  json file = {{"command", "solve"}, {"base", solve_base()}, {"axes", json::array()}};
  file["axes"].push_back({{"key", "x"}, {"values", json::array()}});
  file["axes"][0]["values"].push_back(json::array());  // a placeholder, swapped for the deep value (no copy)
  file["axes"][0]["values"][0].swap(deep);
  EXPECT_EQ(error_of(file), "axes[0].values[0]: the sweep file test.json nests arrays and objects deeper than 256 levels, "
                            "the most a sweep takes (configurations nest a few levels; this bound protects the stack "
                            "and --limit json_depth does not raise it)");
  // In a Spec built in code: the base, and a key path's steps plus its value's nesting.
  sweep::Spec spec = parse_sweep(range_sweep({8, 9}), "test.json");
  json value = 1;
  for (int k = 0; k < 255; ++k) value = json::array({value});  // 255 levels
  spec.axes[0].keys = {"x"};
  spec.axes[0].values = {{value}};
  EXPECT_EQ(sweep::expand(spec).size(), 1u);  // 1 + 255 levels: the most
  spec.axes[0].keys = {"a.x"};
  try {
    sweep::expand(spec);
    ADD_FAILURE() << "accepted 257 levels";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "axes[0]");
    EXPECT_EQ(e.message(), "key path \"a.x\" (2 levels) with its value 0 nests arrays and objects deeper than 256 "
                           "levels, the most a sweep takes");
  }
  spec.axes[0].keys = {"n"};
  spec.axes[0].values = {{8, 9}};
  spec.base["x"] = json::array({value});
  try {
    sweep::expand(spec);
    ADD_FAILURE() << "accepted a base of 257 levels";
  } catch (const InvalidInput& e) {
    EXPECT_EQ(e.field(), "base.x[0][0][0]");
  }
}

TEST(SweepIds, FloatsThatHoldIntegersAreTheIntegers) {
  // n: 8 and n: 8.0 are one configuration: one id, and two of them on an axis are a duplicate.
  json file = {{"command", "solve"}, {"base", solve_base()}, {"axes", {{{"key", "n"}, {"values", {8, 8.0}}}}}};
  EXPECT_EQ(error_of(file), "axes: points 0 and 1 have the same configuration {\"n\":8} (an axis repeats a value?)");
  file["axes"][0]["values"] = {8.0, -0.0, 1e3, 2.5};
  file["axes"][0]["key"] = "x";
  const auto floats = sweep::expand(parse_sweep(file, "test.json"));
  file["axes"][0]["values"] = {8, 0, 1000, 2.5};
  const auto integers = sweep::expand(parse_sweep(file, "test.json"));
  ASSERT_EQ(floats.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(floats[i].id, integers[i].id) << i;
    EXPECT_EQ(floats[i].params.dump(), integers[i].params.dump()) << i;
  }
  EXPECT_EQ(floats[0].params.dump(), "{\"x\":8}");
  EXPECT_EQ(floats[1].params.dump(), "{\"x\":0}");
  EXPECT_EQ(floats[3].params.dump(), "{\"x\":2.5}");
  EXPECT_TRUE(floats[2].config["x"].is_number_integer());
  // In the base, in nested values and in linspace results too; the id is the one of the integers.
  json base = solve_base();
  base["lambda"] = 1.0;
  base["reward"]["targets"] = {2.0};
  const json a = {{"command", "solve"}, {"base", base}, {"axes", {{{"key", "n"}, {"linspace", {6, 8, 3}}}}}};
  base["lambda"] = 1;
  base["reward"]["targets"] = {2};
  const json b = {{"command", "solve"}, {"base", base}, {"axes", {{{"key", "n"}, {"values", {6, 7, 8}}}}}};
  const auto pa = sweep::expand(parse_sweep(a, "test.json"));
  const auto pb = sweep::expand(parse_sweep(b, "test.json"));
  ASSERT_EQ(pa.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(pa[i].id, pb[i].id) << i;
  EXPECT_EQ(pa[0].config.dump(), pb[0].config.dump());
  EXPECT_EQ(pa[2].id, sweep::hash_id({{"command", "solve"}, {"config", pb[2].config}}));
  // A Spec built in code is canonicalised by expand itself.
  sweep::Spec spec = parse_sweep(b, "test.json");
  spec.axes[0].values = {{6.0, 7.0, 8.0}};
  spec.base["lambda"] = 1.0;
  const auto pc = sweep::expand(spec);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(pc[i].id, pb[i].id) << i;
}

TEST(Journal, ACorruptLineBeforeTheLastIsAnErrorAndTheFileIsLeftAsItIs) {
  // It used to end the records there and rewrite the file without every record after it.
  const fs::path dir = test::fresh_dir("netrl_journal_", "corrupt", true);
  const std::string path = (dir / "journal").string();
  auto valid = [](const std::string& s) { return s.size() == 3 && s.find_first_not_of("abc") == std::string::npos; };
  const std::string text = std::string("hdr 1\nabc\nc\x01" "b\ncab\nbca\n");
  std::ofstream(path, std::ios::binary) << text;
  try {
    io::Journal j(path, "hdr 1", valid);
    ADD_FAILURE() << "opened a damaged journal";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": line 3 is not a valid record (\"c\\x01b\") and 2 line(s) follow it: a "
                                     "crash tears only the last line, so the journal is damaged, and dropping the line "
                                     "would lose the records after it. It was left as it is: repair or remove that line");
  }
  EXPECT_EQ(io::read_file(path), text);
  // Followed by a torn (incomplete) line only: still not the last line, still an error.
  std::ofstream(path, std::ios::binary) << "hdr 1\nabc\nxyz\nca";
  EXPECT_THROW(io::Journal(path, "hdr 1", valid), IoError);
  EXPECT_EQ(io::read_file(path), "hdr 1\nabc\nxyz\nca");
  // The last line invalid, complete or not: dropped, as before.
  for (const std::string tail : {"xyz\n", "xyz", "ab"}) {
    std::ofstream(path, std::ios::binary) << "hdr 1\nabc\n" << tail;
    io::Journal j(path, "hdr 1", valid);
    EXPECT_EQ(j.records(), std::vector<std::string>{"abc"}) << tail;
    EXPECT_EQ(j.dropped(), 1u) << tail;
    EXPECT_EQ(io::read_file(path), "hdr 1\nabc\n") << tail;
  }
  fs::remove_all(dir);
}

TEST(ContentDigest, FilesDirectoriesAndWhatIsNotRead) {
  const fs::path dir = test::fresh_dir("netrl_digest_", "dir", true);
  std::ofstream(dir / "a", std::ios::binary) << std::string(3000000, 'x');  // several 1 MiB chunks
  const auto a = io::content_digest((dir / "a").string());
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->kind, "file");
  EXPECT_EQ(a->bytes, 3000000u);
  EXPECT_EQ(a->hash.size(), 64u);
  EXPECT_EQ(io::content_digest((dir / "a").string())->hash, a->hash);  // reproducible
  std::string changed(3000000, 'x');
  changed[2999999] = 'y';
  std::ofstream(dir / "a", std::ios::binary | std::ios::trunc) << changed;
  EXPECT_NE(io::content_digest((dir / "a").string())->hash, a->hash);
  // Directories: names and contents of the files below.
  fs::create_directories(dir / "sol" / "sub");
  std::ofstream(dir / "sol" / "values.npy") << "v";
  std::ofstream(dir / "sol" / "sub" / "x") << "w";
  const auto d = io::content_digest((dir / "sol").string());
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, "directory");
  EXPECT_EQ(d->bytes, 2u);
  std::ofstream(dir / "sol" / "sub" / "x") << "z";
  EXPECT_NE(io::content_digest((dir / "sol").string())->hash, d->hash);
  std::ofstream(dir / "sol" / "sub" / "x", std::ios::trunc) << "w";
  EXPECT_EQ(io::content_digest((dir / "sol").string())->hash, d->hash);
  fs::rename(dir / "sol" / "sub" / "x", dir / "sol" / "sub" / "y");
  EXPECT_NE(io::content_digest((dir / "sol").string())->hash, d->hash);
  // Nothing there, or a FIFO (never opened: it would block): no digest.
  EXPECT_FALSE(io::content_digest((dir / "absent").string()).has_value());
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  EXPECT_FALSE(io::content_digest((dir / "fifo").string()).has_value());
  // SHA-256's published test vector (FIPS 180-2): "abc".
  std::ofstream(dir / "abc", std::ios::binary) << "abc";
  EXPECT_EQ(io::content_digest((dir / "abc").string())->hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace netrl
