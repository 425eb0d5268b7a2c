#!/usr/bin/env bash
# Issue 5's CPU figures from one command: configurations per second on the three benchmark grids
# (dense ~1e8, MoE disaggregated ~8e8, giant ~1e10) at 1 thread and all cores, the work saved by
# pruning, and peak resident memory over a ladder of grid sizes from 1e6 to 1e10 (it must not
# grow). Prints a Markdown table for bench/RESULTS.md; the raw JSON lines go to $OUT/grids.jsonl.
#   bash bench/grid_scaling.sh [build-dir]          (the giant grid takes ~10+ min on 2 cores)
#   QUICK=1 bash bench/grid_scaling.sh              (skip the 1e9 and 1e10 runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bin=$build/bench/bench_grid
[ -x "$bin" ] || { echo "grid_scaling: $bin not built (cmake --build $build --target bench_grid)" >&2; exit 1; }
out=${OUT:-$build/bench-out}
mkdir -p "$out"
log=$out/grids.jsonl
: > "$log"
cores=$(nproc)
run() {  # scenario threads [extra flags]
  local s=$1 t=$2
  shift 2
  "$bin" "$s" --threads "$t" "$@" | head -1 | tee -a "$log"
}
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $cores cores; $(date -u '+%Y-%m-%d'); commit $(git -C "$root" rev-parse --short HEAD)" | tee "$out/machine.txt"
for s in dense moe giant; do
  if [ -n "${QUICK:-}" ] && [ "$s" != dense ]; then continue; fi
  [ "$s" = giant ] || run "$s" 1 >/dev/null
  run "$s" "$cores" >/dev/null
done
for s in scale-6 scale-7 scale-8 scale-9 scale-10; do
  if [ -n "${QUICK:-}" ] && { [ "$s" = scale-9 ] || [ "$s" = scale-10 ]; }; then continue; fi
  [ "$s" = scale-10 ] && grep -q '"scenario": "giant"' "$log" && continue  # the same grid as giant
  run "$s" "$cores" >/dev/null
done
python3 - "$log" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"scenario"')]
print("| grid | configurations | threads | wall s | configs/s | per thread | evaluated | inherited | bound-skipped | peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    t = int(r["device"].split()[0])
    print(f'| {r["scenario"]} | {r["grid_size"]:.3g} | {t} | {r["wall_s"]:.2f} | {r["configs_per_s"]:.3g} | '
          f'{r["configs_per_s"]/t:.3g} | {r["fully_evaluated"]/r["grid_size"]:.1%} | {r["pruned_prefix"]/r["grid_size"]:.1%} | '
          f'{r["pruned_bound"]/r["grid_size"]:.1%} | {r["peak_rss_mib"]:.1f} |')
PY
