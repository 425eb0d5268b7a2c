// Validation's layout search for a disaggregated point whose pools are published and whose layout
// is not (SGLang's GB200 blogs: 8 prefill GPUs, 48 decode GPUs, attention DP and large-scale EP):
// each pool is also tried whole, attention DP = EP = its GPUs, and never beyond its GPUs. A
// constructed DeepSeek-V3 point (values made up: only the configurations chosen and the model's
// answers against each other are checked).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shipped_roots.hpp"
#include "temp_dir.hpp"
#include "validate/validation.hpp"

namespace tokenplan {
namespace {

using testing::shipped;
using testing::shipped_roots;

// DeepSeek-V3 on GB200, 8 prefill and 48 decode GPUs, attention DP; `layout` adds published
// parallelism fields (e.g. "\"ep\":8,\"dp\":8,") or none.
std::string pool_point(const std::string& id, const std::string& layout, const std::string& metric) {
  return R"({"id":")" + id + R"(","model":"deepseek-v3","gpu":"gb200","gpus":48,"engine":"sglang",)"
         R"("parallelism":{)" + layout + R"("attention_dp":true,"disaggregated":true,"prefill_gpus":8,"decode_gpus":48},)"
         R"("precision":{"weights":"fp8","kv_cache":"fp8"},)"
         R"("workload":{"input_tokens_mean":2000,"output_tokens_mean":1000},)"
         R"("operating_point":{"kind":"max_throughput"},)"
         R"("metric":")" + metric + R"(","scope":"per_gpu","value":1000,"source":"constructed for this test"})";
}

std::uint32_t gpus(const layout& l) { return l.tp * l.pp * l.dp; }

TEST(ValidationLayouts, APublishedPoolWithoutALayoutIsTriedWhole) {
  testing::temp_dir t;
  const std::string text = pool_point("decode", "", "output_tokens_per_s") + "\n" +
                           pool_point("decode-ep8", R"("tp":1,"ep":8,"dp":8,)", "output_tokens_per_s") + "\n" +
                           pool_point("prefill", "", "input_tokens_per_s") + "\n";
  const std::vector<validation_point> points = load_points(t.write("p.jsonl", text));
  predictor pred(points, shipped_roots(), load_calibration(shipped("calibration.json")));
  const point_result whole = pred.predict(0), ep8 = pred.predict(1), prefill = pred.predict(2);
  ASSERT_TRUE(whole.predicted && ep8.predicted && prefill.predicted) << whole.why_not << ep8.why_not << prefill.why_not;
  // The decode pool runs as one instance over its 48 GPUs: each GPU holds 256 / 48 routed experts
  // where EP8 holds 32, and reads six times fewer expert weights a step.
  const layout& d = whole.best.cfg.main.lay;
  EXPECT_EQ(d.dp, 48u);
  EXPECT_EQ(d.ep, 48u);
  EXPECT_EQ(d.tp, 1u);
  EXPECT_GT(whole.value, ep8.value);
  // A published layout is kept: EP8 instances, never the whole pool.
  EXPECT_EQ(ep8.best.cfg.main.lay.ep, 8u);
  EXPECT_EQ(gpus(ep8.best.cfg.main.lay), 8u);
  // Each pool within its own GPUs: the prefill pool never takes the decode pool's 48.
  EXPECT_LE(gpus(whole.best.cfg.prefill.lay), 8u);
  EXPECT_LE(gpus(prefill.best.cfg.prefill.lay), 8u);
}

}  // namespace
}  // namespace tokenplan
