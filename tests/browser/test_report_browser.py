#!/usr/bin/env python3
"""Renders tokenplan's HTML report in headless Chromium and checks that the charts drew.

The real binary writes the report (plan --html) for shipped configs; Chromium then loads it
twice. First with --dump-dom on a copy with a probe script added (an error recorder at the top
of <head>, a measuring script at the end of <body>), which reports the chart points, the table
rows, where each chart is on the page and any script error. Then with --screenshot on the report
itself, whose pixels are read (zlib, no PIL) inside each chart's plot area.

Checks: (a) the Pareto chart plots one point per table row, the same ranks, each inside the plot
area; (b) every chart's plot area holds coloured data ink in the screenshot and no chart region is
one flat colour; (c) no script error, no console message, nothing a hostile name in the input
could have injected. Exit 77 (CTest SKIP_RETURN_CODE) when Chromium is not installed; any other
failure exits 1.
"""

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import png_pixels  # noqa: E402

SKIP = 77
WIDTH = 1280
# Data ink in a plot area: a saturated colour (channels spread by more than INK_SPREAD) or a grey
# darker than INK_GREY. The plot background (#f8fafc) and grid lines (#e2e8f0), antialiased
# together, are neither.
INK_SPREAD = 60
INK_GREY = 200

PROBE_HEAD = """<script>
window.tokenplan_probe_errors = [];
window.addEventListener('error', function (e) {
  window.tokenplan_probe_errors.push('error: ' + (e.message || (e.target && e.target.outerHTML) || 'resource'));
}, true);
window.addEventListener('unhandledrejection', function (e) {
  window.tokenplan_probe_errors.push('unhandled rejection: ' + e.reason);
});
(function () {
  var original = console.error;
  console.error = function () {
    window.tokenplan_probe_errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
})();
</script>
"""

PROBE_TAIL = """<script>
(function () {
  function box(el) {
    var r = el.getBoundingClientRect();
    return {left: r.left + window.scrollX, top: r.top + window.scrollY, width: r.width, height: r.height};
  }
  var out = {errors: window.tokenplan_probe_errors, charts: [], points: [], rows: []};
  var figures = document.querySelectorAll('figure.chart');
  for (var i = 0; i < figures.length; i++) {
    var svg = figures[i].querySelector('svg');
    var plot = svg && svg.querySelector('.plot-area');
    out.charts.push({name: figures[i].getAttribute('data-chart'), svg: svg ? box(svg) : null,
                     plot: plot ? box(plot) : null});
  }
  var points = document.querySelectorAll('figure[data-chart="pareto"] .point');
  for (var k = 0; k < points.length; k++) {
    var b = box(points[k]);
    out.points.push({rank: points[k].getAttribute('data-rank'), x: b.left + b.width / 2, y: b.top + b.height / 2,
                     w: b.width});
  }
  out.traced = [];
  var traced = document.querySelectorAll('figure[data-chart="pareto"] .traced-point');
  for (var t = 0; t < traced.length; t++) {
    var tb = box(traced[t]);
    out.traced.push({x: tb.left + tb.width / 2, y: tb.top + tb.height / 2, w: tb.width});
  }
  var rows = document.querySelectorAll('#ranked-table tbody tr');
  for (var j = 0; j < rows.length; j++) out.rows.push(rows[j].getAttribute('data-rank'));
  out.images = document.images.length;
  out.with_onerror = document.querySelectorAll('[onerror]').length;
  out.bold = document.querySelectorAll('b').length;
  out.scripts = document.scripts.length;
  out.pwned = typeof window.tokenplan_pwned !== 'undefined' || document.title === 'pwned';
  out.text = document.body.textContent;
  out.page_height = document.documentElement.scrollHeight;
  var pre = document.createElement('pre');
  pre.id = 'tokenplan-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


class Failure(Exception):
    pass


def find_chromium():
    env = os.environ.get('TOKENPLAN_CHROMIUM')
    if env:
        return env if shutil.which(env) else None
    for name in ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'):
        path = shutil.which(name)
        if path:
            return path
    return None


def run(cmd, timeout, what):
    started = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise Failure('%s timed out after %d s: %s' % (what, timeout, ' '.join(cmd)))
    took = time.monotonic() - started
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace'), took


def chromium(browser, profile, args, timeout):
    cmd = [browser, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
           '--disable-extensions', '--disable-background-networking', '--disable-sync', '--mute-audio',
           '--hide-scrollbars', '--force-device-scale-factor=1', '--enable-logging=stderr', '--v=0',
           '--user-data-dir=' + profile] + args
    return run(cmd, timeout, 'chromium')


def console_problems(stderr):
    """Console messages and uncaught exceptions in Chromium's log (the report logs nothing)."""
    bad = []
    for line in stderr.splitlines():
        if 'CONSOLE' in line or 'Uncaught' in line:
            bad.append(line.strip())
    return bad


def check_report(name, report, browser, work, args):
    timings = {}
    with open(report, encoding='utf-8') as f:
        page = f.read()
    if re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page, re.I) or '@import' in page or 'url(' in page:
        raise Failure('%s: the report refers to something outside itself' % name)
    head = page.find('<head>')
    tail = page.rfind('</body>')
    if head < 0 or tail < 0:
        raise Failure('%s: no <head> or </body> in the report' % name)
    probed = page[:head + 6] + PROBE_HEAD + page[head + 6:tail] + PROBE_TAIL + page[tail:]
    probe_path = os.path.join(work, name + '-probe.html')
    with open(probe_path, 'w', encoding='utf-8') as f:
        f.write(probed)

    # 1. The DOM after load, with the probe's measurements in it.
    rc, out, err, timings['dump_dom_s'] = chromium(
        browser, os.path.join(work, name + '-profile-dom'),
        ['--window-size=%d,1000' % WIDTH, '--dump-dom', 'file://' + probe_path], args.timeout)
    if rc != 0:
        raise Failure('%s: chromium --dump-dom exited %d:\n%s' % (name, rc, err[-3000:]))
    m = re.search(r'<pre id="tokenplan-probe">(.*?)</pre>', out, re.S)
    if not m:
        raise Failure('%s: the probe did not run (no result in the dumped DOM); chromium said:\n%s' % (name, err[-3000:]))
    probe = json.loads(html.unescape(m.group(1)))
    problems = console_problems(err)
    if probe['errors'] or problems:
        raise Failure('%s: errors in the browser:\n  %s' % (name, '\n  '.join(probe['errors'] + problems)))

    # (a) one point per table row, the same ranks, each inside the plot area.
    ranks_points = sorted(p['rank'] for p in probe['points'])
    ranks_rows = sorted(probe['rows'])
    if not probe['rows']:
        raise Failure('%s: the ranked table has no rows' % name)
    if len(probe['points']) != len(probe['rows']) or ranks_points != ranks_rows:
        raise Failure('%s: %d points plotted, %d table rows (ranks %s vs %s)' %
                      (name, len(probe['points']), len(probe['rows']), ranks_points[:10], ranks_rows[:10]))
    charts = {c['name']: c for c in probe['charts']}
    for wanted in args.charts:
        if wanted not in charts or not charts[wanted]['svg'] or not charts[wanted]['plot']:
            raise Failure('%s: no %s chart with a plot area (charts: %s)' % (name, wanted, sorted(charts)))
    plot = charts['pareto']['plot']
    for p in probe['points']:
        inside = (plot['left'] - 1 <= p['x'] <= plot['left'] + plot['width'] + 1 and
                  plot['top'] - 1 <= p['y'] <= plot['top'] + plot['height'] + 1)
        if not inside or p['w'] <= 0:
            raise Failure('%s: point of rank %s drawn at (%.0f, %.0f), outside the plot area %s' %
                          (name, p['rank'], p['x'], p['y'], plot))
    # (b) with --pareto, the frontier over the whole grid: at least --min-traced squares, in the plot.
    if len(probe['traced']) < args.min_traced:
        raise Failure('%s: %d points of the traced frontier drawn, expected at least %d' %
                      (name, len(probe['traced']), args.min_traced))
    for p in probe['traced']:
        inside = (plot['left'] - 1 <= p['x'] <= plot['left'] + plot['width'] + 1 and
                  plot['top'] - 1 <= p['y'] <= plot['top'] + plot['height'] + 1)
        if not inside or p['w'] <= 0:
            raise Failure('%s: a traced frontier point drawn at (%.0f, %.0f), outside the plot area %s' %
                          (name, p['x'], p['y'], plot))
    # Hostile names show as text and inject nothing.
    if probe['pwned'] or probe['images'] or probe['with_onerror'] or probe['bold'] or probe['scripts'] != 3:
        raise Failure('%s: markup from the input got into the page: %s' %
                      (name, {k: probe[k] for k in ('pwned', 'images', 'with_onerror', 'bold', 'scripts')}))
    for text in args.expect_text:
        if text not in probe['text']:
            raise Failure('%s: the page does not show %r as text' % (name, text))

    # 2. The screenshot of the report as written, tall enough for every chart.
    bottom = max(c['svg']['top'] + c['svg']['height'] for c in probe['charts'])
    height = int(bottom) + 40
    shot = os.path.join(work, name + '.png')
    rc, out, err, timings['screenshot_s'] = chromium(
        browser, os.path.join(work, name + '-profile-shot'),
        ['--window-size=%d,%d' % (WIDTH, height), '--screenshot=' + shot, 'file://' + os.path.abspath(report)],
        args.timeout)
    if rc != 0 or not os.path.exists(shot):
        raise Failure('%s: chromium --screenshot failed (%d):\n%s' % (name, rc, err[-3000:]))
    problems = console_problems(err)
    if problems:
        raise Failure('%s: errors in the browser:\n  %s' % (name, '\n  '.join(problems)))
    started = time.monotonic()
    img = png_pixels.read_png(shot, max_rows=height)
    if img.width < WIDTH - 1:
        raise Failure('%s: screenshot is %dx%d, expected %d wide' % (name, img.width, img.height, WIDTH))

    # (b) each chart: more than one colour over its area, and saturated data ink in its plot.
    for c in probe['charts']:
        s, p = c['svg'], c['plot']
        if s['top'] + s['height'] > img.height:
            raise Failure('%s: chart %s lies below the screenshot (%d rows)' % (name, c['name'], img.height))
        colours = img.region_colours(s['left'], s['top'], s['left'] + s['width'], s['top'] + s['height'])
        if len(colours) < 3:
            raise Failure('%s: chart %s is blank (%d colours)' % (name, c['name'], len(colours)))
        inner = img.region_colours(p['left'] + 2, p['top'] + 2, p['left'] + p['width'] - 2, p['top'] + p['height'] - 2)
        ink = sum(n for rgb, n in inner.items() if max(rgb) - min(rgb) > INK_SPREAD or max(rgb) < INK_GREY)
        if ink < 30:
            raise Failure('%s: chart %s has no data drawn in its plot area (%d coloured pixels)' % (name, c['name'], ink))
    background = img.pixel(int(plot['left'] + 3), int(plot['top'] + 3))
    for p in probe['points']:
        if img.pixel(int(p['x']), int(p['y'])) == background:
            raise Failure('%s: nothing drawn where the point of rank %s should be' % (name, p['rank']))
    timings['pixels_s'] = time.monotonic() - started
    return len(probe['points']), sorted(charts), timings


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tokenplan', required=True, help='the tokenplan binary')
    ap.add_argument('--name', required=True, help='a name for this case')
    ap.add_argument('--chart', dest='charts', action='append', default=[], help='a chart the report must have')
    ap.add_argument('--expect-text', action='append', default=[], help='text the page must show literally')
    ap.add_argument('--min-traced', type=int, default=0,
                    help='points of the --pareto frontier the Pareto chart must draw (default 0)')
    ap.add_argument('--timeout', type=int, default=60, help='seconds per Chromium run')
    ap.add_argument('plan_args', nargs=argparse.REMAINDER, help='-- then the arguments of tokenplan plan')
    args = ap.parse_args()
    plan_args = args.plan_args[1:] if args.plan_args[:1] == ['--'] else args.plan_args

    browser = find_chromium()
    if not browser:
        print('SKIP: no Chromium (install Debian\'s chromium package; .ci/setup does)')
        return SKIP
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix='tokenplan-browser-')
    try:
        report = os.path.join(work, args.name + '.html')
        rc, out, err, took = run([args.tokenplan, 'plan'] + plan_args + ['--quiet', '--html', report], 300, 'tokenplan')
        if rc != 0 or not os.path.exists(report):
            raise Failure('tokenplan plan exited %d:\n%s' % (rc, err[-3000:]))
        points, charts, timings = check_report(args.name, report, browser, work, args)
        print('%s: %d points = %d table rows; charts drawn: %s; plan %.1f s, chromium %.1f s + %.1f s, pixels %.1f s; '
              'total %.1f s' % (args.name, points, points, ', '.join(charts), took, timings['dump_dom_s'],
                                timings['screenshot_s'], timings['pixels_s'], time.monotonic() - started))
        return 0
    except Failure as e:
        print('FAIL: %s' % e)
        print('(files kept in %s)' % work)
        work = None
        return 1
    finally:
        if work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
