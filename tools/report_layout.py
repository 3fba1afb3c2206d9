#!/usr/bin/env python3
"""Measure the layout of an HTML report in headless Chromium.

    tools/report_layout.py REPORT.html WIDTH [--check]

Renders a test-only copy of the report (its Content-Security-Policy meta tag
removed and a measuring script appended) in an iframe WIDTH css pixels wide
(headless windows are at least 500 px wide), dumps the DOM after layout and
prints the measurements as JSON:

  viewport        window.innerWidth
  page_width      document.documentElement.scrollWidth (> viewport: the page
                  scrolls sideways)
  charts          [{label, width, font_px}] per SVG chart: rendered width and
                  the smallest rendered font size of its text
  scrollers       [{table, client, scroll}] per .scroll container: visible
                  width and content width (content wider = it scrolls inside)
  split_words     words of figcaptions and table cells (outside <code>: hashes
                  and paths may break anywhere) drawn on two lines ("E CE"):
                  each word's Range must have one client rectangle
  empty_cells     [table, column] of manifest table cells left empty

With --check, the page-level rules are asserted as well (exit 1 with the
reasons on stderr): no sideways page overflow, every chart at least
min(280, WIDTH - 40) px wide (accuracy vs shots at least min(480, WIDTH - 40))
with text of at least 8 px, no split word, no empty manifest cell, and at
1024 px and wider, the summary and comparison tables fit without scrolling.
Needs Debian's chromium package.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROBE = r"""
<script>
(function () {
  function words(root, out) {
    var walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var t = walk.nextNode(); t; t = walk.nextNode()) {
      if (t.parentElement.closest('code')) continue; /* hashes and paths may break anywhere */
      var re = /[A-Za-z0-9_]+/g, m;
      while ((m = re.exec(t.data))) {
        var r = document.createRange();
        r.setStart(t, m.index); r.setEnd(t, m.index + m[0].length);
        var n = 0, rects = r.getClientRects();
        for (var i = 0; i < rects.length; i++) if (rects[i].width > 0) n++;
        if (n > 1) out.push(m[0]);
      }
    }
  }
  var res = {viewport: window.innerWidth, page_width: document.documentElement.scrollWidth,
             charts: [], scrollers: [], split_words: [], empty_cells: []};
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  document.querySelectorAll('svg[role=img]').forEach(function (s) {
    var w = s.getBoundingClientRect().width, vb = s.viewBox.baseVal, f = 1e9;
    s.querySelectorAll('text').forEach(function (t) {
      var px = parseFloat(t.getAttribute('font-size') || '12') * w / (vb && vb.width ? vb.width : w);
      f = Math.min(f, px);
    });
    res.charts.push({label: s.getAttribute('aria-label'), width: Math.round(w), font_px: Math.round(f * 10) / 10});
  });
  document.querySelectorAll('.scroll').forEach(function (d) {
    var t = d.querySelector('table,svg');
    res.scrollers.push({table: t ? (t.id || t.getAttribute('aria-label') || '') : '',
                        client: d.clientWidth, scroll: d.scrollWidth});
  });
  document.querySelectorAll('figcaption,td,th').forEach(function (e) { words(e, res.split_words); });
  document.querySelectorAll('#manifest ~ div table, #manifest ~ details table').forEach(function (t) {
    var head = Array.prototype.map.call(t.rows[0].cells, function (c) { return c.textContent; });
    for (var i = 1; i < t.rows.length; i++)
      for (var j = 0; j < t.rows[i].cells.length; j++)
        if (!t.rows[i].cells[j].textContent.trim()) res.empty_cells.push([t.id || '', head[j]]);
  });
  parent.postMessage(JSON.stringify(res), '*');
})();
</script>
"""

# Headless Chromium keeps windows at least 500 px wide, so the report is
# measured in an iframe of the wanted width; the probe posts its JSON here.
WRAPPER = """<!DOCTYPE html><html><head><style>body{margin:0}iframe{border:0;display:block}</style></head>
<body><iframe src="probe.html" style="width:%dpx;height:2000px"></iframe><pre id="senti-layout"></pre>
<script>window.addEventListener('message', function (e) {
  document.getElementById('senti-layout').textContent = e.data; });</script></body></html>
"""


def measure(html_path, width):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("report_layout: chromium not found (apt-get install chromium)")
    page = open(html_path, encoding="utf-8").read()
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    if "</body>" not in page:
        sys.exit("report_layout: no </body> in " + html_path)
    page = page.replace("</body>", PROBE + "</body>", 1)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "probe.html"), "w", encoding="utf-8") as f:
            f.write(page)
        wrapper = os.path.join(tmp, "wrapper.html")
        with open(wrapper, "w", encoding="utf-8") as f:
            f.write(WRAPPER % width)
        cmd = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--user-data-dir=" + os.path.join(tmp, "profile"), "--hide-scrollbars",
               "--window-size=%d,2000" % max(width, 500), "--virtual-time-budget=2000", "--dump-dom",
               "file://" + wrapper]
        dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'<pre id="senti-layout">(.*?)</pre>', dom, re.S)
    if not m:
        sys.exit("report_layout: the probe did not run (no measurements in the DOM)")
    raw = m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    return json.loads(raw)


def problems(m, width):
    out = []
    if m["viewport"] != width:
        out.append("viewport %d, expected %d" % (m["viewport"], width))
    if m["page_width"] > m["viewport"]:
        out.append("the page overflows sideways: %d px wide at %d" % (m["page_width"], m["viewport"]))
    for c in m["charts"]:
        need = min(480 if c["label"] == "accuracy vs shots" else 280, width - 40)
        if c["width"] < need:
            out.append("%s chart %d px wide (< %d)" % (c["label"], c["width"], need))
        if c["font_px"] < 8:
            out.append("%s chart text %.1f px (< 8)" % (c["label"], c["font_px"]))
    if m["split_words"]:
        out.append("words broken across lines: %s" % " ".join(sorted(set(m["split_words"]))[:10]))
    if m["empty_cells"]:
        out.append("empty manifest cells: %s" % m["empty_cells"][:5])
    if width >= 1024:
        for s in m["scrollers"]:
            if s["table"] in ("summary-table", "comparisons-table") and s["scroll"] > s["client"]:
                out.append("%s needs %d px, has %d" % (s["table"], s["scroll"], s["client"]))
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    if len(args) != 2:
        sys.exit("usage: tools/report_layout.py REPORT.html WIDTH [--check]")
    width = int(args[1])
    m = measure(args[0], width)
    print(json.dumps(m, indent=1))
    if "--check" in sys.argv:
        bad = problems(m, width)
        for b in bad:
            print("layout at %d px: %s" % (width, b), file=sys.stderr)
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
