// The HTML report: escaping, round axes, the Pareto front, each chart kind (one point per row,
// a single point inside its axes, an empty chart that says why), and whole reports of small
// plans: hostile names and paths, zero feasible configurations, a demand over a day whose load
// never exceeds the capacity it is drawn against.
#include <gtest/gtest.h>
#include "shipped_roots.hpp"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "fleet/fleet.hpp"
#include "report/html_report.hpp"
#include "search/plan.hpp"
#include "base/format.hpp"
#include "report/svg.hpp"
#include "temp_dir.hpp"

namespace tokenplan {
namespace {

using testing::shipped_roots;

using nlohmann::json;
using testing::read_json_file;
using testing::shipped;
using testing::temp_dir;

const std::string hostile = "<script>alert('x')</script><img src=x onerror=\"alert(1)\">&amp;";
const std::string hostile_escaped =
    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;";

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + needle.size())) ++n;
  return n;
}

/// No markup from `raw` reached the page: only our own single script, no injected elements.
void expect_no_injection(const std::string& page) {
  EXPECT_EQ(count(page, "<script"), 1u);
  EXPECT_EQ(count(page, "<img"), 0u);
  EXPECT_EQ(count(page, "onerror=\""), 0u);
  EXPECT_EQ(page.find("alert('x')"), std::string::npos);
}

double attr(const std::string& element, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(element, m, std::regex(" " + name + "=\"([-0-9.]+)\""))) return NAN;
  return std::stod(m[1]);
}

std::vector<std::string> elements(const std::string& svg, const std::string& start) {
  std::vector<std::string> out;
  for (std::size_t at = svg.find(start); at != std::string::npos; at = svg.find(start, at + 1)) {
    out.push_back(svg.substr(at, svg.find('>', at) - at + 1));
  }
  return out;
}

// ---- escaping, axes, the front ----------------------------------------------------------------

TEST(HtmlReport, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(html_escape(hostile), hostile_escaped);
  EXPECT_EQ(html_escape("llama-3.1-70b_x"), "llama-3.1-70b_x");
  EXPECT_EQ(html_escape("\xc2\xb5s \xe6\x9d\xb1\xe4\xba\xac"), "\xc2\xb5s \xe6\x9d\xb1\xe4\xba\xac");  // UTF-8 as is
  // A name from an input file cannot carry a terminal escape or a stray byte into the page (for
  // whoever cats it); a line break stays one.
  EXPECT_EQ(html_escape("site\x1b[31m<b>\nnext\x7f\xff"), "site\\u001b[31m&lt;b&gt;\nnext\\u007f\\xff");
}

TEST(HtmlReport, NiceScaleCoversTheDataWithRoundTicks) {
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{{5126, 5283}, {0, 1.7e6}, {20.3, 22.7}, {-7, -3}, {0.001, 0.9}}) {
    const axis_scale s = nice_scale(lo, hi, 5);
    EXPECT_LE(s.lo, lo);
    EXPECT_GE(s.hi, hi);
    ASSERT_GE(s.ticks.size(), 3u) << lo << " " << hi;
    EXPECT_LE(s.ticks.size(), 12u);
    EXPECT_DOUBLE_EQ(s.ticks.front(), s.lo);
    EXPECT_NEAR(s.ticks.back(), s.hi, 1e-9 * std::fabs(s.hi) + 1e-12);
    const double m = s.step / std::pow(10.0, std::floor(std::log10(s.step)));
    EXPECT_TRUE(std::fabs(m - 1) < 1e-9 || std::fabs(m - 2) < 1e-9 || std::fabs(m - 2.5) < 1e-9 || std::fabs(m - 5) < 1e-9)
        << "step " << s.step;
  }
}

TEST(HtmlReport, NiceScaleOfOneValueIsABandAroundIt) {
  const axis_scale one = nice_scale(5283.0, 5283.0);
  EXPECT_LT(one.lo, 5283.0);
  EXPECT_GT(one.hi, 5283.0);
  const axis_scale zero = nice_scale(0.0, 0.0);
  EXPECT_LT(zero.lo, 0.0);
  EXPECT_GT(zero.hi, 0.0);
  const axis_scale bad = nice_scale(NAN, INFINITY);
  EXPECT_EQ(bad.lo, 0.0);
  EXPECT_EQ(bad.hi, 1.0);
}

TEST(HtmlReport, TickLabelsCarryTheDecimalsTheStepNeeds) {
  EXPECT_EQ(tick_label(5200, 50), "5,200");
  EXPECT_EQ(tick_label(0.25, 0.25), "0.25");
  EXPECT_EQ(tick_label(20.5, 0.5), "20.5");
  EXPECT_EQ(tick_label(2.5e6, 5e5), "2.5M");
  EXPECT_EQ(tick_label(120000, 20000), "120k");
  EXPECT_EQ(tick_label(4e11, 1e11), "400G");
  EXPECT_EQ(tick_label(-0.0, 1), "0");
  EXPECT_EQ(tick_label(1e-17, 0.2), "0.0");  // not "-0.0" or "1e-17"
}

TEST(HtmlReport, ParetoFrontKeepsWhatNothingBeatsOnBothAxes) {
  // x: tokens/s per user, y: tokens/s per GPU.
  const std::vector<double> x = {20.3, 21.0, 21.8, 20.3, 21.0, 22.7, 22.7, NAN, 19.0};
  const std::vector<double> y = {5283, 5234, 5181, 5249, 5200, 5125, 5125, 9999, 5283};
  const std::vector<bool> f = pareto_front(x, y);
  const std::vector<bool> want = {true, true, true, false, false, true, true, false, false};
  EXPECT_EQ(f, want);
  EXPECT_TRUE(pareto_front({}, {}).empty());
  EXPECT_EQ(pareto_front({1.0}, {1.0}), std::vector<bool>{true});
}

// ---- charts --------------------------------------------------------------------------------------

scatter_chart scatter_of(std::size_t n) {
  scatter_chart c;
  c.name = "pareto";
  c.x_label = "tokens/s per user";
  c.y_label = "tokens/s per GPU";
  c.series = {"model"};
  c.empty_note = "nothing " + hostile;
  for (std::size_t i = 0; i < n; ++i) {
    scatter_point p;
    p.x = 20.0 + static_cast<double>(i % 3);
    p.y = 5000.0 + 40.0 * static_cast<double>(i);
    p.id = std::to_string(i + 1);
    p.tooltip = "row " + p.id + " " + hostile;
    c.points.push_back(p);
  }
  std::vector<double> xs, ys;
  for (const scatter_point& p : c.points) xs.push_back(p.x), ys.push_back(p.y);
  const std::vector<bool> f = pareto_front(xs, ys);
  for (std::size_t i = 0; i < n; ++i) c.points[i].frontier = f[i];
  return c;
}

TEST(HtmlReport, ScatterPlotsOnePointPerRowInsideItsAxes) {
  for (std::size_t n : {1u, 2u, 7u, 40u}) {
    scatter_chart c = scatter_of(n);
    c.highlight_id = "1";
    c.highlight_label = "rank 1 " + hostile;
    const std::string svg = render_scatter(c);
    const std::vector<std::string> points = elements(svg, "<circle class=\"point");
    ASSERT_EQ(points.size(), n);
    std::set<std::string> ranks;
    for (const std::string& p : points) {
      std::smatch m;
      ASSERT_TRUE(std::regex_search(p, m, std::regex("data-rank=\"([0-9]+)\"")));
      ranks.insert(m[1]);
    }
    EXPECT_EQ(ranks.size(), n);
    const std::vector<std::string> frame = elements(svg, "<rect class=\"plot-area\"");
    ASSERT_EQ(frame.size(), 1u);
    const double left = attr(frame[0], "x"), top = attr(frame[0], "y");
    const double right = left + attr(frame[0], "width"), bottom = top + attr(frame[0], "height");
    for (const std::string& p : points) {
      const double cx = attr(p, "cx"), cy = attr(p, "cy");
      EXPECT_GT(cx, left) << p;
      EXPECT_LT(cx, right) << p;
      EXPECT_GT(cy, top) << p;
      EXPECT_LT(cy, bottom) << p;
    }
    EXPECT_EQ(svg.find("<script"), std::string::npos);
    EXPECT_NE(svg.find(hostile_escaped), std::string::npos);
    EXPECT_EQ(svg.find("nothing " + hostile_escaped), std::string::npos);  // the empty note is for no points
  }
}

TEST(HtmlReport, ScatterOfOnePointHasTicksOnBothSidesOfIt) {
  scatter_chart c = scatter_of(1);
  const std::string svg = render_scatter(c);
  // Tick labels of the y axis around 5,000 and of the x axis around 20.
  std::smatch m;
  std::vector<double> yticks;
  const std::regex label("text-anchor=\"end\">([-0-9.,]+)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), label); it != std::sregex_iterator(); ++it) {
    std::string v = (*it)[1];
    v.erase(std::remove(v.begin(), v.end(), ','), v.end());
    yticks.push_back(std::stod(v));
  }
  ASSERT_GE(yticks.size(), 2u);
  EXPECT_LT(*std::min_element(yticks.begin(), yticks.end()), 5000.0);
  EXPECT_GT(*std::max_element(yticks.begin(), yticks.end()), 5000.0);
}

TEST(HtmlReport, EmptyScatterSaysWhy) {
  const std::string svg = render_scatter(scatter_of(0));
  EXPECT_EQ(count(svg, "<circle class=\"point"), 0u);
  EXPECT_NE(svg.find("class=\"empty-note\""), std::string::npos);
  EXPECT_NE(svg.find("nothing " + hostile_escaped), std::string::npos);
}

TEST(HtmlReport, BarsStackTheirSegmentsAndMarkTheCap) {
  bar_chart c;
  c.name = "site-power";
  c.unit = "MW";
  c.segments = {"IT", "overhead " + hostile};
  c.marker_name = "cap";
  c.rows.push_back({"riyadh-sa", {76.9, 23.1}, 100.0, "cap 100 MW"});
  c.rows.push_back({hostile + " a very long site name that goes on", {8.0, 0.0}, -1.0, ""});
  const std::string svg = render_bars(c);
  EXPECT_EQ(count(svg, "<rect class=\"bar\""), 3u);  // zero segments are not drawn
  EXPECT_EQ(count(svg, "<line class=\"marker\""), 1u);
  EXPECT_NE(svg.find(">100</text>"), std::string::npos);  // the total
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("<title>" + hostile_escaped + " a very long site name that goes on</title>"), std::string::npos);
  EXPECT_NE(svg.find("\xe2\x80\xa6"), std::string::npos);  // the shown label is cut
}

TEST(HtmlReport, HourlyDrawsEveryHourAndTheCapacityStep) {
  hourly_chart c;
  c.name = "diurnal";
  c.x_label = "hour " + hostile;
  c.y_label = "tokens/s";
  for (int h = 0; h < 24; ++h) c.hours.push_back(std::to_string(h));
  c.stacked = {{"interactive", std::vector<double>(24, 3e8)}, {"deferrable", std::vector<double>(24, 1e8)}};
  c.lines = {{"capacity", std::vector<double>(24, 4.6e8)}};
  c.tooltips.assign(24, "tip " + hostile);
  const std::string svg = render_hourly(c);
  EXPECT_EQ(count(svg, "<g class=\"hour\""), 24u);
  EXPECT_EQ(count(svg, "<rect class=\"bar\""), 48u);
  EXPECT_EQ(count(svg, "<path class=\"line\""), 1u);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
}

TEST(HtmlReport, EveryTextOfAPageIsEscaped) {
  report_page page;
  page.title = hostile;
  page.subtitle = hostile;
  page.headline = {{hostile, hostile, hostile}};
  report_section s;
  s.id = hostile;
  s.heading = hostile;
  report_item text;
  text.text = hostile;
  report_item note;
  note.what = report_item::kind::note;
  note.text = hostile;
  report_item list;
  list.what = report_item::kind::list;
  list.lines = {hostile};
  report_item table;
  table.what = report_item::kind::table;
  table.table.id = hostile;
  table.table.head = {hostile, "File", "SHA-256"};
  table.table.rows = {{hostile, hostile, hostile}};
  table.table.ranks = {hostile};
  report_item chart;
  chart.what = report_item::kind::chart;
  chart.chart_name = hostile;
  chart.svg = render_scatter(scatter_of(3));
  chart.text = hostile;
  s.items = {text, note, list, table, chart};
  page.sections = {s};
  page.footer = hostile;
  const std::string html = render_report(page);
  expect_no_injection(html);
  EXPECT_GE(count(html, hostile_escaped), 12u);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("http://", 0), html.find("http://www.w3.org/2000/svg"));  // no other address
}

// ---- whole reports of real plans ------------------------------------------------------------------

plan_request plan_of(const std::string& workload_path) {
  plan_request req;
  req.cluster_path = shipped("clusters/bytedance-h200-overseas.json");
  req.model_path = shipped("models/llama-3.1-8b.json");
  req.workload_path = workload_path;
  req.gpu_dirs = {shipped("gpus")};
  req.calibration_path = shipped("calibration.json");
  req.backend = "cpu";
  req.threads = 2;
  req.top_n = 12;
  return req;
}

TEST(HtmlReport, PlanReportHasOnePointPerRankedRowAndEscapesPaths) {
  temp_dir t;
  // A path is the one thing in a plan a file cannot restrict: a hostile file name.
  const std::string workload = t.write("w<img src=x onerror=alert(1)>.json", read_json_file(shipped("workloads/chat-30tn.json")).dump());
  const plan_request req = plan_of(workload);
  const plan_result r = run_plan(req);
  fleet_request fr;
  fr.base = req;
  fr.roots = shipped_roots();
  const fleet_result f = run_fleet(fr);
  ASSERT_EQ(r.top.size(), 12u);
  const std::string html = plan_to_html(r, f);
  expect_no_injection(html);
  EXPECT_NE(html.find("w&lt;img src=x onerror=alert(1)&gt;.json"), std::string::npos);
  EXPECT_EQ(count(html, "<circle class=\"point"), r.top.size());
  EXPECT_EQ(count(html, "<tr data-rank=") + count(html, "<tr class=\"frontier\" data-rank="), r.top.size());
  for (std::size_t i = 1; i <= r.top.size(); ++i) {
    EXPECT_EQ(count(html, "data-rank=\"" + std::to_string(i) + "\""), 2u) << "rank " << i;  // a point and a row
  }
  for (const char* chart : {"pareto", "site-gpus", "site-power", "site-cost"}) {
    EXPECT_NE(html.find(std::string("<figure class=\"chart\" data-chart=\"") + chart + "\""), std::string::npos) << chart;
  }
  // One period (a peak-to-average workload): the report says why there is no diurnal chart.
  EXPECT_EQ(html.find("data-chart=\"diurnal\""), std::string::npos);
  EXPECT_NE(html.find("No diurnal chart"), std::string::npos);
  // Figures come from the plan: rank 1's GPUs and the input digests.
  EXPECT_NE(html.find(group_digits(as_count(r.top.front().m.gpus_billed))), std::string::npos);
  EXPECT_NE(html.find(r.inputs.model.file.sha256), std::string::npos);
}

TEST(HtmlReport, ZeroFeasibleConfigurationsStillRenderAndSayWhy) {
  temp_dir t;
  json w = read_json_file(shipped("workloads/chat-30tn.json"));
  w["slo"]["tpot_ms"] = 0.5;  // no GPU decodes a token in half a millisecond
  const plan_request req = plan_of(t.write_json("tight.json", w));
  const plan_result r = run_plan(req);
  ASSERT_TRUE(r.top.empty());
  fleet_request fr;
  fr.base = req;
  fr.roots = shipped_roots();
  const fleet_result f = run_fleet(fr);
  const std::string html = plan_to_html(r, f);
  expect_no_injection(html);
  EXPECT_EQ(count(html, "<circle class=\"point"), 0u);
  EXPECT_EQ(html.find("id=\"ranked-table\""), std::string::npos);
  EXPECT_NE(html.find("No configuration meets every constraint. Most are ruled out by tpot_slo"), std::string::npos);
  EXPECT_NE(html.find("no feasible configuration to plot"), std::string::npos);
  EXPECT_NE(html.find("No allocation of the fleet"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST(HtmlReport, DemandReportDrawsTheDayAndEscapesClassNames) {
  temp_dir t;
  const json node_costs = {{"network", 900}, {"storage", 300}, {"host", 300}};
  json cluster = {{"name", "two"},
                  {"sites",
                   {{{"name", "cheap"}, {"gpu", "h200-sxm"}, {"gpus", 64}, {"gpus_per_node", 8}, {"pue", 1.25},
                     {"pricing", {{"type", "lease"}, {"usd_per_gpu_hour", 2.0}, {"includes_power", true}}},
                     {"power_cap", {{"it_mw", 0.05}}}, {"node_costs_usd_per_month", node_costs}},
                    {{"name", "dear"}, {"gpu", "h200-sxm"}, {"gpus", 4000}, {"gpus_per_node", 8}, {"pue", 1.3},
                     {"pricing", {{"type", "owned"}, {"capex_usd_per_node", 300000}, {"depreciation_years", 5},
                                  {"cost_of_capital", 0.08}}},
                     {"usd_per_kwh", 0.08}, {"node_costs_usd_per_month", node_costs}}}}};
  json grid = {{"modes", {"aggregated"}},
               {"weight_precisions", {"fp8"}},
               {"kv_precisions", {"fp8"}},
               {"aggregated", {{"tp", {1, 2}}, {"pp", {1}}, {"chunk_tokens", {8192}},
                               {"batch", {{"min", 16}, {"max", 256}, {"per_octave", 4}}}}}};
  std::vector<double> hourly;
  for (int h = 0; h < 24; ++h) hourly.push_back(1.0 + 0.6 * std::sin((h - 9) * M_PI / 12.0));
  json demand = {{"name", "day"},
                 {"tokens_per_day", 2e11},
                 {"classes",
                  {{{"name", hostile}, {"share", 0.6}, {"model", "llama-3.1-8b"}, {"workload", "chat-30tn"}, {"grid", "grid.json"}},
                   {{"name", "code"}, {"share", 0.4}, {"model", "llama-3.1-8b"}, {"workload", "api-code"}, {"grid", "grid.json"}}}},
                 {"profile", {{"hourly", hourly}, {"timezone", hostile}}},
                 {"deferrable_share", 0.2}};
  fleet_request fr;
  fr.base.cluster_path = t.write_json("clusters/c.json", cluster);
  fr.base.gpu_dirs = {shipped("gpus")};
  fr.base.calibration_path = shipped("calibration.json");
  fr.base.backend = "cpu";
  fr.base.threads = 2;
  t.write_json("demands/grid.json", grid);
  fr.demand_path = t.write_json("demands/d.json", demand);
  fr.roots = shipped_roots();
  const fleet_result f = run_fleet(fr);
  ASSERT_TRUE(f.chosen().solved) << f.chosen().status;
  ASSERT_FALSE(f.candidates.empty());

  const std::string html = fleet_to_html(f);
  expect_no_injection(html);
  EXPECT_NE(html.find(hostile_escaped), std::string::npos);
  EXPECT_EQ(count(html, "<circle class=\"point"), f.candidates.size());
  EXPECT_EQ(count(html, "<tr data-rank=") + count(html, "<tr class=\"frontier\" data-rank="), f.candidates.size());
  EXPECT_NE(html.find("<figure class=\"chart\" data-chart=\"diurnal\""), std::string::npos);
  EXPECT_EQ(count(html, "<g class=\"hour\""), 24u);

  // The day's load is the demand, and it never exceeds what the GPUs in service carry.
  const hourly_load h = fleet_hourly_load(f);
  ASSERT_EQ(h.capacity.size(), 24u);
  double interactive = 0.0, deferred = 0.0;
  for (std::size_t k = 0; k < 24; ++k) {
    EXPECT_LE(h.interactive[k] + h.deferred[k], h.capacity[k] * (1.0 + 1e-6)) << "hour " << k;
    interactive += h.interactive[k] * 3600.0;
    deferred += h.deferred[k] * 3600.0;
  }
  EXPECT_NEAR(interactive, 2e11 * 0.8, 2e11 * 1e-6);
  EXPECT_NEAR(deferred, 2e11 * 0.2, 2e11 * 1e-6);

  // The by-kind cost split of each pool adds up to its cost (the bars of the cost chart).
  const fleet_summary& s = f.chosen_summary();
  double nodes = 0.0;
  for (std::size_t j = 0; j < s.pools.size(); ++j) {
    const pool_report& p = s.pools[j];
    const fleet_pool& pool = f.model.pools[j];
    double parts = p.energy_usd_per_day;
    if (pool.pricing.kind == pricing_kind::owned) parts += p.capital_usd_per_day + p.node_usd_per_day;
    else parts += p.held_usd_per_day;  // lease (with its node costs) or on-demand
    EXPECT_NEAR(parts, p.cost_usd_per_day, 1e-6 * std::max(1.0, p.cost_usd_per_day)) << "pool " << j;
    nodes += p.node_usd_per_day;
  }
  EXPECT_NEAR(nodes, s.node_usd_per_day, 1e-6 * std::max(1.0, s.node_usd_per_day));
}

}  // namespace
}  // namespace tokenplan
