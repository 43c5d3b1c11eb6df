"""check_report.py: checks spx-report's output against the reports it read.

  check_report.py (--csv|--text|--dom) OUT [--baseline N] COL...

Each COL is COMPILE.json, COMPILE.json+RUN.json or +RUN.json (a column's
files, as the test pairs them). This script recomputes every figure from the
JSON files by the definitions of docs/report.md - not from spx-report's
code - and compares: the CSV's numbers (relative 1e-9), or every cell of the
text tables / the HTML page's tables (as displayed), and for the page also
that its script finished ('ok' status) and drew bars whose values are the
reports' figures.
"""
import csv
import html.parser
import json
import math
import re
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


class Column:
    def __init__(self, spec):
        comp, _, run = spec.partition("+")
        self.comp = load(comp) if comp else None
        self.run = load(run) if run else None
        self.layers = {}  # name -> dict of figures
        self.order = []
        if self.comp:
            for l in self.comp["layers"]:
                d = self.layer(l["name"])
                d["op"] = l.get("op")
                d["weight_bytes"] = l["encoded_weight_bytes"]
                d["params"] = l["params"]
                d["macs"] = l["macs"]
                if l["params"] > 0:
                    d["bits_per_weight"] = 8.0 * l["encoded_weight_bytes"] / l["params"]
                st = l.get("stats", {})
                t = st.get("technique")
                d["technique"] = t
                if t == "block":
                    d["density"] = st["density"]
                elif t == "bbs":
                    d["bit_sparsity"] = st["bit_sparsity_after"]
                elif t == "ternary" and "sparsity" in st:
                    d["zero_fraction"] = st["sparsity"]
                elif t == "binsparx":
                    d["flipped_columns"] = st["flipped_columns"]
                elif t == "lp":
                    d["weight_sqnr_db"] = st["weight_sqnr_db"]
                d["stats"] = st
        if self.run:
            for l in self.run["layers"]:
                if not l["name"]:
                    continue
                d = self.layer(l["name"])
                d.setdefault("op", l.get("op"))
                d["time_us"] = d.get("time_us", 0.0) + l["mean_us"]
                for k in ("cycles",):
                    if k in l:
                        d[k] = d.get(k, 0) + l[k]
                for k in ("utilization", "bound", "sqnr_db", "max_abs_error"):
                    if k in l and k not in d:
                        d[k] = l[k]
        # totals, by the definitions
        t = self.totals = {}
        if self.comp:
            ct = self.comp["totals"]
            t["params"] = ct["params"]
            t["weight_bytes"] = ct["encoded_weight_bytes"]
            t["macs"] = ct["macs"]
            t["bits_per_weight"] = 8.0 * ct["encoded_weight_bytes"] / ct["params"]
            t["compression_f32"] = ct["dense_weight_bytes"] / ct["encoded_weight_bytes"]
        if self.run:
            r = self.run
            if "cycles" in r:
                t["cycles"] = r["cycles"]
            elif any("cycles" in d for d in self.layers.values()):
                t["cycles"] = sum(d.get("cycles", 0) for d in self.layers.values())
            t["time_us"] = r["total_ms"] * 1000.0 / r["samples"]
            lc = sum(d["cycles"] for d in self.layers.values() if "cycles" in d)
            if lc > 0:
                if any("utilization" in d for d in self.layers.values()):
                    t["utilization"] = sum(d["utilization"] * d["cycles"]
                                           for d in self.layers.values()
                                           if "utilization" in d and "cycles" in d) / lc
                per = {}
                for name in self.order:
                    d = self.layers[name]
                    if "cycles" in d and "bound" in d:
                        per.setdefault(d["bound"], 0)
                        per[d["bound"]] += d["cycles"]
                if per:
                    best = max(per, key=lambda b: (per[b], -list(per).index(b)))
                    t["bound"] = best
                    t["bound_share"] = per[best] / lc
            if "accuracy" in r:
                t["accuracy"] = r["accuracy"]
        self.device = self.run["device"] if self.run else None

    def layer(self, name):
        if name not in self.layers:
            self.layers[name] = {}
            self.order.append(name)
        return self.layers[name]


def against(cols, base):
    b = cols[base]
    for c in cols:
        t, bt = c.totals, b.totals
        if "cycles" in bt and "cycles" in t:
            t["speedup"] = bt["cycles"] / t["cycles"]
        elif ("cycles" not in bt and "cycles" not in t and "time_us" in bt and "time_us" in t
              and b.device == "cpu" and c.device == "cpu"):
            t["speedup"] = bt["time_us"] / t["time_us"]
            t["speedup_wall"] = True
        if "weight_bytes" in bt and "weight_bytes" in t:
            t["compression"] = bt["weight_bytes"] / t["weight_bytes"]


def fmt(metric, v):
    if v is None:
        return ""
    if metric in ("weight_bytes", "cycles", "params", "macs"):
        return "%.0f" % v
    if metric in ("bits_per_weight", "sqnr_db"):
        return "%.2f" % v
    if metric == "utilization":
        return "%.1f%%" % (100 * v)
    if metric == "time_us":
        return "%.3f" % v
    if metric in ("speedup", "compression", "compression_f32"):
        return "%.2fx" % v
    if metric == "accuracy":
        return "%.4f" % v
    return "%.4g" % v


def sparsity_text(d):
    st = d.get("stats", {})
    t = st.get("technique")
    kept = "kept dense" if "kept_dense" in st else "kept int8" if "kept_int8" in st else ""
    if t == "block":
        return "density %.4g (%d/%d blocks%s)" % (st["density"], st["blocks_kept"],
                                                  st["blocks_total"], ", kept dense" if kept else "")
    if t == "bbs":
        return "bit sparsity %.3f, %d cols pruned" % (st["bit_sparsity_after"], st["columns_pruned"])
    if t == "ternary":
        return "zeros %.1f%%" % (100 * st["sparsity"]) if "sparsity" in st else kept
    if t == "binsparx":
        return "flips %d/%d cols" % (st["flipped_columns"], st["columns"])
    if t == "lp":
        return "weight SQNR %.1f dB, %d zeros" % (st["weight_sqnr_db"], st["zero_weights"])
    return kept


LAYER_METRICS = ["weight_bytes", "bits_per_weight", "sparsity", "cycles", "utilization",
                 "bound", "time_us", "sqnr_db", "max_abs_error"]
TOTAL_METRICS = ["params", "weight_bytes", "bits_per_weight", "compression_f32", "compression",
                 "cycles", "speedup", "time_us", "utilization", "bound", "accuracy"]


def expect_cell(c, name, m):
    if name not in c.layers:
        return ""
    d = c.layers[name]
    if m == "sparsity":
        return sparsity_text(d)
    if m == "bound":
        return d.get("bound", "")
    return fmt(m, d.get(m))


def expect_total(c, m, in_layer_table):
    t = c.totals
    if m == "bound":
        return "%s %.0f%%" % (t["bound"], 100 * t["bound_share"]) if "bound" in t else ""
    if in_layer_table and m in ("sparsity", "sqnr_db", "max_abs_error"):
        return ""
    s = fmt(m, t.get(m))
    if m == "speedup" and t.get("speedup_wall") and s:
        s += " (wall)"
    return s


def layer_union(cols):
    names = []
    for c in cols:
        prev = -1
        for n in c.order:
            if n in names:
                prev = names.index(n)
            else:
                names.insert(prev + 1, n)
                prev += 1
    return names


def expected_tables(cols):
    """{metric: {row: [cell per column]}} for the layer tables and 'totals'."""
    names = layer_union(cols)
    tabs = {}
    for m in LAYER_METRICS:
        rows = {n: [expect_cell(c, n, m) for c in cols] for n in names}
        if not any(v for r in rows.values() for v in r):
            continue
        rows["total"] = [expect_total(c, m, True) for c in cols]
        tabs[m] = rows
    tot = {}
    for m in TOTAL_METRICS:
        row = [expect_total(c, m, False) for c in cols]
        if any(row):
            tot[m] = row
    return names, tabs, tot


def fail(msg):
    sys.exit("check_report: " + msg)


def check_text(path, cols):
    names, tabs, tot = expected_tables(cols)
    text = open(path).read()
    titles = {"weight bytes": "weight_bytes", "bits per weight": "bits_per_weight",
              "sparsity (scheme)": "sparsity", "cycles": "cycles", "utilization": "utilization",
              "bound": "bound", "wall time per inference (us)": "time_us",
              "SQNR vs float (dB)": "sqnr_db", "max abs error vs float": "max_abs_error",
              "totals": "totals"}
    ttitles = {"weights (params)": "params", "weight bytes": "weight_bytes",
               "bits per weight": "bits_per_weight", "compression vs f32": "compression_f32",
               "compression vs baseline": "compression", "cycles": "cycles",
               "speedup vs baseline": "speedup", "wall time per inference (us)": "time_us",
               "utilization": "utilization", "bound": "bound", "accuracy": "accuracy"}
    got, cur = {}, None
    for line in text.split("\n"):
        if not line.strip():
            cur = None
            continue
        parts = re.split(r"\s{2,}", line.strip())
        if not line.startswith(" "):
            if parts[0] in titles and len(parts) == len(cols) + 1:
                cur = titles[parts[0]]
                got[cur] = {}
            continue
        if cur is None:
            continue
        if len(parts) != len(cols) + 1:
            fail("%s: row '%s' has %d cells, expected %d" % (path, line, len(parts) - 1, len(cols)))
        key = ttitles.get(parts[0], parts[0]) if cur == "totals" else parts[0]
        got[cur][key] = ["" if v == "-" else v for v in parts[1:]]
    want = dict(tabs)
    want["totals"] = tot
    compare(path, got, want)
    for m, rows in got.items():
        if m != "totals" and [r for r in rows if r != "total"] != names:
            fail("%s: %s: layers %s, expected %s" % (path, m, list(rows), names))


def compare(path, got, want):
    n = 0
    for m, rows in want.items():
        if m not in got:
            fail("%s: no table '%s'" % (path, m))
        for row, cells in rows.items():
            if row not in got[m]:
                fail("%s: table '%s' has no row '%s'" % (path, m, row))
            if got[m][row] != cells:
                fail("%s: %s / %s: %s, expected %s" % (path, m, row, got[m][row], cells))
            n += len(cells)
    for m in got:
        if m not in want:
            fail("%s: unexpected table '%s'" % (path, m))
    print("check_report: %s: %d tables, %d cells match" % (path, len(want), n))


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def check_csv(path, cols):
    rows = list(csv.DictReader(open(path, newline="")))
    layer_rows = [r for r in rows if r["kind"] == "layer"]
    totals = [r for r in rows if r["kind"] == "total"]
    if len(totals) != len(cols):
        fail("%d total rows for %d columns" % (len(totals), len(cols)))
    want_layers = sum(len(c.layers) for c in cols)
    if len(layer_rows) != want_layers:
        fail("%d layer rows, expected %d" % (len(layer_rows), want_layers))
    checked = 0

    def num(row, key, want, what):
        nonlocal checked
        v = row[key]
        if want is None:
            if v != "":
                fail("%s %s: '%s', expected empty" % (what, key, v))
            return
        if v == "" or not close(float(v), want):
            fail("%s %s: '%s', expected %r" % (what, key, v, want))
        checked += 1

    for r in layer_rows:
        c = cols[int(r["column"]) - 1]
        d = c.layers.get(r["layer"])
        if d is None:
            fail("column %s has no layer %s" % (r["column"], r["layer"]))
        what = "column %s layer %s" % (r["column"], r["layer"])
        for k in ("macs", "params", "weight_bytes", "bits_per_weight", "density", "bit_sparsity",
                  "zero_fraction", "flipped_columns", "weight_sqnr_db", "cycles", "utilization",
                  "time_us", "sqnr_db", "max_abs_error"):
            num(r, k, d.get(k), what)
        if (r["bound"] or None) != d.get("bound"):
            fail("%s bound: '%s', expected %r" % (what, r["bound"], d.get("bound")))
        if r["sparsity"] != sparsity_text(d):
            fail("%s sparsity: '%s', expected '%s'" % (what, r["sparsity"], sparsity_text(d)))
    for r in totals:
        c = cols[int(r["column"]) - 1]
        what = "column %s total" % r["column"]
        for k in ("macs", "params", "weight_bytes", "bits_per_weight", "cycles", "utilization",
                  "time_us", "compression_f32", "compression", "speedup", "accuracy"):
            num(r, k, c.totals.get(k), what)
        if (r["bound"] or None) != c.totals.get("bound"):
            fail("%s bound: '%s', expected %r" % (what, r["bound"], c.totals.get("bound")))
    print("check_report: %s: %d rows, %d numbers match" % (path, len(rows), checked))


class Dom(html.parser.HTMLParser):
    """Collects the page's tables (totals and per layer), status and bars."""

    def __init__(self):
        super().__init__()
        self.tables = {}
        self.table = None
        self.row = None
        self.cell = None
        self.status = None
        self.in_status = False
        self.bars = []  # (chart, col, layer, value)
        self.chart = None
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            if a.get("id") == "totals":
                self.table = "totals"
            elif a.get("class") == "layers":
                self.table = a["data-metric"]
            else:
                self.table = None
            if self.table:
                self.tables[self.table] = {}
        elif tag == "tr" and self.table:
            key = a.get("data-metric") if self.table == "totals" else a.get("data-layer")
            if key is not None:
                self.row = "total" if key == "" else key
                self.tables[self.table][self.row] = []
            else:
                self.row = None
        elif tag == "td" and self.table and self.row is not None:
            self.cell = ""
        elif tag == "p" and a.get("id") == "status":
            self.status = a.get("data-status")
            self.in_status = True
        elif tag == "svg":
            self.chart = a.get("data-chart")
        elif tag == "rect" and self.chart:
            self.bars.append((self.chart, int(a["data-col"]), a.get("data-layer"),
                              float(a["data-value"])))
        elif tag == "script" and "src" in a:
            self.scripts.append(a["src"])

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.tables[self.table][self.row].append(self.cell.strip())
            self.cell = None
        elif tag == "table":
            self.table = None
        elif tag == "p":
            self.in_status = False
        elif tag == "svg":
            self.chart = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.in_status:
            self.status_text = data.strip()


def check_dom(path, cols):
    names, tabs, tot = expected_tables(cols)
    text = open(path).read()
    if re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text):
        fail("%s: the page loads something from the network" % path)
    d = Dom()
    d.feed(text)
    if d.status != "ok":
        fail("%s: status '%s' (%s), not ok: the page's script failed" %
             (path, d.status, getattr(d, "status_text", "")))
    if d.scripts:
        fail("%s: external scripts %s" % (path, d.scripts))
    want = dict(tabs)
    want["totals"] = tot
    compare(path, d.tables, want)
    # the bars: per-layer weight bytes and cycles, totals
    n = 0
    for chart, col, layer, value in d.bars:
        c = cols[col - 1]
        if chart in ("weight_bytes", "cycles", "bits_per_weight"):
            want_v = c.layers[layer].get(chart)
        elif chart.startswith("total_"):
            want_v = c.totals.get(chart[6:])
        else:
            fail("unknown chart %s" % chart)
        if want_v is None or not math.isclose(value, want_v, rel_tol=1e-9):
            fail("%s: bar %s column %d %s: %r, expected %r" % (path, chart, col, layer, value,
                                                              want_v))
        n += 1
    charts = sorted(set(b[0] for b in d.bars))
    for need in ("weight_bytes", "total_weight_bytes"):
        if need not in charts:
            fail("%s: no bars in chart %s (charts: %s)" % (path, need, charts))
    print("check_report: %s: status ok, %d bars in %d charts match" % (path, n, len(charts)))


def main(argv):
    mode, out, base, specs = None, None, 1, []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("--csv", "--text", "--dom"):
            mode, out = a[2:], argv[i + 1]
            i += 2
        elif a == "--baseline":
            base = int(argv[i + 1])
            i += 2
        else:
            specs.append(a)
            i += 1
    cols = [Column(s) for s in specs]
    against(cols, base - 1)
    {"csv": check_csv, "text": check_text, "dom": check_dom}[mode](out, cols)


if __name__ == "__main__":
    main(sys.argv)
