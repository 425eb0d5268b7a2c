// Open bursts (kind "burst": a fixed number of prompts submitted at once, timed to the last
// answer): burst_makespan by hand, and the shipped bursts predicted as finite jobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "temp_dir.hpp"
#include "shipped_roots.hpp"
#include "tokenplan/burst.hpp"
#include "validate/validation.hpp"

namespace tokenplan {
namespace {

using testing::shipped_roots;

using testing::shipped;

// An open burst (kind "burst": N prompts at once, timed to the last answer) by hand. One rank, 4
// prompts of 100 tokens, chunk 200, answers of 3 tokens, a decode-only cycle of 10 ms at one
// sequence and 20 ms at 4 (affine between), 0.1 ms per prompt token: the fill takes 400 / 200 = 2
// steps at 10 ms plus 400 x 0.1 ms = 60 ms; the first token comes with the prefill, so the drain
// is 2 steps at 4 sequences, 40 ms; 100 ms in all. With 2 slots the 2 queued prompts wait
// 2 x 3 / 2 = 3 steps at 2 sequences (13.33 ms each), then the last 2 drain in 2 steps at 2.
TEST(Validation, AnOpenBurstByHand) {
  burst_cycles c{};
  c.n = 2;
  c.batch[0] = 1.0;
  c.cycle_s[0] = 0.010;
  c.batch[1] = 4.0;
  c.cycle_s[1] = 0.020;
  burst_shape s{};
  s.requests = 4.0;
  s.slots = 4.0;
  s.dp = 1.0;
  s.chunk = 200.0;
  s.prompt_tokens = 100.0;
  s.output_mean = 3.0;
  s.tokens_per_step = 1.0;
  EXPECT_NEAR(burst_makespan(s, c, 1e-4), 0.100, 1e-12);
  s.slots = 2.0;
  const double at2 = 0.010 + (0.020 - 0.010) / 3.0;
  EXPECT_NEAR(burst_makespan(s, c, 1e-4), 0.060 + 3.0 * at2 + 2.0 * at2, 1e-12);
  // Spread answers: the drain runs to the longest, each step at the share still decoding. A
  // lognormal's survival at its median is a half: the step at 100 of 4 answers of median 100 has
  // two sequences (13.33 ms).
  s.slots = 4.0;
  s.output_mean = 100.0 * std::exp(0.5 * 0.25);  // sigma 0.5: median 100
  s.output_sigma = 0.5;
  s.output_max = 0.0;
  double drain = 0.0;
  for (int k = 1;; ++k) {
    const double left = 4.0 * (1.0 - queueing::normal_cdf((std::log(double(k)) - std::log(100.0)) / 0.5));
    if (left < 0.5) break;
    drain += 0.010 + (std::max(1.0, left) - 1.0) / 3.0 * 0.010;
  }
  EXPECT_NEAR(burst_makespan(s, c, 1e-4), 0.060 + drain, 1e-9);
  EXPECT_NEAR(4.0 * detail::answers_longer(100.0, s.output_mean, 0.5, 0.0), 2.0, 1e-6);
  // A cap ends the drain there, and a longer burst never finishes sooner.
  s.output_max = 150.0;
  const double capped = burst_makespan(s, c, 1e-4);
  EXPECT_LT(capped, 0.060 + drain);
  s.requests = 8.0;
  EXPECT_GT(burst_makespan(s, c, 1e-4), capped);
}

// The open bursts shipped: a ShareGPT burst's throughput is its work over the drain the longest
// answers pace, far below the steady state of the same configuration at the same batch; a burst
// of fixed-length answers is about its steady state; the in-flight count never exceeds the prompts.
TEST(Validation, ShippedBurstsAreFiniteJobs) {
  std::vector<validation_point> points;
  for (const validation_point& p : load_points(shipped("validation/candidate-points.jsonl"))) {
    if (p.kind == "burst") points.push_back(p);
  }
  ASSERT_GE(points.size(), 10u);
  predictor pred(points, shipped_roots(), load_calibration(shipped("calibration.json")));
  for (std::size_t i = 0; i < points.size(); ++i) {
    const point_result r = pred.predict(i);
    ASSERT_TRUE(r.predicted) << points[i].id << ": " << r.why_not;
    const double slots = double(r.best.cfg.main.batch) * r.best.cfg.main.lay.dp;
    EXPECT_LE(slots, points[i].requests + r.best.cfg.main.lay.dp) << points[i].id;
    const pool_metrics& m = r.best.m.main;
    const double steady = points[i].metric == "output_tokens_per_s" ? m.output_tokens_per_s : m.requests_per_s;
    const double burst = points[i].metric == "output_tokens_per_s"
                             ? r.value
                             : r.value / (points[i].input_tokens + points[i].output_tokens);
    const double instances = std::floor(points[i].gpus / m.gpus_per_instance);
    // Answers of spread lengths drain at a falling batch: well under the steady state. Answers of
    // one length end together, and a burst is about the steady state (its prefill runs in full
    // chunks, so it may edge past a steady state whose chunks the decodes crowd).
    if (points[i].output_max > 0.0) EXPECT_LT(burst, 0.6 * steady * instances) << points[i].id;
    else EXPECT_LT(burst, 1.1 * steady * instances) << points[i].id;
  }
}

}  // namespace
}  // namespace tokenplan
