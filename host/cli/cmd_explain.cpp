// tokenplan explain: one configuration's full breakdown, from the same model code the grid
// search runs (evaluate_config), as JSON or as a table.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "io/atomic_file.hpp"
#include "cli/cli_support.hpp"
#include "cli/commands.hpp"
#include "base/errors.hpp"
#include "search/plan.hpp"
#include "base/format.hpp"
#include "search/describe.hpp"
#include "base/text.hpp"

#ifndef TOKENPLAN_VERSION
#define TOKENPLAN_VERSION "0.0.0-dev"
#endif

namespace tokenplan {

namespace {

const char* const explain_help = R"(tokenplan explain - one serving configuration, every term of the model

Usage:
  tokenplan explain --model NAME|FILE --workload NAME|FILE --config JSON|@FILE
                    (--gpu NAME|FILE | --cluster NAME|FILE --site NAME) [options]

Inputs:
  --model, --workload   a shipped name (see configs/models, configs/workloads) or a file
  --gpu NAME|FILE       the GPU; the site is then one 8-GPU-node site priced by
                        --usd-per-gpu-hour (default 0, so costs read 0)
  --cluster NAME|FILE --site NAME   take GPU, node size, prices and network from a cluster's site
  --config JSON         the configuration, inline or @file. Aggregated:
                          {"tp":8, "pp":1, "ep":1, "dp":1, "batch":64, "chunk":8192,
                           "weight_precision":"fp8", "kv_precision":"fp8", "draft_tokens":0}
                        Disaggregated (batch and chunk are per attention-DP rank):
                          {"mode":"disaggregated", "weight_precision":"fp8",
                           "prefill":{"tp":1,"ep":32,"dp":32,"chunk":8192},
                           "decode":{"tp":1,"ep":144,"dp":144,"batch":96}}
  --engine NAME, --calibration FILE   as for plan
  --gpus-per-node N     node size with --gpu (default 8)

Output:
  --format json|table (default table, 80 columns; --wide: 100)   --out FILE (atomic)

It prints memory per GPU by part, the time of one engine step by component with the roofline
bound each part hits (compute, memory, latency or network), two-batch overlap, TPOT, TTFT,
throughput, and the fleet that would serve the workload's peak. The numbers are those the grid
search computes for the same configuration.

Examples:
  tokenplan explain --model llama-3.1-70b --gpu h200-sxm --workload chat-30tn \
      --config '{"tp":2,"batch":128,"chunk":8192,"weight_precision":"fp8","kv_precision":"fp8"}'
  tokenplan explain --model deepseek-v3 --gpu h800 --workload deepseek-day --format json \
      --config '{"mode":"disaggregated","weight_precision":"fp8","kv_precision":"bf16",
                 "draft_tokens":1,"prefill":{"tp":1,"ep":32,"dp":32,"chunk":16384},
                 "decode":{"tp":1,"ep":144,"dp":144,"batch":96}}'
)";

/// Reads one pool's layout, chunk and batch from a --config object.
pool_config read_pool(field_reader& r, bool want_chunk, bool want_batch, std::uint32_t default_chunk) {
  pool_config p{};
  p.lay.tp = r.integer_or("tp", 1, 1, 4096);
  p.lay.pp = r.integer_or("pp", 1, 1, 4096);
  p.lay.ep = r.integer_or("ep", 1, 1, 65536);
  p.lay.dp = r.integer_or("dp", 1, 1, 65536);
  if (want_chunk) p.chunk = r.integer_or("chunk", default_chunk, 1, 10000000);
  if (want_batch) p.batch = r.integer("batch", 1, 10000000);
  return p;
}

std::uint8_t read_format(field_reader& r, const char* key, std::uint8_t fallback) {
  r.allow(key);
  if (!r.has(key)) return fallback;
  std::string s = r.string(key);
  std::uint8_t p = 0;
  if (!parse_precision(s, &p)) r.fail(key, "unknown precision \"" + s + "\"" + did_you_mean(s, {"bf16", "fp8", "fp4"}));
  return p;
}

serving_config read_config(const std::string& arg) {
  std::string text = arg;
  std::string file = "--config";
  if (!arg.empty() && arg[0] == '@') {
    input_file f = read_input_file(arg.substr(1));
    text = f.text;
    file = f.path;
  }
  input_file in;
  in.path = file;
  in.text = text;
  json j = parse_json(in);
  field_reader r(j, file, "$");
  serving_config c{};
  const std::string mode = r.string_or("mode", r.has("prefill") || r.has("decode") ? "disaggregated" : "aggregated");
  if (mode != "aggregated" && mode != "disaggregated") {
    r.fail("mode", "unknown mode \"" + mode + "\"" + did_you_mean(mode, {"aggregated", "disaggregated"}));
  }
  c.wprec = read_format(r, "weight_precision", prec_bf16);
  c.kvprec = read_format(r, "kv_precision", c.wprec == prec_bf16 ? prec_bf16 : prec_fp8);
  c.draft = r.integer_or("draft_tokens", 0, 0, 16);
  if (mode == "disaggregated") {
    c.mode = mode_disaggregated;
    field_reader p = r.object("prefill");
    c.prefill = read_pool(p, true, false, 8192);
    p.finish();
    field_reader d = r.object("decode");
    c.main = read_pool(d, false, true, 0);
    d.finish();
  } else {
    c.mode = mode_aggregated;
    c.main = read_pool(r, true, true, 8192);
    r.allow("prefill");
    r.allow("decode");
  }
  r.finish();
  return c;
}

std::string fmt(const char* f, double x) {
  char buf[96];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

constexpr double gib = 1024.0 * 1024.0 * 1024.0;

void pool_table(std::ostringstream& o, const char* name, const pool_metrics& p, const serving_config& c, bool prefill,
                double gpn) {
  const pool_config& pc = prefill ? c.prefill : c.main;
  o << name << " pool: " << layout_code(pc.lay) << ", " << as_count(p.gpus_per_instance) << " GPUs per instance ("
    << fmt("%.3g", p.gpus_per_instance / gpn) << " nodes)";
  if (prefill) {
    o << ", " << pc.chunk << "-token chunks per rank\n";
  } else {
    o << ", " << group_digits(as_count(p.concurrency)) << " concurrent sequences (" << pc.batch << " per rank)\n";
  }
  o << "  memory per GPU (GiB): weights " << fmt("%.2f", p.weight_bytes / gib) << " (attention "
    << fmt("%.2f", p.weight_attention_bytes / gib) << ", dense " << fmt("%.2f", p.weight_dense_bytes / gib)
    << ", experts " << fmt("%.2f", p.weight_expert_bytes / gib) << ", embeddings "
    << fmt("%.2f", p.weight_embedding_bytes / gib) << "), activations " << fmt("%.2f", p.activation_bytes / gib)
    << ", KV " << fmt("%.2f", p.kv_bytes_needed / gib) << " needed of " << fmt("%.2f", p.kv_bytes_available / gib)
    << " available (" << fmt("%.0f", p.kv_bytes_per_token) << " B per token)\n";
  o << "  one step of the slowest stage: " << fmt("%.1f", p.decode_tokens_per_step) << " decode + "
    << fmt("%.1f", p.prefill_tokens_per_step) << " prefill tokens per micro-batch, " << fmt("%.0f", p.micro_batches)
    << " micro-batch(es)\n";
  o << "    component                       ms   bound\n";
  for (int k = 0; k < comp_count; ++k) {
    if (p.step.time_s[k] <= 0.0) continue;
    char line[160];
    std::snprintf(line, sizeof line, "    %-25s %9.3f   %s\n", component_name(static_cast<std::uint8_t>(k)),
                  p.step.time_s[k] * 1e3, bound_name(p.step, k));
    o << line;
  }
  if (p.step.overlap_hidden_s > 0.0) {
    o << (p.step.two_batch_overlap > 0.0 ? "    two-batch overlap hides   " : "    one-batch overlap hides   ")
      << fmt("%9.3f", -p.step.overlap_hidden_s * 1e3) << "\n";
  }
  o << "    stage                     " << fmt("%9.3f", p.step.stage_s * 1e3) << "\n";
  o << "  cycle " << fmt("%.2f", p.cycle_s * 1e3) << " ms = (PP x stage + hand-offs " << fmt("%.2f", p.pp_hops_s * 1e3)
    << " ms + host work " << fmt("%.2f", p.host_overhead_s * 1e3) << " ms) x engine factor";
  if (!prefill) {
    o << ", " << fmt("%.2f", p.tokens_per_cycle) << " tokens per cycle: TPOT " << fmt("%.2f", p.tpot_s * 1e3) << " ms";
  }
  o << "\n  per instance: " << short_number(p.output_tokens_per_s) << " output tok/s, " << short_number(p.prompt_tokens_per_s)
    << " uncached prompt tok/s, " << fmt("%.3g", p.requests_per_s) << " req/s; per GPU "
    << short_number((prefill ? p.prompt_tokens_per_s : p.output_tokens_per_s) / p.gpus_per_instance)
    << (prefill ? " prompt" : " output") << " tok/s\n";
}

std::string explain_table(const plan_inputs& in, const problem& prob, const evaluation& e) {
  std::ostringstream o;
  const site_entry& site = in.cluster.sites[e.cfg.site];
  const double gpn = prob.sites[e.cfg.site].gpus_per_node;
  const metrics& m = e.m;
  o << "tokenplan explain: " << in.model.name << " on " << site.gpu << " (" << site.name << "), workload "
    << in.workload.name << ", engine " << printable(in.engine) << "\n";
  o << "config: " << (e.cfg.mode == mode_disaggregated ? "disaggregated" : "aggregated") << ", weights "
    << precision_name(e.cfg.wprec) << ", KV " << precision_name(e.cfg.kvprec) << ", " << e.cfg.draft
    << " speculative draft token(s)\n";
  o << "verdict: " << reason_name(e.reason) << "\n\n";
  if (e.reason == reason_parallelism || e.reason == reason_precision) {
    o << (e.reason == reason_parallelism ? "This layout cannot run this model on this GPU (TP beyond the NVLink domain or "
                                           "not dividing the heads, PP beyond the layers, EP not tiling TP x DP or "
                                           "beyond the experts)."
                                         : "This GPU has no tensor cores for the chosen format.")
      << "\n";
    return fit_to_width(o.str());
  }
  if (e.cfg.mode == mode_disaggregated) {
    pool_table(o, "prefill", m.prefill, e.cfg, true, gpn);
    o << "\n";
    pool_table(o, "decode", m.main, e.cfg, false, gpn);
    o << "\nKV transfer per tail request " << fmt("%.2f", m.kv_transfer_s * 1e3) << " ms, "
      << fmt("%.2f", m.kv_transfer_exposed_s * 1e3) << " ms exposed after layer-wise overlap\n";
  } else {
    pool_table(o, "aggregated", m.main, e.cfg, false, gpn);
  }
  o << "\nlatency: TTFT " << fmt("%.1f", m.ttft_s * 1e3) << " ms (SLO " << fmt("%.0f", prob.workload.ttft_slo_s * 1e3)
    << "), TPOT " << fmt("%.2f", m.tpot_s * 1e3) << " ms (SLO " << fmt("%.0f", prob.workload.tpot_slo_s * 1e3) << ")\n";
  if (prob.workload.admission_steps > 1.0 && e.cfg.mode == mode_aggregated) {
    o << "  the TTFT holds a prompt up to " << fmt("%.0f", prob.workload.admission_steps - 1.0) << " cycles ("
      << fmt("%.1f", (prob.workload.admission_steps - 1.0) * m.main.cycle_s * 1e3)
      << " ms) beyond the next step: the engine admits new prompts once every "
      << fmt("%.0f", prob.workload.admission_steps) << " steps\n";
  }
  if (prob.workload.scheduler_lag_steps > 0.0) {
    const double lag_cycle = e.cfg.mode == mode_disaggregated ? m.prefill.cycle_s : m.main.cycle_s;
    o << "  the TTFT waits out the step already launched (" << fmt("%.1f", prob.workload.scheduler_lag_steps * lag_cycle * 1e3)
      << " ms): the engine runs an overlap scheduler\n";
  }
  o << "throughput: " << short_number(m.tokens_per_s_per_gpu) << " tokens/s per GPU (input + output, at the planned load)\n";
  o << "fleet for the workload's peak: " << group_digits(as_count(m.gpus_billed)) << " GPUs billed in "
    << group_digits(as_count(m.nodes)) << " nodes";
  if (e.cfg.mode == mode_disaggregated) {
    o << " (" << group_digits(as_count(m.prefill.instances)) << " prefill x " << as_count(m.prefill.gpus_per_instance)
      << " + " << group_digits(as_count(m.main.instances)) << " decode x " << as_count(m.main.gpus_per_instance) << ")";
  }
  o << ", " << fmt("%.1f", m.facility_power_kw / 1e3) << " MW at the facility, " << short_number(m.cost_usd_per_day)
    << " USD/day, " << fmt("%.4f", m.usd_per_million_tokens) << " USD per million tokens\n";
  return fit_to_width(o.str());
}

}  // namespace

int cmd_explain(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  (void)err;
  cxxopts::Options opts("tokenplan explain", "");
  opts.add_options()("model", "", cxxopts::value<std::string>())("workload", "", cxxopts::value<std::string>())(
      "gpu", "", cxxopts::value<std::string>())("cluster", "", cxxopts::value<std::string>())(
      "site", "", cxxopts::value<std::string>())("config", "", cxxopts::value<std::string>())(
      "engine", "", cxxopts::value<std::string>())("calibration", "", cxxopts::value<std::string>())(
      "usd-per-gpu-hour", "", cxxopts::value<double>()->default_value("0"))(
      "gpus-per-node", "", cxxopts::value<std::string>()->default_value("8"))(
      "format", "", cxxopts::value<std::string>()->default_value("table"))("out", "", cxxopts::value<std::string>())(
      "wide", "")("h,help", "");
  cxxopts::ParseResult a;
  const std::vector<std::string> known = {"model",  "workload", "gpu",         "cluster",          "site",
                                          "config", "engine",   "calibration", "usd-per-gpu-hour", "gpus-per-node",
                                          "format", "out",      "wide",        "help"};
  if (!parse_command(opts, argc, argv, known, explain_help, out, a)) return 0;
  set_table_width(a.count("wide") ? 100 : 80);
  for (const char* req : {"model", "workload", "config"}) {
    if (!a.count(req)) throw usage_error(std::string("missing --") + req);
  }
  if (a.count("gpu") == a.count("cluster")) throw usage_error("give either --gpu or --cluster with --site");
  if (a.count("cluster") && !a.count("site")) throw usage_error("--cluster needs --site NAME");
  const std::string format = a["format"].as<std::string>();
  if (format != "json" && format != "table") throw usage_error("--format: expected json or table, found \"" + format + "\"");

  // --cluster takes a shipped name as plan's does (cli.cpp), so resolve it before the roots.
  const std::string cluster_path =
      a.count("cluster") ? resolve_config(default_roots(""), "clusters", a["cluster"].as<std::string>(), "--cluster") : "";
  const config_roots roots = default_roots(cluster_path);
  plan_inputs in;
  in.cal = load_calibration(calibration_path(a, roots));
  in.model = load_model(resolve_config(roots, "models", a["model"].as<std::string>(), "--model"));
  in.workload = load_workload(resolve_config(roots, "workloads", a["workload"].as<std::string>(), "--workload"));
  std::uint32_t site_index = 0;
  if (a.count("cluster")) {
    in.cluster = load_cluster(cluster_path, roots.dirs("gpus"), in.cal);
    const std::string want = a["site"].as<std::string>();
    std::vector<std::string> names;
    bool found = false;
    for (std::size_t i = 0; i < in.cluster.sites.size(); ++i) {
      names.push_back(in.cluster.sites[i].name);
      if (in.cluster.sites[i].name == want) {
        site_index = static_cast<std::uint32_t>(i);
        found = true;
      }
    }
    if (!found) throw usage_error("--site: no site \"" + want + "\"" + did_you_mean(want, names) + "; sites: " + quoted_list(names));
  } else {
    gpu_entry g = load_gpu(resolve_config(roots, "gpus", a["gpu"].as<std::string>(), "--gpu"), in.cal);
    in.cluster.name = "explain";
    site_entry s;
    s.name = "single-site";
    s.gpu = g.name;
    s.gpus_per_node = static_cast<std::uint32_t>(count_option(a, "gpus-per-node", 1, 4096));
    s.usd_per_gpu_hour = a["usd-per-gpu-hour"].as<double>();
    if (!(s.usd_per_gpu_hour >= 0.0 && s.usd_per_gpu_hour <= 10000.0)) {
      throw usage_error("--usd-per-gpu-hour: expected a price from 0 to 10000");
    }
    s.price_includes_power = true;
    in.cluster.gpus.push_back(g);
    in.cluster.sites.push_back(s);
  }
  in.grid = default_grid(in.model.spec);
  in.engine = resolve_engine(in.cal, in.workload, a.count("engine") ? a["engine"].as<std::string>() : "");
  std::unique_ptr<problem> prob = build_problem(in);
  serving_config c = read_config(a["config"].as<std::string>());
  c.site = site_index;
  evaluation e = evaluate_config(*prob, c, eval_report);

  std::string text;
  if (format == "json") {
    ojson j = json_document("explain");
    j["model"] = {{"name", in.model.name}, {"path", in.model.file.path}, {"sha256", in.model.file.sha256},
                  {"params", in.model.params}, {"active_params", in.model.active_params}};
    j["workload"] = {{"name", in.workload.name}, {"path", in.workload.file.path}, {"sha256", in.workload.file.sha256}};
    j["engine"] = {{"name", in.engine}, {"step_time_factor", prob->workload.engine_factor}};
    j["evaluation"] = evaluation_json(in, *prob, e);
    text = j.dump(2) + "\n";
  } else {
    text = explain_table(in, *prob, e);
  }
  if (a.count("out")) {
    write_file_atomic(a["out"].as<std::string>(), text);
  } else {
    write_stdout(out, text);
  }
  return 0;
}

}  // namespace tokenplan
