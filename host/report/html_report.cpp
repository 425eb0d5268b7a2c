// The HTML report written out (render_report): a report_page, built as a plain structure by
// html_plan_page.cpp or html_fleet_page.cpp, as one self-contained HTML document. The page's facts,
// tables and charts are built first so tests can check each part, and every string passes through
// one escaping function here.
#include "report/html_report.hpp"

#include <sstream>

#include "report/report_detail.hpp"
#include "report/svg.hpp"

namespace tokenplan {

// ---- HTML ---------------------------------------------------------------------------------------

namespace {

std::string sha_short(const std::string& sha) { return sha.size() > 16 ? sha.substr(0, 16) + "\xe2\x80\xa6" : sha; }

const char* const page_css = R"(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f5f9; color: #0f172a;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; background: #ffffff; }
header h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
header p { margin: 0 0 16px; color: #475569; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e2e8f0; }
.facts { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.fact { flex: 1 1 200px; border: 1px solid #e2e8f0; border-radius: 6px; padding: 8px 12px; background: #f8fafc; }
.fact .label { font-size: 12px; color: #475569; text-transform: uppercase; letter-spacing: 0.03em; }
.fact .value { font-size: 18px; font-weight: 600; overflow-wrap: anywhere; }
.fact .detail { font-size: 12px; color: #334155; overflow-wrap: anywhere; }
.note { border-left: 4px solid #dc2626; background: #fef2f2; padding: 8px 12px; margin: 10px 0; }
figure.chart { margin: 12px 0 18px; }
figure.chart svg { display: block; }
figure.chart figcaption { color: #475569; font-size: 12px; margin-top: 4px; }
.table-wrap { overflow-x: auto; margin: 10px 0; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e2e8f0; text-align: left; vertical-align: top; }
td { white-space: nowrap; }
th { background: #f1f5f9; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.path { white-space: normal; overflow-wrap: anywhere; min-width: 280px; max-width: 460px; }
td.sha { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11.5px; }
tr.frontier td { background: #eff6ff; }
tr.total td { font-weight: 600; border-top: 2px solid #94a3b8; }
tr.hl td { background: #fde68a; }
circle.point.hl { stroke: #0f172a; stroke-width: 3; }
ul { margin: 6px 0; padding-left: 22px; }
footer { margin-top: 28px; color: #64748b; font-size: 12px; }
)";

// Hovering a table row highlights its chart point and the reverse; the page reads the same
// without it.
const char* const page_script = R"(
(function () {
  var linked = document.querySelectorAll('[data-rank]');
  function mark(rank, on) {
    for (var i = 0; i < linked.length; i++) {
      if (linked[i].getAttribute('data-rank') === rank) linked[i].classList.toggle('hl', on);
    }
  }
  for (var i = 0; i < linked.length; i++) {
    linked[i].addEventListener('mouseenter', function (e) { mark(e.currentTarget.getAttribute('data-rank'), true); });
    linked[i].addEventListener('mouseleave', function (e) { mark(e.currentTarget.getAttribute('data-rank'), false); });
  }
})();
)";

void write_facts(std::ostringstream& o, const std::vector<report_fact>& facts) {
  o << "<div class=\"facts\">\n";
  for (const report_fact& f : facts) {
    o << "<div class=\"fact\"><div class=\"label\">" << html_escape(f.label) << "</div><div class=\"value\">"
      << html_escape(f.value) << "</div>";
    if (!f.detail.empty()) o << "<div class=\"detail\">" << html_escape(f.detail) << "</div>";
    o << "</div>\n";
  }
  o << "</div>\n";
}

void write_table(std::ostringstream& o, const report_table& t) {
  auto is_num = [&](std::size_t c) { return c < t.numeric.size() && t.numeric[c]; };
  o << "<div class=\"table-wrap\"><table id=\"" << html_escape(t.id) << "\">\n<thead><tr>";
  for (std::size_t c = 0; c < t.head.size(); ++c) {
    o << "<th" << (is_num(c) ? " class=\"num\"" : "") << ">" << html_escape(t.head[c]) << "</th>";
  }
  o << "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const bool total = t.total_last && r + 1 == t.rows.size();
    const bool marked = r < t.marked.size() && t.marked[r];
    o << "<tr";
    if (total || marked) o << " class=\"" << (total ? "total" : "frontier") << "\"";
    if (r < t.ranks.size() && !t.ranks[r].empty()) o << " data-rank=\"" << html_escape(t.ranks[r]) << "\"";
    o << ">";
    for (std::size_t c = 0; c < t.rows[r].size(); ++c) {
      const std::string& cell = t.rows[r][c];
      const std::string& head = c < t.head.size() ? t.head[c] : std::string();
      if (head == "SHA-256" && cell.size() == 64) {
        o << "<td class=\"sha\" title=\"" << html_escape(cell) << "\">" << html_escape(sha_short(cell)) << "</td>";
      } else if (head == "File") {
        o << "<td class=\"path\">" << html_escape(cell) << "</td>";
      } else {
        o << "<td" << (is_num(c) ? " class=\"num\"" : "") << ">" << html_escape(cell) << "</td>";
      }
    }
    o << "</tr>\n";
  }
  o << "</tbody></table></div>\n";
}

}  // namespace

std::string render_report(const report_page& page) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<meta name=\"generator\" content=\"tokenplan " << TOKENPLAN_VERSION << "\">\n"
    << "<title>" << html_escape(page.title) << "</title>\n<style>" << page_css << "</style>\n</head>\n<body>\n<main>\n";
  o << "<header><h1>" << html_escape(page.title) << "</h1><p>" << html_escape(page.subtitle) << "</p></header>\n";
  if (!page.headline.empty()) {
    o << "<section id=\"summary\">\n";
    write_facts(o, page.headline);
    o << "</section>\n";
  }
  for (const report_section& s : page.sections) {
    o << "<section id=\"" << html_escape(s.id) << "\">\n<h2>" << html_escape(s.heading) << "</h2>\n";
    for (const report_item& i : s.items) {
      switch (i.what) {
        case report_item::kind::text: o << "<p>" << html_escape(i.text) << "</p>\n"; break;
        case report_item::kind::note: o << "<p class=\"note\">" << html_escape(i.text) << "</p>\n"; break;
        case report_item::kind::facts: write_facts(o, i.facts); break;
        case report_item::kind::table: write_table(o, i.table); break;
        case report_item::kind::list:
          o << "<ul>\n";
          for (const std::string& l : i.lines) o << "<li>" << html_escape(l) << "</li>\n";
          o << "</ul>\n";
          break;
        case report_item::kind::chart:
          // The SVG comes from the svg*.cpp files, which escape every string it writes.
          o << "<figure class=\"chart\" data-chart=\"" << html_escape(i.chart_name) << "\">\n"
            << i.svg << "<figcaption>" << html_escape(i.text) << "</figcaption>\n</figure>\n";
          break;
      }
    }
    o << "</section>\n";
  }
  o << "<footer>" << html_escape(page.footer) << "</footer>\n</main>\n<script>" << page_script << "</script>\n</body>\n</html>\n";
  return o.str();
}

}  // namespace tokenplan
