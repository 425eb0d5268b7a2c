// tokenplan list through the real binary: every shipped config with its facts, a broken one, usage errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "cli_terminal_support.hpp"
#include "run_tool.hpp"
#include "temp_dir.hpp"

namespace {

using nlohmann::json;
using tokenplan::testing::cli_terminal::expect_fits_columns;
using tokenplan::testing::cli_terminal::has;
using tokenplan::testing::run_tokenplan;
using tokenplan::testing::shipped;
using tokenplan::testing::temp_dir;
using tokenplan::testing::tool_result;

TEST(CliList, ListsEveryShippedConfigWithItsFacts) {
  tool_result r = run_tokenplan({"list"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* kind : {"models (", "gpus (", "clusters (", "workloads (", "demands (", "grids ("}) {
    EXPECT_TRUE(has(r.out, std::string("\n") + kind) || r.out.rfind(kind, 0) == 0) << kind;
  }
  for (const auto& f : std::filesystem::directory_iterator(shipped("models"))) {
    EXPECT_TRUE(has(r.out, "  " + f.path().stem().string() + " ")) << f.path();
  }
  EXPECT_TRUE(has(r.out, "dense 70.6B, 80 layers")) << r.out;
  EXPECT_TRUE(has(r.out, "h20       hopper, 95.6 GiB, 4.0 TB/s, 148/296/- TFLOPS BF16/FP8/FP4")) << r.out;
  EXPECT_TRUE(has(r.out, "30.00T tokens/day, ISL 1155")) << r.out;
  expect_fits_columns(r.out, 80);

  r = run_tokenplan({"list", "gpus", "models", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["command"], "list");
  EXPECT_FALSE(j.contains("clusters"));
  std::set<std::string> names;
  for (const json& m : j["models"]) names.insert(m["preset"].get<std::string>());
  std::set<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(shipped("models"))) files.insert(f.path().stem().string());
  EXPECT_EQ(names, files);
  for (const json& g : j["gpus"]) {
    EXPECT_GT(g["hbm_gib"].get<double>(), 0.0);
    EXPECT_GT(g["dense_tflops"]["bf16"].get<double>(), 0.0);
  }
}

TEST(CliList, ABrokenConfigSaysWhyAndExitsTwo) {
  temp_dir t;
  t.write("configs/models/broken.json", "{\"name\": \"broken\"}");
  tool_result r = run_tokenplan({"list", "models", "--configs", t.path("configs")});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.out, "broken")) << r.out;
  EXPECT_TRUE(has(r.out, "does not load")) << r.out;
  EXPECT_TRUE(has(r.err, "1 config does not load")) << r.err;
}

TEST(CliList, UsageErrors) {
  tool_result r = run_tokenplan({"list", "modls"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "unknown kind \"modls\" (did you mean 'models'?)")) << r.err;
  r = run_tokenplan({"list", "--format", "csv"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "--format: expected table or json, found \"csv\"")) << r.err;
  r = run_tokenplan({"list", "--configs", "/nonexistent-dir"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "--configs: \"/nonexistent-dir\" is not a directory")) << r.err;
}

}  // namespace
