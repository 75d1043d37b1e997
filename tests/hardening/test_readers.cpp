// The hardened readers and the limits, at the library level: the strict JSON parser, the .npy
// header parser, regular-file reads, the limit table and `--limit` syntax, and the output
// directory's life cycle (replacement, marker, lock, recovery of a killed run's temporaries).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "hardening_support.hpp"
#include "io/json_values.hpp"
#include "netrl/core/error.hpp"
#include "netrl/core/limits.hpp"
#include "netrl/io/files.hpp"
#include "netrl/inverse.hpp"
#include "netrl/io/npy.hpp"

namespace netrl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::npy_bytes;
using test::npy_header;

/// The message of the exception `fn` throws, as type E ("" and a failure when it throws nothing).
template <class E, class Fn>
std::string message_of(Fn fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception";
  return "";
}

/// Restores the default limits when a test ends.
class Limits : public ::testing::Test {
 protected:
  void TearDown() override { reset_limits(); }
};

// --- JSON ---------------------------------------------------------------------------------------

TEST_F(Limits, JsonDepthIsCountedWhileParsing) {
  set_limit("json_depth", 3);
  EXPECT_EQ(io::parse_json("[[[1]]]", "x.json"), json::parse("[[[1]]]"));
  EXPECT_EQ(io::parse_json(R"({"a": {"b": [2]}})", "x.json")["a"]["b"][0], 2);
  const std::string m = message_of<InvalidInput>([] { io::parse_json(R"({"a": [1, {"b": [[0]]}]})", "x.json"); });
  EXPECT_NE(m.find("a[1].b: x.json: arrays and objects nested deeper than the limit json_depth = 3"), std::string::npos) << m;
  EXPECT_NE(m.find("line 1, column 17"), std::string::npos) << m;
}

TEST(Json, DuplicateKeysAreRefusedWithThePathAndBothPlaces) {
  const std::string text = "{\"a\": [{\"k\": 1},\n {\"k\": 2,\n  \"k\": 3}]}";
  const std::string m = message_of<InvalidInput>([&] { io::parse_json(text, "d.json"); });
  EXPECT_EQ(m.rfind("a[1].k: d.json: duplicate key \"k\" (line 2, column 3 and line 3, column 3)", 0), 0u) << m;
  // The same key in different objects is fine.
  EXPECT_EQ(io::parse_json("{\"a\": {\"k\": 1}, \"b\": {\"k\": 1}}", "d.json")["b"]["k"], 1);
}

TEST(Json, MalformedJsonNamesTheFileAndThePlace) {
  const std::string m = message_of<IoError>([] { io::parse_json("{\"a\": 1,\n \"b\": tru}", "m.json"); });
  EXPECT_EQ(m.rfind("m.json: malformed JSON at line 2, column", 0), 0u) << m;
}

TEST(Json, NumberOverflowAndBadUtf8AreMalformedJson) {
  EXPECT_NE(message_of<IoError>([] { io::parse_json("[1e400]", "n.json"); }).find("number overflow"), std::string::npos);
  EXPECT_NE(message_of<IoError>([] { io::parse_json("[\"\xff\"]", "u.json"); }).find("malformed JSON"), std::string::npos);
}

TEST(Json, DescriptionsOfValuesAreBounded) {
  const json big = json::array({std::string(1 << 20, 'z'), 1, json::array({json::array({1})})});
  const std::string d = describe_json(big);
  EXPECT_LT(d.size(), 200u) << d;
  EXPECT_EQ(d.rfind("array [\"zzz", 0), 0u) << d;
  EXPECT_NE(d.find("(3 entries)"), std::string::npos) << d;
  EXPECT_EQ(describe_json(json("a\nb")), "string \"a\\x0ab\"");
  EXPECT_EQ(describe_json(json(1.5)), "number 1.5");
}

// --- .npy ---------------------------------------------------------------------------------------

TEST(NpyHeader, AcceptsEveryFormNumpyWrites) {
  const std::string eight(8, '\0');
  struct Case {
    std::string header;
    std::vector<std::uint64_t> shape;
  };
  const std::vector<Case> cases = {
      {npy_header("<f8", "()"), {}},
      {npy_header("<f8", "(1,)"), {1}},
      {"{'shape': (1,), 'fortran_order': True, 'descr': '<f8'}", {1}},
      {"{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (1,1,),}", {1, 1}},
      {"{ 'descr' : '<f8' , 'fortran_order' : False , 'shape' : ( 1 , ) }", {1}},
  };
  for (const auto& c : cases) {
    for (int major : {1, 2, 3}) {
      SCOPED_TRACE(c.header + " v" + std::to_string(major));
      const npy::Array a = npy::parse(npy_bytes(c.header, eight, major), "a.npy");
      EXPECT_EQ(a.shape, c.shape);
      EXPECT_EQ(a.dtype, "<f8");
    }
  }
  EXPECT_EQ(npy::parse(npy_bytes(npy_header("<f8", "(0, 5)"), ""), "e.npy").size(), 0u);
}

TEST(NpyHeader, RefusesWhatNumpyWouldNotWrite) {
  const std::string eight(8, '\0');
  for (const char* header :
       {"{'descr': '<f8', 'fortran_order': False}", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '<f8', 'fortran_order': false, 'shape': (1,)}", "{'descr': '<f8', 'fortran_order': False, 'shape': (1)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (01,)}", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x",
        "{'descr': '<f\\8', 'fortran_order': False, 'shape': (1,)}", "('descr', '<f8')", ""}) {
    SCOPED_TRACE(header);
    EXPECT_NE(message_of<IoError>([&] { npy::parse(npy_bytes(header, eight), "h.npy"); }).find("h.npy: "),
              std::string::npos);
  }
  // Extra bytes after the data, a minor version, big-endian data.
  EXPECT_NE(message_of<IoError>([&] { npy::parse(npy_bytes(npy_header("<f8", "(1,)"), eight + "x"), "t.npy"); })
                .find("1 bytes follow"),
            std::string::npos);
  std::string v11 = npy_bytes(npy_header("<f8", "(1,)"), eight);
  v11[7] = 1;
  EXPECT_NE(message_of<IoError>([&] { npy::parse(v11, "v.npy"); }).find("version 1.1"), std::string::npos);
  EXPECT_NE(message_of<IoError>([&] { npy::parse(npy_bytes(npy_header(">f8", "(1,)"), eight), "b.npy"); })
                .find("unsupported dtype '>f8'"),
            std::string::npos);
}

TEST_F(Limits, NpyHeaderLengthIsBoundedBeforeItIsRead) {
  set_limit("npy_header_bytes", 100);
  const std::string bytes = npy_bytes(npy_header("<f8", "(1,)") + std::string(200, ' '), std::string(8, '\0'), 2);
  EXPECT_NE(message_of<IoError>([&] { npy::parse(bytes, "w.npy"); }).find("more than the limit npy_header_bytes = 100"),
            std::string::npos);
}

TEST(NpyHeader, EveryDtypeConvertsToDouble) {
  auto one = [](const std::string& descr, const std::string& data) {
    return npy::to_double(npy::parse(npy_bytes(npy_header(descr, "(1,)"), data), "d.npy"), "d.npy").at(0);
  };
  EXPECT_EQ(one("|i1", std::string(1, '\xff')), -1.0);
  EXPECT_EQ(one("|u1", std::string(1, '\xff')), 255.0);
  EXPECT_EQ(one("<u4", std::string("\x01\x00\x00\x00", 4)), 1.0);
  EXPECT_EQ(one("<i8", std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8)), -2.0);
}

// A raster is converted from its file straight to bytes (inverse::make_raster of an npy::Array),
// whatever the dtype: the same states as from the same values as doubles, and the same error.
TEST(NpyHeader, RastersOfEveryDtypeReadAsTheSameStates) {
  NetworkModel model;
  model.n = 3;
  model.lambda = 0.5;
  const std::vector<double> values{0, 1, 0, 1, 1, 0};
  const std::vector<std::uint8_t> bits{0, 1, 0, 1, 1, 0};
  const auto bytes_of = [](const std::string& descr, const std::vector<double>& v) {
    std::string data;
    const auto put = [&](auto x) { data.append(reinterpret_cast<const char*>(&x), sizeof x); };
    for (double x : v) {
      if (descr == "<f8") put(x);
      else if (descr == "<f4") put(static_cast<float>(x));
      else if (descr == "<i8") put(static_cast<std::int64_t>(x));
      else if (descr == "<i4") put(static_cast<std::int32_t>(x));
      else if (descr == "<u8") put(static_cast<std::uint64_t>(x));
      else if (descr == "<u4") put(static_cast<std::uint32_t>(x));
      else if (descr == "|i1") put(static_cast<std::int8_t>(x));
      else put(static_cast<std::uint8_t>(x));
    }
    return npy::parse(npy_bytes(npy_header(descr, "(2, 3)"), data), "r.npy");
  };
  for (const char* descr : {"|u1", "|b1", "|i1", "<i4", "<i8", "<u4", "<u8", "<f4", "<f8"}) {
    EXPECT_EQ(inverse::make_raster(bytes_of(descr, values), {}, {}, model).states, bits) << descr;
    std::vector<double> bad = values;
    bad[5] = 2.0;
    const std::string message = message_of<InvalidInput>([&] { inverse::make_raster(bytes_of(descr, bad), {}, {}, model); });
    EXPECT_EQ(message, message_of<InvalidInput>([&] { inverse::make_raster(bad, {2, 3}, {}, {}, model); })) << descr;
    EXPECT_NE(message.find("entry [1, 2] = 2 is not binary"), std::string::npos) << descr << ": " << message;
  }
}

// --- Files ----------------------------------------------------------------------------------------

TEST_F(Limits, FilesLargerThanTheirKindsLimitAreRefusedBeforeReading) {
  test::Scratch s("netrl_readers_");
  s.write("c.json", std::string(2000, ' ') + "{}");
  set_limit("json_bytes", 1000);
  EXPECT_NE(message_of<IoError>([&] { io::read_json_file(s.path("c.json")); })
                .find("2002 bytes exceed the limit json_bytes = 1000 (raise it with --limit json_bytes=N"),
            std::string::npos);
  EXPECT_EQ(io::read_file(s.path("c.json"), LimitId::npy_bytes).size(), 2002u);
}

TEST(Files, OnlyRegularFilesAreRead) {
  test::Scratch s("netrl_readers_");
  ASSERT_EQ(::mkfifo(s.path("pipe").c_str(), 0600), 0);
  EXPECT_NE(message_of<IoError>([&] { io::read_file(s.path("pipe")); }).find("is a FIFO (named pipe), not a regular file"),
            std::string::npos);
  EXPECT_NE(message_of<IoError>([&] { io::read_file("/dev/null"); }).find("/dev/null: is a character device"),
            std::string::npos);
  EXPECT_NE(message_of<IoError>([&] { io::read_file(s.dir().string()); }).find("is a directory"), std::string::npos);
  EXPECT_NE(message_of<IoError>([&] { io::read_file(s.path("absent")); }).find("cannot open"), std::string::npos);
}

// --- Limits ---------------------------------------------------------------------------------------

TEST_F(Limits, LimitAssignmentsAreParsedStrictly) {
  set_limit_from_text("maze_cells=2Mi");
  EXPECT_EQ(limit(LimitId::maze_cells), 2u << 20);
  set_limit_from_text("sample_steps=3T");
  EXPECT_EQ(limit(LimitId::sample_steps), 3000000000000u);
  for (const char* bad : {"maze_cells", "maze_cells=", "maze_cells=-1", "maze_cells=1.5", "maze_cells=0", "maze_cells=2X",
                          "maze_cells=99999999999999999999", "maze_cells=20000000Ti", "nothing=1"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(message_of<InvalidInput>([&] { set_limit_from_text(bad); }).rfind("--limit: ", 0), 0u);
  }
  reset_limits();
  for (const auto& info : limit_table()) EXPECT_EQ(limit(info.id), info.default_value) << info.name;
}

// --- Output directories ---------------------------------------------------------------------------

TEST(OutputDir, ReplacesAnEmptyOrNetrlDirectoryWhole) {
  test::Scratch s("netrl_readers_");
  fs::create_directories(s.path("out"));
  {
    io::OutputDir out(s.path("out"));
    out.write_text("a.txt", "first");
    out.commit();
  }
  EXPECT_TRUE(fs::exists(s.path("out/.netrl-output")));
  {
    io::OutputDir out(s.path("out/"));  // a trailing slash names the same directory
    out.write_text("b.txt", "second");
    out.commit();
  }
  EXPECT_FALSE(fs::exists(s.path("out/a.txt")));
  EXPECT_EQ(io::read_file(s.path("out/b.txt")), "second");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(s.dir())) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"out"});  // no lock file, no staging directory
}

TEST(OutputDir, WithoutCommitTheTargetIsUntouched) {
  test::Scratch s("netrl_readers_");
  {
    io::OutputDir out(s.path("out"));
    out.write_text("a.txt", "never published");
  }
  EXPECT_FALSE(fs::exists(s.path("out")));
  EXPECT_TRUE(fs::is_empty(s.dir()));
}

TEST(OutputDir, RefusesFilesAndForeignDirectoriesAndEmptyNames) {
  test::Scratch s("netrl_readers_");
  s.write("file", "x");
  EXPECT_NE(message_of<InvalidInput>([&] { io::OutputDir out(s.path("file")); }).find("exists and is not a directory"),
            std::string::npos);
  EXPECT_EQ(message_of<InvalidInput>([&] { io::OutputDir out(""); }), "output directory: the name is empty");
  EXPECT_EQ(io::read_file(s.path("file")), "x");
}

TEST(OutputDir, TheNextRunRemovesAKilledRunsTemporariesAndRestoresAMovedAsideDirectory) {
  test::Scratch s("netrl_readers_");
  // What a run killed between "move aside" and "move in" leaves (file systems without
  // RENAME_EXCHANGE): no target, the old outputs under the -old name, a staging directory.
  fs::create_directories(s.path(".out.netrl-old.Ab12Cd"));
  s.write(".out.netrl-old.Ab12Cd/.netrl-output", "");
  s.write(".out.netrl-old.Ab12Cd/result.json", "{}");
  fs::create_directories(s.path(".out.netrl-new.Zz99Yy"));
  s.write(".out.netrl-lock", "12345\n");
  fs::create_directories(s.path(".out.netrl-new.keep.me"));  // not of the form: left alone
  {
    io::OutputDir out(s.path("out"));
    EXPECT_EQ(io::read_file(s.path("out/result.json")), "{}");  // restored before anything else
    EXPECT_FALSE(fs::exists(s.path(".out.netrl-new.Zz99Yy")));
  }
  EXPECT_TRUE(fs::exists(s.path("out/result.json")));
  EXPECT_TRUE(fs::exists(s.path(".out.netrl-new.keep.me")));
  EXPECT_FALSE(fs::exists(s.path(".out.netrl-lock")));
}

}  // namespace
}  // namespace netrl
