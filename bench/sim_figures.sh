#!/bin/sh
# sim_figures.sh BUILD_DIR [RUNS] - one ResNet-18 inference
# (examples/synthetic/resnet18.spx, one random input) on the cpu device and
# on every simulator, int8 and BBS weights: `spx-run X.spxbin --input x.npy`
# wall time and CPU time (user + sys: the child's rusage, read to the
# microsecond; /usr/bin/time counts in 10 ms steps), RUNS rounds (default
# 5) with the streams interleaved so that each round shares the machine's
# load, and the median of each; then the wall time with --no-prepare (every
# layer per call on its format's own kernel) for the BBS streams, one round
# (slow). Ratios are to the cpu device's int8 medians. The whole spx-run is
# timed: loading and checking the stream, preparing the weights, the
# inference, the simulators' cycle costing. Last, the cpu device's time per
# inference once a model is loaded and prepared: the CPU time of a run over
# 9 samples minus that over 1, divided by 8 (median of RUNS rounds), for the
# int8 and BBS streams.
set -e
build=${1:?usage: sim_figures.sh BUILD_DIR [RUNS]}
runs=${2:-5}
B=$build/bin
src=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
py=/usr/bin/python3
net=$src/examples/synthetic/resnet18.spx
"$py" -c "import numpy as np; np.random.seed(0); np.save('$T/x.npy', np.random.randn(1, 3, 224, 224).astype(np.float32)); np.save('$T/x9.npy', np.random.randn(9, 3, 224, 224).astype(np.float32))"
bbs() { echo "--set=sparsify * : bbs(group=16, prune=$1, columns=$2)"; }
"$B/spxc" "$net" --emit=spxbin -o "$T/cpu-int8"
"$B/spxc" "$net" --emit=spxbin -o "$T/cpu-bbs-ra4" "$(bbs round_avg 4)"
"$B/spxc" "$net" --emit=spxbin -o "$T/cpu-bbs-zp2" "$(bbs zp_shift 2)"
for t in aie lpa xbar bitserial; do
  "$B/spxc" "$net" --target=$t --emit=spxbin -o "$T/$t-int8" 2>/dev/null
done
"$B/spxc" "$net" --target=bitserial --emit=spxbin -o "$T/bitserial-bbs-ra4" "$(bbs round_avg 4)"
"$B/spxc" "$net" --target=bitserial --emit=spxbin -o "$T/bitserial-bbs-zp2" "$(bbs zp_shift 2)"
cases="cpu-int8 cpu-bbs-ra4 cpu-bbs-zp2 aie-int8 lpa-int8 xbar-int8 bitserial-int8 bitserial-bbs-ra4 bitserial-bbs-zp2"
timed() { # command...: "wall user sys" seconds of one run, its stdout dropped
  "$py" -c "import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
r = os.wait4(p.pid, 0)[2]
print('%.6f %.6f %.6f' % (time.perf_counter() - t, r.ru_utime, r.ru_stime))" "$@"
}
one() { # case [options]: wall and CPU seconds of one spx-run
  c=$1; shift
  timed "$B/spx-run" "$T/$c/resnet18.spxbin" --input "$T/x.npy" "$@"
}
cpu1() { # case input: CPU seconds of one spx-run
  timed "$B/spx-run" "$T/$1/resnet18.spxbin" --input "$2" | awk '{ print $2 + $3 }'
}
i=0
while [ $i -lt "$runs" ]; do
  for c in $cases; do echo "$c $(one $c)" >> "$T/times"; done
  for c in cpu-int8 cpu-bbs-ra4 cpu-bbs-zp2; do
    echo "$c $(cpu1 $c "$T/x.npy") $(cpu1 $c "$T/x9.npy")" >> "$T/marginal"
  done
  i=$((i + 1))
done
for c in cpu-bbs-ra4 cpu-bbs-zp2 bitserial-bbs-ra4 bitserial-bbs-zp2; do
  echo "$c $(one $c --no-prepare | cut -d' ' -f1)" >> "$T/noprep"
done
"$py" - "$T/times" "$T/noprep" "$T/marginal" $cases <<'PY'
import statistics, sys
t, u = {}, {}
for line in open(sys.argv[1]):
    c, w, us, sy = line.split()
    t.setdefault(c, []).append(float(w))
    u.setdefault(c, []).append(float(us) + float(sy))
n = dict(l.split() for l in open(sys.argv[2]))
bw, bu = statistics.median(t['cpu-int8']), statistics.median(u['cpu-int8'])
print('%-20s %8s %6s %8s %6s %13s' % ('stream', 'wall', 'x cpu', 'cpu time', 'x cpu', '--no-prepare'))
for c in sys.argv[4:]:
    w, s = statistics.median(t[c]), statistics.median(u[c])
    print('%-20s %7.3fs %6.2f %7.3fs %6.2f %13s' % (c, w, w / bw, s, s / bu,
                                                    ('%.2fs' % float(n[c])) if c in n else '-'))
m = {}
for line in open(sys.argv[3]):
    c, one, nine = line.split()
    m.setdefault(c, []).append((float(nine) - float(one)) / 8)
mb = statistics.median(m['cpu-int8'])
print()
print('%-20s %16s %6s' % ('cpu device', 'per inference', 'x int8'))
for c in ('cpu-int8', 'cpu-bbs-ra4', 'cpu-bbs-zp2'):
    x = statistics.median(m[c])
    print('%-20s %15.4fs %6.2f' % (c, x, x / mb))
PY
