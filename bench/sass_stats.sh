#!/usr/bin/env bash
# What the CUDA kernels cost before they run, from the compiler alone (no GPU needed): for every
# kernel of cuda/backend_cuda.cu that runs a tokenplan functor, ptxas's registers per thread,
# stack frame and spills, and the static SASS size (instructions = the kernel's .text section
# bytes / 16: every sm_90 instruction is 128 bits). Static, not executed: a loop counts once and a
# branch not taken counts in full. The executed count per configuration needs ncu on a GPU
# (bench/device.sh).
#   bash bench/sass_stats.sh [ARCH]      ARCH: 90 (default)
# Needs nvcc and binutils (readelf, c++filt); takes about 4 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:-90}
[ -d /usr/local/cuda/bin ] && export PATH=/usr/local/cuda/bin:$PATH
command -v nvcc >/dev/null || { echo "sass_stats: nvcc not found" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The flags of the CMake build (CMakeLists.txt): no FMA contraction, C++17, -O3.
nvcc -DTHRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_CUDA -DTHRUST_HOST_SYSTEM=THRUST_HOST_SYSTEM_CPP -DTOKENPLAN_HAVE_CUDA=1 \
  -I"$root/host" -I"$root/cuda" -I"$root/include" -O3 -DNDEBUG -arch=sm_"$arch" --fmad=false \
  -Xcompiler=-ffp-contract=off -std=c++17 -cubin -Xptxas -v -o "$work/backend.cubin" "$root/cuda/backend_cuda.cu" \
  > "$work/ptxas.log" 2>&1 || { cat "$work/ptxas.log" >&2; exit 1; }
readelf -SW "$work/backend.cubin" 2>/dev/null | awk '
  function hex(s,   i, n) { n = 0; for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
  $2 ~ /^\.text\./ {print substr($2, 7), hex($6)}' > "$work/sizes"
echo "nvcc: $(nvcc --version | tail -1); sm_$arch; $(date -u '+%Y-%m-%d')"
printf '%-40s %5s %6s %8s %8s %12s\n' "kernel (functor, Thrust algorithm)" "regs" "stack" "spill-st" "spill-ld" "SASS instrs"
# ptxas prints, per entry: "Compiling entry function 'NAME'", then its properties (stack, spills)
# and "Used N registers". The kernels that run the model are named by their functor; the rest
# (Thrust's sorts, scans, reductions, compaction and fills) are summed up in one line.
awk -v sizes="$work/sizes" '
  BEGIN { while ((getline line < sizes) > 0) { split(line, f, " "); size[f[1]] = f[2] } }
  /Compiling entry function/ { match($0, /'"'"'[^'"'"']+'"'"'/); name = substr($0, RSTART + 1, RLENGTH - 2); stack = spst = spld = 0; props = 0; next }
  /Function properties for/ { props = (index($0, name) > 0); next }
  props && /bytes stack frame/ { stack = $1; spst = $5; spld = $9; next }
  /Used [0-9]+ registers/ && name != "" {
    match($0, /Used [0-9]+ registers/); regs = substr($0, RSTART + 5, RLENGTH - 15)
    functor = ""
    n = split("block_fn score_fn side_fn eval_fn", model, " ")
    for (k = 1; k <= n; k++) if (index(name, length(model[k]) model[k]) > 0) functor = model[k]
    if (functor == "score_fn" && index(name, "stride_fn") > 0) functor = "score_fn, strided sample"
    kind = (name ~ /for_each/) ? "for_each" : (name ~ /transform_kernel/) ? "transform" : "other"
    if (functor != "") {
      printf "%-40s %5s %6s %8s %8s %12d\n", functor " (" kind ")", regs, stack, spst, spld, size[name] / 16
    } else {
      others += 1; if (size[name] / 16 > most) most = size[name] / 16; if (regs + 0 > mostregs) mostregs = regs + 0
    }
    name = ""
  }
  END { printf "%d other kernels (Thrust: sort, scan, reduce, copy_if, fill): at most %d registers, %d instructions each\n", others, mostregs, most }' \
  "$work/ptxas.log" | sort -u
