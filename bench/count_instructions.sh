#!/usr/bin/env bash
# Instructions executed per configuration on the CPU, counted by valgrind's callgrind (this
# machine's VM exposes no hardware counters to perf): one search of a benchmark grid on one
# thread, the inclusive instruction count of the search divided by the grid size, pruned and
# unpruned. Divide by the core's sustained instructions per second for the floor.
#   bash bench/count_instructions.sh [build-dir] [scenario]     (default: scale-6, 1.2e6 configs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
scenario=${2:-scale-6}
bin=$build/bench/bench_grid
command -v valgrind >/dev/null || { echo "count_instructions: valgrind not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for mode in pruned unpruned; do
  flags=()
  [ $mode = unpruned ] && flags=(--no-prune)
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$mode" "$bin" "$scenario" --threads 1 "${flags[@]}" \
    > "$tmp/run.$mode" 2> "$tmp/vg.$mode"
  grid=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['grid_size'])" "$tmp/run.$mode")
  full=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['fully_evaluated'])" "$tmp/run.$mode")
  # The search's inclusive count: cpu_backend::search and everything it calls.
  ir=$(callgrind_annotate --inclusive=yes "$tmp/cg.$mode" 2>/dev/null | grep 'cpu_backend::search' | head -1 |
       awk '{gsub(",", "", $1); print $1}')
  python3 -c "
import sys
ir, grid, full = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print(f'{sys.argv[4]:>9}: {sys.argv[5]} grid {grid:,} configurations, {ir:,} instructions in the search: '
      f'{ir/grid:,.0f} per configuration, {ir/max(full,1):,.0f} per configuration evaluated (not inherited) ({full:,})')
" "$ir" "$grid" "$full" "$mode" "$scenario"
done
