#!/bin/sh
# compile_figures.sh BUILD_DIR [MODEL...] - spxc's own speed: wall time and
# peak resident memory of a full compile (every output: .c, .h, .spxbin,
# report) of the synthetic networks, per target, next to the network's f32
# weight bytes (4 x its parameters; ratio = peak RSS / those bytes), then the
# per-phase and per-pass --timing breakdown of the last model on each target.
# Targets: cpu (int8), aie with 8x8 block sparsity at density 0.5, bitserial
# with BBS (the pass's defaults), lpa (int8 layers on the host).
# Default models: lenet5 resnet18 resnet50 vgg16. One run each, on whatever
# else the machine is doing: compare rows of one run, not runs.
set -e
B=${1:?usage: compile_figures.sh BUILD_DIR [MODEL...]}/bin
shift
EX=$(cd "$(dirname "$0")/../examples/synthetic" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ $# -gt 0 ] || set -- lenet5 resnet18 resnet50 vgg16
TARGETS="cpu aie bitserial lpa"

# compile MODEL TARGET [spxc options...]: a full compile into $T/out.
compile() {
  m=$1 t=$2
  shift 2
  case $t in
    cpu) set -- "$@" ;;
    aie) set -- "$@" --target=aie "--sparsify=*:block(8x8, density=0.5)" ;;
    bitserial) set -- "$@" --target=bitserial "--sparsify=*:bbs" ;;
    lpa) set -- "$@" --target=lpa ;;
  esac
  rm -rf "$T/out"
  /usr/bin/time -f '%e %M' -o "$T/time" "$B/spxc" "$EX/$m.spx" -o "$T/out" "$@"
}

printf '%-9s %-10s %7s %8s %8s %6s\n' model target wall_s peak_MB f32_MB ratio
for m in "$@"; do
  params=$(sed -n 's/^# Parameters: \([0-9,]*\).*/\1/p' "$EX/$m.spx" | tr -d ,)
  for t in $TARGETS; do
    compile "$m" "$t"
    read -r wall kb < "$T/time"
    awk -v m="$m" -v t="$t" -v w="$wall" -v kb="$kb" -v p="$params" 'BEGIN {
      f = 4 * p / 1e6
      printf "%-9s %-10s %7.2f %8.1f %8.1f %6.2f\n", m, t, w, kb / 1e3, f, kb / 1e3 / f }'
  done
  last=$m
done
for t in $TARGETS; do
  printf '\n%s on %s (spxc --timing):\n' "$last" "$t"
  compile "$last" "$t" --timing 2>&1
done
