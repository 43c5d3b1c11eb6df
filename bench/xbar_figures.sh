#!/bin/sh
# xbar figures: the binary digits models (mlp_bin, cnn_bin; 360 test
# samples) on the xbar simulator.
#   bench/xbar_figures.sh [BUILD_DIR]   (default: build)
# XBAR_ROWS (default "64 128 256": square arrays, rows = cols) and
# XBAR_WIRES (r_wire_mohm values, default "300 1000 3000"; 1000 = 1 ohm is
# the default) choose the sweep. Prints markdown tables:
#  1. accuracy: f32 software (cpu, quantize f32), int8/binary cpu, xbar
#     ideal, and xbar nonideal with no flips, weight flips
#     (binsparx(weights=on, activations=off)) and weight + activation flips
#     (binsparx defaults: sub-vectors of 16);
#  2. conducting cells on driven rows (the run report's conducting_cells:
#     the partial-sum measure) per array layer and in total, ideal 64x64,
#     with and without flips, and the stored conducting cells;
#  3. the flip bits against the weight bits (the compile report's xbar
#     object per layer).
set -e
B=$(cd "${1:-build}" && pwd)/bin
cd "$(dirname "$0")/../examples/digits"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ROWS=${XBAR_ROWS:-64 128 256}
WIRES=${XBAR_WIRES:-300 1000 3000}
WF='sparsify * : binsparx(weights=on, activations=off)'
AF='sparsify * : binsparx'
acc() { "$B/spx-run" "$1" --input "$2" --labels data/test_y.npy ${3:+--report "$3"} |
        sed -n 's/^accuracy: \([0-9.]*\) .*/\1/p'; }
xdir() { # model target set-statement -> the compiled .spxbin path
  rm -rf "$T/x"
  if [ -n "$3" ]; then "$B/spxc" $1.spx --target="$2" --set="$3" -o "$T/x" >/dev/null
  else "$B/spxc" $1.spx --target="$2" -o "$T/x" >/dev/null; fi
  echo "$T/x/digits_$1.spxbin"
}
X_mlp_bin=data/test_x_flat.npy
X_cnn_bin=data/test_x.npy

echo "Accuracy (r_wire in ohms per cell segment; nonideal: no flips / weight flips / weight + activation flips)"
echo
printf "| model | f32 | cpu | array | xbar ideal |"
for w in $WIRES; do printf " r_wire %s |" "$(echo "$w" | awk '{print $1/1000}')"; done
echo
printf "|---|---|---|---|---|"
for w in $WIRES; do printf -- "---|"; done
echo
for m in mlp_bin cnn_bin; do
  eval X=\$X_$m
  "$B/spxc" $m.spx --set='quantize f32' -o "$T/f32" >/dev/null
  f32=$(acc "$T/f32/digits_$m.spxbin" $X)
  "$B/spxc" $m.spx -o "$T/cpu" >/dev/null
  cpu=$(acc "$T/cpu/digits_$m.spxbin" $X)
  for r in $ROWS; do
    ideal=$(acc "$(xdir $m "xbar(rows=$r,cols=$r)")" $X)
    printf "| %s | %s | %s | %sx%s | %s |" $m "$f32" "$cpu" $r $r "$ideal"
    for w in $WIRES; do
      o="xbar(rows=$r,cols=$r,mode=1,r_wire_mohm=$w)"
      a0=$(acc "$(xdir $m "$o")" $X)
      a1=$(acc "$(xdir $m "$o" "$WF")" $X)
      a2=$(acc "$(xdir $m "$o" "$AF")" $X)
      printf " %s / %s / %s |" "$a0" "$a1" "$a2"
    done
    echo
  done
done

echo
echo "Conducting cells on driven rows over the 360 samples (ideal, 64x64 arrays; the run report's conducting_cells), stored conducting cells, flip storage"
echo
echo "| model | layer | flips | stored conducting / cells | driven rows | conducting cells | vs no flips | flipped sub-vectors | flip bits / weight bits |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in mlp_bin cnn_bin; do
  eval X=\$X_$m
  for f in none w wa; do
    case $f in none) s= ;; w) s=$WF ;; wa) s=$AF ;; esac
    p=$(xdir $m "xbar" "$s")
    acc "$p" $X "$T/run-$f.json" >/dev/null
    cp "$T/x/digits_$m.report.json" "$T/comp-$f.json"
  done
  /usr/bin/python3 - "$T" $m <<'PY'
import json, sys
t, m = sys.argv[1], sys.argv[2]
base = None
tot = {}
for f, name in (("none", "none"), ("w", "weights"), ("wa", "weights + activations")):
    run = json.load(open("%s/run-%s.json" % (t, f)))["target"]
    comp = json.load(open("%s/comp-%s.json" % (t, f)))
    names = [l.get("name") for l in comp["layers"]]
    # The xbar lowering's per-layer object (flip_bits: one per column,
    # stored whether or not a column is flipped; weight_bits: M x K).
    stats = {l.get("name"): l.get("xbar") for l in comp["layers"]}
    rows = [l for l in run["layers"] if l["unit"] == "arrays"]
    if f == "none":
        base = {l["index"]: l["conducting_cells"] for l in rows}
        base["all"] = run["conducting_cells"]
    fb = wb = 0
    for l in rows:
        n = names[l["index"]]
        st = stats.get(n) or {}
        fb += st.get("flip_bits", 0)
        wb += st.get("weight_bits", 0)
        print("| %s | %s | %s | %d / %d | %d | %d | %+.1f%% | %d | %s |" % (
            m, n, name, l["stored_conducting"], l["cells"], l["driven_rows"],
            l["conducting_cells"], 100.0 * (l["conducting_cells"] / base[l["index"]] - 1),
            l["flipped_subvectors"],
            "%d / %d" % (st["flip_bits"], st["weight_bits"])))
    print("| %s | all | %s | %d | %d | %d | %+.1f%% | %d | %s |" % (
        m, name, run["stored_conducting"], run["driven_rows"], run["conducting_cells"],
        100.0 * (run["conducting_cells"] / base["all"] - 1),
        sum(l["flipped_subvectors"] for l in rows),
        "%d / %d (%.2f%%)" % (fb, wb, 100.0 * fb / wb) if wb else "-"))
PY
done
