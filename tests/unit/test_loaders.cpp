// Every bad-input path of the loaders: the error names the file and the JSON path, and says what
// was expected and what was found.
#include <gtest/gtest.h>

#include "base/errors.hpp"
#include "io/loaders.hpp"
#include "search/problem_builder.hpp"
#include "scenarios.hpp"
#include "temp_dir.hpp"

namespace tokenplan {
namespace {

using nlohmann::json;
using testing::read_json_file;
using testing::shipped;
using testing::temp_dir;

/// Runs `load`, expecting a config_error at (file, path) whose message contains `needle`.
template <class F>
void expect_config_error(F load, const std::string& file, const std::string& path, const std::string& needle) {
  try {
    load();
    ADD_FAILURE() << "expected config_error at " << file << " " << path;
  } catch (const config_error& e) {
    EXPECT_EQ(e.file(), file) << e.what();
    EXPECT_EQ(e.json_path(), path) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what() << "\nwanted: " << needle;
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << "message must name the file";
  }
}

std::vector<std::string> shipped_gpu_dirs() { return {shipped("gpus")}; }

const calibration& shipped_calibration() {
  static calibration c = load_calibration(shipped("calibration.json"));
  return c;
}

TEST(Loaders, ShippedConfigsLoad) {
  for (const char* m : {"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "qwen2.5-72b"}) {
    model_entry e = load_model(shipped(std::string("models/") + m + ".json"));
    EXPECT_EQ(e.name, m);
  }
  EXPECT_NEAR(load_model(shipped("models/llama-3.1-70b.json")).params, 70.55e9, 0.01e9);
  EXPECT_NEAR(load_model(shipped("models/llama-3.1-405b.json")).params, 405.85e9, 0.05e9);
  EXPECT_NEAR(load_model(shipped("models/llama-3.1-8b.json")).params, 8.03e9, 0.01e9);
  for (const char* g : {"h200-sxm", "h100-sxm", "h20", "b200"}) {
    gpu_entry e = load_gpu(shipped(std::string("gpus/") + g + ".json"), shipped_calibration());
    EXPECT_EQ(e.name, g);
  }
  cluster_entry c = load_cluster(shipped("clusters/bytedance-h200-overseas.json"), shipped_gpu_dirs(), shipped_calibration());
  std::uint64_t total = 0;
  for (const site_entry& s : c.sites) total += s.gpus;
  EXPECT_EQ(total, 20000u);
  workload_entry w = load_workload(shipped("workloads/chat-30tn.json"));
  EXPECT_EQ(w.spec.tokens_per_day, 30e12);
}

TEST(Loaders, MissingFile) {
  expect_config_error([] { load_model("/nonexistent/model.json"); }, "/nonexistent/model.json", "", "no such file");
}

TEST(Loaders, DirectoryInsteadOfFile) {
  temp_dir t;
  expect_config_error([&] { load_model(t.root().string()); }, t.root().string(), "", "is a directory");
}

TEST(Loaders, MalformedJsonNamesLineAndColumn) {
  temp_dir t;
  std::string f = t.write("bad.json", "{\n  \"name\": \"x\",\n  \"hidden_size\": 12,,\n}\n");
  expect_config_error([&] { load_model(f); }, f, "", "malformed JSON at line 3");
}

// Found by tests/fuzz (fuzz_calibration): nlohmann reports 1e400 as out_of_range, not a
// parse_error, and it escaped the loaders as a plain std::exception (exit 1, not 2).
TEST(Loaders, NumberBeyondDoubleIsAConfigError) {
  temp_dir t;
  std::string f = t.write("calibration.json", "{\"families\": {\"hopper\": {\"gemm\": 0.7E798}}}");
  expect_config_error([&] { load_calibration(f); }, f, "", "beyond the range of a double");
}

// The microbenchmarks of the priors name families of the file and hold fractions of a datasheet.
TEST(Loaders, CalibrationMicrobenchmarksAreChecked) {
  temp_dir t;
  const std::string head =
      R"({"families": {"hopper": {"gemm": 0.6, "hbm": 0.8, "layer_overhead_us": 8, "step_overhead_us": 1000,)"
      R"( "sequence_overhead_us": 1, "alltoall_latency_us": 30, "moe_overlap": 0.8, "expert_imbalance": 1.2,)"
      R"( "allreduce_latency_us": 10, "allreduce_efficiency": 0.85}}, "engines": {"reference": "tensorrt-llm",)"
      R"( "tensorrt-llm": 1.0}, "priors": {"family": {"gemm": 0.6, "hbm": 0.8, "layer_overhead_us": 8,)"
      R"( "step_overhead_us": 1000, "sequence_overhead_us": 1, "alltoall_latency_us": 30, "moe_overlap": 0.8,)"
      R"( "expert_imbalance": 1.2, "allreduce_latency_us": 10, "allreduce_efficiency": 0.85}, "engine": 1.0,)";
  const std::string good = t.write("good.json", head + R"( "microbenchmarks": {"source": "s", "hopper": {"gemm": 0.647, "hbm": 0.851}}}})");
  const calibration c = load_calibration(good);
  ASSERT_EQ(c.microbenchmarks.size(), 1u);
  EXPECT_EQ(c.microbenchmarks.at("hopper").gemm, 0.647);
  EXPECT_EQ(c.microbenchmarks.at("hopper").hbm, 0.851);
  const std::string unknown = t.write("unknown.json", head + R"( "microbenchmarks": {"hoper": {"gemm": 0.6, "hbm": 0.8}}}})");
  expect_config_error([&] { load_calibration(unknown); }, unknown, "$.priors.microbenchmarks.hoper",
                      "unknown GPU family \"hoper\"");
  const std::string range = t.write("range.json", head + R"( "microbenchmarks": {"hopper": {"gemm": 1.5, "hbm": 0.8}}}})");
  expect_config_error([&] { load_calibration(range); }, range, "$.priors.microbenchmarks.hopper.gemm", "");
}

TEST(Loaders, TooLargeFile) {
  temp_dir t;
  std::string f = t.write("huge.json", std::string(max_input_bytes + 10, ' '));
  expect_config_error([&] { load_model(f); }, f, "", "limited to");
}

TEST(Loaders, DeeplyNestedJson) {
  temp_dir t;
  std::string f = t.write("deep.json", std::string(10000, '[') + std::string(10000, ']'));
  expect_config_error([&] { load_model(f); }, f, "", "nested deeper than");
}

// Issue 14: json::parse with a callback rescanned the parent array after every object it closed,
// so 1 MB of "{}," took minutes. A file of several MiB must load (no timing asserted here;
// bench/bench_load.cpp measures the scaling).
TEST(Loaders, MultiMegabyteArrayOfObjectsLoads) {
  temp_dir t;
  std::string text = "{\"name\": \"x\", \"padding\": [";
  while (text.size() < (6u << 20)) text += "{},";
  text += "{}]}";
  input_file f;
  f.path = "tiny.json";
  f.text = text;
  json j = parse_json(f);
  EXPECT_EQ(j["padding"].size(), (text.size() - 27) / 3);

  // A real loader over a long array of objects: a site with 5 MiB of deliveries.
  std::string c =
      "{\"name\": \"big\", \"sites\": [{\"name\": \"a\", \"gpu\": \"h100-sxm\", \"gpus\": 8, \"gpus_per_node\": 8, "
      "\"usd_per_gpu_hour\": 2.0, \"price_includes_power\": true, \"pue\": 1.2, \"deliveries\": [";
  std::size_t n = 0;
  for (; c.size() < (5u << 20); ++n) c += "{\"month\": \"2027-01\", \"gpus\": 8},";
  c += "{\"month\": \"2027-02\", \"gpus\": 8}]}]}";
  const std::string path = t.write("big-cluster.json", c);
  cluster_entry e = load_cluster(path, shipped_gpu_dirs(), shipped_calibration());
  EXPECT_EQ(e.sites.at(0).deliveries.size(), n + 1);
}

// Issue 14: nlohmann keeps the last of two equal keys silently; a key given twice is an error
// naming the file, the key's JSON path and the key.
TEST(Loaders, DuplicateKeyIsAConfigError) {
  temp_dir t;
  std::string f = t.write("m.json", "{\"name\": \"a\", \"hidden_size\": 8, \"name\": \"b\"}");
  expect_config_error([&] { load_model(f); }, f, "$.name", "key \"name\" appears twice");
  // Nested, in an array, and a key that is not an identifier.
  json c = read_json_file(shipped("clusters/deepseek-h800.json"));
  std::string text = c.dump();
  const std::string needle = "\"pue\":1.3";
  ASSERT_NE(text.find(needle), std::string::npos);
  text.replace(text.find(needle), needle.size(), "\"pue\":1.3,\"pue\":1.1");
  f = t.write("c.json", text);
  expect_config_error([&] { load_cluster(f, shipped_gpu_dirs(), shipped_calibration()); }, f, "$.sites[0].pue",
                      "key \"pue\" appears twice");
  f = t.write("odd.json", "{\"a b\": 1, \"a b\": 2}");
  expect_config_error([&] { load_model(f); }, f, "$[\"a b\"]", "appears twice");
  // The same key in two objects is fine.
  f = t.write("two.json", "{\"x\": [{\"k\": 1}, {\"k\": 2}], \"y\": {\"k\": 3}}");
  input_file in = read_input_file(f);
  EXPECT_NO_THROW(parse_json(in));
}

TEST(Loaders, MissingField) {
  temp_dir t;
  json j = read_json_file(shipped("models/llama-3.1-70b.json"));
  j.erase("num_hidden_layers");
  std::string f = t.write_json("m.json", j);
  expect_config_error([&] { load_model(f); }, f, "$.num_hidden_layers", "required field is missing");
}

TEST(Loaders, UnknownFieldSuggestsTheNearestKnownOne) {
  temp_dir t;
  json j = read_json_file(shipped("models/llama-3.1-70b.json"));
  j["hiden_size"] = 5;
  std::string f = t.write_json("m.json", j);
  expect_config_error([&] { load_model(f); }, f, "$.hiden_size", "did you mean 'hidden_size'");
}

TEST(Loaders, UnknownNestedFieldInGpu) {
  temp_dir t;
  json j = read_json_file(shipped("gpus/h200-sxm.json"));
  j["scale_up"]["allreduce_busbw_gbps"] = 400;
  std::string f = t.write_json("g.json", j);
  expect_config_error([&] { load_gpu(f, shipped_calibration()); }, f, "$.scale_up.allreduce_busbw_gbps", "did you mean 'allreduce_busbw_gb_per_s'");
}

TEST(Loaders, NegativeField) {
  temp_dir t;
  json j = read_json_file(shipped("gpus/h200-sxm.json"));
  j["memory"]["hbm_gib"] = -141;
  std::string f = t.write_json("g.json", j);
  expect_config_error([&] { load_gpu(f, shipped_calibration()); }, f, "$.memory.hbm_gib", "found -141");
}

TEST(Loaders, ImplausiblyLargeField) {
  temp_dir t;
  json j = read_json_file(shipped("gpus/h200-sxm.json"));
  j["memory"]["hbm_tb_per_s"] = 10000;  // a 10 PB/s GPU is a unit mistake
  std::string f = t.write_json("g.json", j);
  expect_config_error([&] { load_gpu(f, shipped_calibration()); }, f, "$.memory.hbm_tb_per_s", "<= 1000");
}

// A GPU whose SMs have a fraction r of the family reference's tensor peak (the H20) reaches more
// of its lower peak: e' = 1 / (1 + (1/e - 1) r). By hand: e = 0.5, r = 0.25 -> 1 / 1.25 = 0.8;
// e = 0.536, r = 0.253 -> 1 / (1 + 0.86567 x 0.253) = 0.8203. The reference keeps e, and the
// field is optional (1), in (0, 16].
TEST(Loaders, SmTensorRateRaisesTheGemmEfficiency) {
  EXPECT_DOUBLE_EQ(gemm_efficiency_for(0.5, 0.25), 0.8);
  EXPECT_NEAR(gemm_efficiency_for(0.536, 0.253), 0.8203, 1e-4);
  EXPECT_DOUBLE_EQ(gemm_efficiency_for(0.536, 1.0), 0.536);
  EXPECT_DOUBLE_EQ(gemm_efficiency_for(0.536, 0.0), 0.536);  // unset
  EXPECT_DOUBLE_EQ(gemm_efficiency_for(1.0, 0.25), 1.0);     // nothing left to hide
  const calibration cal = shipped_calibration();
  const double e = cal.families.at("hopper").gemm;
  EXPECT_DOUBLE_EQ(load_gpu(shipped("gpus/h200-sxm.json"), cal).spec.gemm_efficiency, e);
  const gpu_entry h20 = load_gpu(shipped("gpus/h20.json"), cal);
  EXPECT_DOUBLE_EQ(h20.spec.sm_tensor_rate, 0.253);
  EXPECT_DOUBLE_EQ(h20.spec.gemm_efficiency, 1.0 / (1.0 + (1.0 / e - 1.0) * 0.253));
  EXPECT_GT(h20.spec.gemm_efficiency, e);
  temp_dir t;
  json j = read_json_file(shipped("gpus/h20.json"));
  j["compute"]["sm_tensor_rate"] = 0;
  std::string f = t.write_json("a.json", j);
  expect_config_error([&] { load_gpu(f, cal); }, f, "$.compute.sm_tensor_rate", "found 0");
  j["compute"]["sm_tensor_rate"] = 17;
  f = t.write_json("b.json", j);
  expect_config_error([&] { load_gpu(f, cal); }, f, "$.compute.sm_tensor_rate", "<= 16");
  j["compute"].erase("sm_tensor_rate");
  f = t.write_json("c.json", j);
  EXPECT_DOUBLE_EQ(load_gpu(f, cal).spec.gemm_efficiency, e);
}

TEST(Loaders, WrongType) {
  temp_dir t;
  json j = read_json_file(shipped("workloads/chat-30tn.json"));
  j["tokens_per_day"] = "30e12";
  std::string f = t.write_json("w.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.tokens_per_day", "found string \"30e12\"");
}

TEST(Loaders, NonIntegerWhereIntegerExpected) {
  temp_dir t;
  json j = read_json_file(shipped("models/llama-3.1-8b.json"));
  j["num_hidden_layers"] = 31.5;
  std::string f = t.write_json("m.json", j);
  expect_config_error([&] { load_model(f); }, f, "$.num_hidden_layers", "expected an integer");
}

TEST(Loaders, ZeroLayerModel) {
  temp_dir t;
  json j = read_json_file(shipped("models/llama-3.1-8b.json"));
  j["num_hidden_layers"] = 0;
  std::string f = t.write_json("m.json", j);
  expect_config_error([&] { load_model(f); }, f, "$.num_hidden_layers", "found 0");
}

TEST(Loaders, KvHeadsMustDivideHeads) {
  temp_dir t;
  json j = read_json_file(shipped("models/llama-3.1-8b.json"));
  j["num_key_value_heads"] = 5;
  std::string f = t.write_json("m.json", j);
  expect_config_error([&] { load_model(f); }, f, "$.num_key_value_heads", "must divide");
}

TEST(Loaders, UnsupportedArchitecture) {
  temp_dir t;
  json j = read_json_file(shipped("models/llama-3.1-8b.json"));
  j["architecture"] = "dens";
  std::string f = t.write_json("m.json", j);
  expect_config_error([&] { load_model(f); }, f, "$.architecture", "did you mean 'dense'");
}

TEST(Loaders, TargetOutOfRange) {
  temp_dir t;
  json j = read_json_file(shipped("workloads/chat-30tn.json"));
  j["tokens_per_day"] = 1e30;
  std::string f = t.write_json("w.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.tokens_per_day", "<= 1e+18");
}

TEST(Loaders, UnknownPrecision) {
  temp_dir t;
  json j = read_json_file(shipped("workloads/chat-30tn.json"));
  j["precisions"]["weights"] = {"bf16", "fp6"};
  std::string f = t.write_json("w.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.precisions.weights[1]", "unknown precision \"fp6\"");
}

TEST(Loaders, AttentionMathIsBf16OrFp8) {
  temp_dir t;
  json j = read_json_file(shipped("workloads/chat-30tn.json"));
  EXPECT_FALSE(load_workload(t.write_json("a.json", j)).spec.fp8_attention);
  j["precisions"]["attention"] = "fp8";
  EXPECT_TRUE(load_workload(t.write_json("b.json", j)).spec.fp8_attention);
  j["precisions"]["attention"] = "int8";
  std::string f = t.write_json("c.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.precisions.attention", "unknown attention math \"int8\"");
}

TEST(Loaders, AdmissionStepsIsAWholeNumberOfSteps) {
  temp_dir t;
  json j = read_json_file(shipped("workloads/chat-30tn.json"));
  EXPECT_EQ(load_workload(t.write_json("a.json", j)).spec.admission_steps, 1.0);  // every step
  j["admission_steps"] = 9;
  EXPECT_EQ(load_workload(t.write_json("b.json", j)).spec.admission_steps, 9.0);
  j["admission_steps"] = 0;
  std::string f = t.write_json("c.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.admission_steps", "expected an integer >= 1 and <= 1024, found 0");
  j["admission_steps"] = 1025;
  f = t.write_json("e.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.admission_steps", "expected an integer >= 1 and <= 1024, found 1025");
  j["admission_steps"] = 1.5;
  f = t.write_json("d.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.admission_steps", "found number 1.5");
}

// moe_overlap: what the engine hides under the expert all-to-all; absent, two batches where that
// pays; a name it does not know is an error naming the field and the names it takes.
TEST(Loaders, MoeOverlapIsTheEnginesNamedMode) {
  temp_dir t;
  json j = read_json_file(shipped("workloads/chat-30tn.json"));
  EXPECT_EQ(load_workload(t.write_json("a.json", j)).spec.moe_overlap_mode, moe_overlap_two_batch);
  const std::pair<const char*, std::uint8_t> names[] = {{"two_batch", moe_overlap_two_batch},
                                                        {"single_batch", moe_overlap_single_batch},
                                                        {"none", moe_overlap_none}};
  for (const auto& n : names) {
    j["moe_overlap"] = n.first;
    EXPECT_EQ(load_workload(t.write_json("b.json", j)).spec.moe_overlap_mode, n.second) << n.first;
    EXPECT_STREQ(moe_overlap_name(n.second), n.first);
  }
  j["moe_overlap"] = "tbo";
  std::string f = t.write_json("c.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.moe_overlap", "expected 'two_batch', 'single_batch' or 'none'");
  j["moe_overlap"] = 1;
  f = t.write_json("d.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.moe_overlap", "expected a string, found");
}

// overlap_scheduler: absent, off (new prompts taken in between steps); true, one step of lag.
TEST(Loaders, OverlapSchedulerIsOneStepOfLag) {
  temp_dir t;
  json j = read_json_file(shipped("workloads/chat-30tn.json"));
  EXPECT_EQ(load_workload(t.write_json("a.json", j)).spec.scheduler_lag_steps, 0.0);
  j["overlap_scheduler"] = true;
  EXPECT_EQ(load_workload(t.write_json("b.json", j)).spec.scheduler_lag_steps, 1.0);
  j["overlap_scheduler"] = false;
  EXPECT_EQ(load_workload(t.write_json("c.json", j)).spec.scheduler_lag_steps, 0.0);
  j["overlap_scheduler"] = "yes";
  const std::string f = t.write_json("d.json", j);
  expect_config_error([&] { load_workload(f); }, f, "$.overlap_scheduler", "expected true or false");
}

TEST(Loaders, UnknownGpuNameSuggestsTheNearest) {
  temp_dir t;
  json j = read_json_file(shipped("clusters/bytedance-h200-overseas.json"));
  j["sites"][1]["gpu"] = "h200-sx";
  std::string f = t.write_json("c.json", j);
  expect_config_error([&] { load_cluster(f, shipped_gpu_dirs(), shipped_calibration()); }, f, "$.sites[1].gpu", "did you mean 'h200-sxm'");
}

TEST(Loaders, DuplicateSiteNames) {
  temp_dir t;
  json j = read_json_file(shipped("clusters/bytedance-h200-overseas.json"));
  j["sites"][2]["name"] = j["sites"][0]["name"];
  std::string f = t.write_json("c.json", j);
  expect_config_error([&] { load_cluster(f, shipped_gpu_dirs(), shipped_calibration()); }, f, "$.sites[2].name", "duplicate site name");
}

TEST(Loaders, PowerPriceRequiredWhenTheLeaseExcludesPower) {
  temp_dir t;
  json j = read_json_file(shipped("clusters/bytedance-h200-overseas.json"));
  j["sites"][0]["price_includes_power"] = false;
  std::string f = t.write_json("c.json", j);
  expect_config_error([&] { load_cluster(f, shipped_gpu_dirs(), shipped_calibration()); }, f, "$.sites[0].usd_per_kwh", "required field is missing");
}

TEST(Loaders, EmptySiteList) {
  temp_dir t;
  json j = read_json_file(shipped("clusters/bytedance-h200-overseas.json"));
  j["sites"] = json::array();
  std::string f = t.write_json("c.json", j);
  expect_config_error([&] { load_cluster(f, shipped_gpu_dirs(), shipped_calibration()); }, f, "$.sites", "at least one element");
}

TEST(Loaders, GpuFileErrorsNameTheGpuFile) {
  temp_dir t;
  json g = read_json_file(shipped("gpus/h200-sxm.json"));
  g["power"]["kw_per_gpu"] = 0;
  t.write_json("gpus/h200-sxm.json", g);
  std::string c = t.write("clusters/c.json", testing::read_text(shipped("clusters/bytedance-h200-overseas.json")));
  expect_config_error([&] { load_cluster(c, {t.path("gpus")}, shipped_calibration()); }, t.path("gpus/h200-sxm.json"), "$.power.kw_per_gpu",
                      "found 0");
}

TEST(Loaders, GridErrors) {
  temp_dir t;
  std::string f = t.write_json("g.json", json{{"tp", json::array()}});
  expect_config_error([&] { load_grid(f, testing::llama8b_shape()); }, f, "$.tp", "at least one element");
  f = t.write_json("g.json", json{{"batch", {{"min", 8}, {"max", 4}}}});
  expect_config_error([&] { load_grid(f, testing::llama8b_shape()); }, f, "$.batch.max", "found 4");
  std::vector<int> many(40);
  for (int i = 0; i < 40; ++i) many[i] = i + 1;
  f = t.write_json("g.json", json{{"pp", many}});
  expect_config_error([&] { load_grid(f, testing::llama8b_shape()); }, f, "$.pp", "at most 32 values");
  f = t.write_json("g.json", json{{"tp", {1, -2}}});
  expect_config_error([&] { load_grid(f, testing::llama8b_shape()); }, f, "$.tp[1]", "found number -2");
  f = t.write_json("g.json", json{{"chunk", {1024}}});
  expect_config_error([&] { load_grid(f, testing::llama8b_shape()); }, f, "$.chunk", "did you mean 'chunk_tokens'");
}

TEST(Loaders, GridFileOverridesOnlyWhatItNames) {
  temp_dir t;
  std::string f = t.write_json("g.json", json{{"tp", {8, 1, 8}}, {"batch", {{"min", 1}, {"max", 8}, {"per_octave", 1}}}});
  grid_request g = load_grid(f, testing::llama8b_shape());
  EXPECT_EQ(g.agg.tp, (std::vector<std::uint32_t>{1, 8}));
  EXPECT_EQ(g.decode.tp, (std::vector<std::uint32_t>{1, 8}));
  EXPECT_EQ(g.agg.batch, (std::vector<std::uint32_t>{1, 2, 4, 8}));
  EXPECT_EQ(g.decode.batch, (std::vector<std::uint32_t>{1, 2, 4, 8}));
  EXPECT_EQ(g.agg.pp, default_grid(testing::llama8b_shape()).agg.pp);
}

plan_inputs shipped_inputs() {
  plan_inputs in;
  in.cal = shipped_calibration();
  in.model = load_model(shipped("models/llama-3.1-8b.json"));
  in.workload = load_workload(shipped("workloads/chat-30tn.json"));
  in.cluster = load_cluster(shipped("clusters/bytedance-h200-overseas.json"), shipped_gpu_dirs(), shipped_calibration());
  in.grid = default_grid(in.model.spec);
  return in;
}

TEST(ProblemBuilder, WorkloadLongerThanTheModelsContext) {
  plan_inputs in = shipped_inputs();
  in.model.spec.max_context = 1000;
  expect_config_error([&] { build_problem(in); }, in.workload.file.path, "$.input_tokens", "exceeds the context");
}

TEST(ProblemBuilder, GridSiteMissingFromTheCluster) {
  plan_inputs in = shipped_inputs();
  in.grid.origin = "grid.json";
  in.grid.sites = {"johor-my", "singapor"};
  expect_config_error([&] { build_problem(in); }, "grid.json", "$.sites[1]", "did you mean 'singapore'");
}

TEST(ProblemBuilder, NoAllowedPrecisionOnTheGrid) {
  plan_inputs in = shipped_inputs();
  in.workload.weight_precisions = {prec_fp4};
  in.grid.weight_precisions = {prec_bf16, prec_fp8};
  expect_config_error([&] { build_problem(in); }, in.workload.file.path, "$.precisions.weights", "none of");
}

TEST(ProblemBuilder, DefaultGridHasAtLeastOneHundredThousandPointsPerSite) {
  plan_inputs in = shipped_inputs();
  auto p = build_problem(in);
  EXPECT_GE(grid_size(p->grid) / p->grid.n_site, 100000u);
  EXPECT_EQ(p->sites[0].type_gpus_available, 20000.0);
}

}  // namespace
}  // namespace tokenplan

namespace tokenplan {
namespace {

TEST(Loaders, SiteInterconnectOverridesTheGpuDefault) {
  plan_inputs in;
  in.cal = shipped_calibration();
  in.model = load_model(shipped("models/llama-3.1-8b.json"));
  in.workload = load_workload(shipped("workloads/chat-30tn.json"));
  in.cluster = load_cluster(shipped("clusters/bytedance-h200-overseas.json"), shipped_gpu_dirs(), shipped_calibration());
  in.grid = default_grid(in.model.spec);
  auto p = build_problem(in);
  EXPECT_EQ(p->sites[0].gpu.scale_out_bytes_per_s, 46e9);
  EXPECT_EQ(p->sites[2].gpu.scale_out_bytes_per_s, 40e9);  // riyadh-sa: RoCE
  EXPECT_DOUBLE_EQ(p->sites[2].gpu.scale_out_latency_s, 8e-6);
  EXPECT_FALSE(in.cluster.sites[2].interconnect.empty());
}

TEST(Loaders, SiteInterconnectIsValidated) {
  temp_dir t;
  json j = read_json_file(shipped("clusters/bytedance-h200-overseas.json"));
  j["sites"][1]["interconnect"]["scale_out_gbps"] = 50;
  std::string f = t.write_json("c.json", j);
  expect_config_error([&] { load_cluster(f, shipped_gpu_dirs(), shipped_calibration()); }, f, "$.sites[1].interconnect.scale_out_gbps",
                      "did you mean 'scale_out_gb_per_s'");
}

}  // namespace
}  // namespace tokenplan
