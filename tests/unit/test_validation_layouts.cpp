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
#include "base/errors.hpp"
#include "validate/validation.hpp"

namespace tokenplan {
namespace {

using testing::shipped;
using testing::shipped_roots;

// DeepSeek-V3 on GB200, 8 prefill and 48 decode GPUs, attention DP; `layout` adds published
// parallelism fields (e.g. "\"ep\":8,\"dp\":8,") or none.
std::string pool_point(const std::string& id, const std::string& layout, const std::string& metric,
                       const std::string& op_extra = "") {
  return R"({"id":")" + id + R"(","model":"deepseek-v3","gpu":"gb200","gpus":48,"engine":"sglang",)"
         R"("parallelism":{)" + layout + R"("attention_dp":true,"disaggregated":true,"prefill_gpus":8,"decode_gpus":48},)"
         R"("precision":{"weights":"fp8","kv_cache":"fp8"},)"
         R"("workload":{"input_tokens_mean":2000,"output_tokens_mean":1000},)"
         R"("operating_point":{"kind":"max_throughput")" + op_extra + R"(},)"
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

// The engine's step budget as the source ran it (operating_point.engine_max_tokens: SGLang's
// chunked_prefill_size 8192 divided by its 8 attention-DP ranks, vLLM's max_num_batched_tokens)
// fixes the chunk a point is predicted at, where it is otherwise searched (2,048-16,384). A
// prefill-bound burst of 2,000-token prompts runs more, smaller steps at 1,024 tokens a rank, each
// reading the weights once: it cannot be faster than at the best chunk the search would take.
TEST(ValidationLayouts, APublishedStepBudgetFixesTheChunk) {
  testing::temp_dir t;
  auto burst = [](const std::string& id, const std::string& budget) {
    return R"({"id":")" + id + R"(","model":"deepseek-r1","gpu":"h200-sxm","gpus":8,"engine":"sglang",)"
           R"("parallelism":{"tp":1,"ep":8,"dp":8,"attention_dp":true},)"
           R"("precision":{"weights":"fp8","kv_cache":"fp8"},)"
           R"("workload":{"input_tokens_mean":2000,"output_tokens_mean":100},)"
           R"("operating_point":{"kind":"burst","requests":500)" + budget + R"(},)"
           R"("metric":"total_tokens_per_s","scope":"system","value":19000,"source":"constructed for this test"})";
  };
  const std::vector<validation_point> points =
      load_points(t.write("b.jsonl", burst("searched", "") + "\n" + burst("budget", R"(,"engine_max_tokens":1024)") + "\n"));
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].engine_max_tokens, 0u);
  EXPECT_EQ(points[1].engine_max_tokens, 1024u);
  predictor pred(points, shipped_roots(), load_calibration(shipped("calibration.json")));
  const point_result searched = pred.predict(0), budget = pred.predict(1);
  ASSERT_TRUE(searched.predicted && budget.predicted) << searched.why_not << budget.why_not;
  EXPECT_EQ(budget.best.cfg.main.chunk, 1024u);
  EXPECT_GE(searched.best.cfg.main.chunk, 2048u);
  EXPECT_LT(budget.value, searched.value);
  // On a disaggregated point it is the prefill pool's chunk (6,144: none of the searched values).
  const std::vector<validation_point> pools = load_points(
      t.write("d.jsonl", pool_point("prefill", "", "input_tokens_per_s", R"(,"engine_max_tokens":6144)") + "\n"));
  predictor pool_pred(pools, shipped_roots(), load_calibration(shipped("calibration.json")));
  const point_result prefill = pool_pred.predict(0);
  ASSERT_TRUE(prefill.predicted) << prefill.why_not;
  EXPECT_EQ(prefill.best.cfg.prefill.chunk, 6144u);
  // null is unpublished; a budget below 16 or above 10,000,000 tokens is no engine's: the file,
  // the field and the reason.
  EXPECT_EQ(load_points(t.write("n.jsonl", burst("null", R"(,"engine_max_tokens":null)") + "\n")).at(0).engine_max_tokens, 0u);
  for (const char* bad : {R"(,"engine_max_tokens":8)", R"(,"engine_max_tokens":20000000)"}) {
    const std::string f = t.write("c.jsonl", burst("bad", bad) + "\n");
    try {
      load_points(f);
      ADD_FAILURE() << "expected config_error for " << bad;
    } catch (const config_error& e) {
      EXPECT_EQ(e.file(), f + ":1");
      EXPECT_EQ(e.json_path(), "$.operating_point.engine_max_tokens");
      EXPECT_NE(std::string(e.what()).find("expected an integer >= 16 and <= 10000000"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tokenplan
