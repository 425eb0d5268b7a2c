// Points at a stated request rate (kind "request_rate": Poisson arrivals, as vllm bench serve
// --request-rate sends them): the loader's checks, and the prediction at the occupancy Little's
// law gives, on a constructed Llama-3.1-70B point (values made up: only the model's answers are
// checked, against each other and against Little's law).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/errors.hpp"
#include "shipped_roots.hpp"
#include "temp_dir.hpp"
#include "validate/validation.hpp"

namespace tokenplan {
namespace {

using testing::shipped;
using testing::shipped_roots;

// One H200, TP1, FP8, 1,000-token prompts and 200-token answers at `rate` requests per second.
std::string rate_point(const std::string& id, double rate, const std::string& metric, const std::string& stat) {
  return R"({"id":")" + id + R"(","model":"llama-3.1-70b","gpu":"h200-sxm","gpus":1,"engine":"vllm",)"
         R"("parallelism":{"tp":1},"precision":{"weights":"fp8","kv_cache":"fp8"},)"
         R"("workload":{"input_tokens_mean":1000,"output_tokens_mean":200},)"
         R"("operating_point":{"kind":"request_rate","request_rate":)" + std::to_string(rate) + R"(},)"
         R"("metric":")" + metric + "\"" + (stat.empty() ? std::string() : R"(,"value_statistic":")" + stat + "\"") +
         R"(,"scope":"system","value":100,"source":"constructed for this test"})";
}

TEST(RequestRate, TheRateIsRequiredAndBelongsToItsKind) {
  testing::temp_dir t;
  const std::string good = rate_point("a", 2.0, "tpot_ms", "mean");
  EXPECT_DOUBLE_EQ(load_points(t.write("a.jsonl", good + "\n")).at(0).request_rate, 2.0);
  auto expect_error = [&](const std::string& text, const std::string& needle,
                          const std::string& path = "$.operating_point.request_rate") {
    try {
      load_points(t.write("b.jsonl", text + "\n"));
      ADD_FAILURE() << "expected config_error: " << needle;
    } catch (const config_error& e) {
      EXPECT_EQ(e.json_path(), path);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  // The rate is the client's, over the whole system.
  std::string per_gpu = good;
  per_gpu.replace(per_gpu.find("\"scope\":\"system\""), 16, "\"scope\":\"per_gpu\"");
  expect_error(per_gpu, "a request rate is the whole system's", "$.scope");
  std::string none = good;
  none.replace(none.find(",\"request_rate\":"), std::string(",\"request_rate\":2.000000").size(), "");
  expect_error(none, "needs \"request_rate\"");
  std::string other = good;
  other.replace(other.find("\"kind\":\"request_rate\""), 21, "\"kind\":\"max_throughput\"");
  expect_error(other, "only kind \"request_rate\" has a request rate");
  std::string zero = good;
  zero.replace(zero.find("2.000000"), 8, "0");
  expect_error(zero, "");
}

TEST(RequestRate, LatencyGrowsWithTheRateAndTheOccupancyKeepsLittlesLaw) {
  const std::vector<double> rates = {0.5, 2.0, 4.0};
  std::vector<validation_point> points;
  testing::temp_dir t;
  std::string text;
  for (double r : rates) {
    text += rate_point("ttft", r, "ttft_ms", "p99") + "\n" + rate_point("tpot", r, "tpot_ms", "mean") + "\n" +
            rate_point("tps", r, "output_tokens_per_s", "") + "\n";
  }
  text += rate_point("over", 200.0, "output_tokens_per_s", "") + "\n";
  points = load_points(t.write("r.jsonl", text));
  predictor pred(points, shipped_roots(), load_calibration(shipped("calibration.json")));
  double last_ttft = 0.0, last_tpot = 0.0;
  std::uint32_t last_batch = 0;
  for (std::size_t k = 0; k < rates.size(); ++k) {
    const point_result ttft = pred.predict(3 * k), tpot = pred.predict(3 * k + 1), tps = pred.predict(3 * k + 2);
    ASSERT_TRUE(ttft.predicted && tpot.predicted && tps.predicted) << ttft.why_not << tpot.why_not << tps.why_not;
    // Below capacity every request is served: the output rate is the offered rate's.
    EXPECT_NEAR(tps.value, rates[k] * 200.0, rates[k] * 200.0 * 1e-9) << rates[k];
    // Little's law at the occupancy found: sequences in flight = rate x a request's hold, the
    // batch the whole number at or above it (within the half sequence the iteration stops at).
    const pool_metrics& m = tpot.best.m.main;
    EXPECT_GE(double(tpot.best.cfg.main.batch), rates[k] * m.queue_hold_s - 0.5) << rates[k];
    EXPECT_LE(double(tpot.best.cfg.main.batch), rates[k] * m.queue_hold_s + 1.5) << rates[k];
    // More load: more sequences in flight, slower steps, longer waits.
    EXPECT_GT(tpot.best.cfg.main.batch, last_batch) << rates[k];
    EXPECT_GT(tpot.value, last_tpot) << rates[k];
    EXPECT_GT(ttft.value, last_ttft) << rates[k];
    last_batch = tpot.best.cfg.main.batch;
    last_tpot = tpot.value;
    last_ttft = ttft.value;
  }
  // Beyond capacity the configuration serves its capacity (0.999 of it) at the engine's cap.
  const point_result over = pred.predict(3 * rates.size());
  ASSERT_TRUE(over.predicted) << over.why_not;
  const pool_metrics& m = over.best.m.main;
  EXPECT_NEAR(over.value, m.output_tokens_per_s * 0.999, 1e-9 * over.value);
  EXPECT_LT(over.value, 200.0 * 200.0);
}

// A median inter-token latency (engine benchmarks' median_itl_ms) is the median gap over steps:
// at 2 requests/s a few steps in a hundred carry a prompt, so it is the decode-only cycle, below the
// mean TPOT (which averages the chunk-carrying steps in) and below one step's p99.
TEST(RequestRate, AMedianInterTokenLatencyIsTheDecodeOnlyStep) {
  testing::temp_dir t;
  const std::string text = rate_point("itl", 2.0, "itl_ms", "p50") + "\n" + rate_point("tpot", 2.0, "tpot_ms", "mean") +
                           "\n" + rate_point("itl99", 2.0, "itl_ms", "p99") + "\n";
  const std::vector<validation_point> points = load_points(t.write("i.jsonl", text));
  predictor pred(points, shipped_roots(), load_calibration(shipped("calibration.json")));
  const point_result itl = pred.predict(0), tpot = pred.predict(1), itl99 = pred.predict(2);
  ASSERT_TRUE(itl.predicted && tpot.predicted && itl99.predicted) << itl.why_not << tpot.why_not << itl99.why_not;
  EXPECT_EQ(point_category(points[0], false), "tpot");
  EXPECT_DOUBLE_EQ(itl.value, itl.best.m.latency.itl_p50_s * 1e3);
  EXPECT_LT(itl.value, tpot.value);
  EXPECT_LT(tpot.value, itl99.value);
}

}  // namespace
}  // namespace tokenplan
