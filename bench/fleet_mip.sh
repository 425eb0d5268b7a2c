#!/usr/bin/env bash
# The fleet MIP on every shipped fleet example, with each solver: time, outcome, objective, bound
# and proven gap of every solve (plan, expansion, capacity) from the JSON's solver sections.
#   bench/fleet_mip.sh [BIN] [extra tokenplan options, e.g. --mip-gap 0 --time-limit 60]
# Prints one Markdown row per solve. Runs the CPU backend; the search time is not the MIP's.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-./build/tokenplan}
shift || true
examples=(
  "plan --cluster bytedance-2026 --model llama-3.1-70b --workload chat-30tn"
  "plan --cluster bytedance-2026 --demand doubao-30tn"
  "plan --cluster bytedance-h200-overseas --model llama-3.1-70b --workload chat-30tn"
  "plan --cluster deepseek-h800 --model deepseek-v3 --workload deepseek-day --grid deepseek-production"
  "capacity --cluster bytedance-h200-overseas --demand tests/schema/data/small-demand.json"
)
echo "| example | solver | solve | outcome | seconds | objective | bound | gap | run wall s |"
echo "|---|---|---|---|---:|---:|---:|---:|---:|"
for ex in "${examples[@]}"; do
  for solver in cbc glpk; do
    start=$(date +%s.%N)
    out=$($bin $ex --backend cpu --quiet --format json --solver "$solver" "$@")
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    EX="$ex" WALL="$wall" python3 -c '
import json, os, sys
d = json.loads(sys.stdin.read())
f = d.get("fleet", d)
def walk(o, path):
    if isinstance(o, dict):
        if "solver" in o and isinstance(o["solver"], dict) and "outcome" in o["solver"]:
            yield path, o["solver"]
        for k, v in o.items():
            if k != "solver": yield from walk(v, path + [k])
def num(x, f="%.6g"):
    return "-" if x is None else f % x
for path, s in walk(f, []):
    gap = "-" if s["gap"] is None else "%.4f%%" % (100 * s["gap"])
    print("| %s | %s | %s | %s | %.2f | %s | %s | %s | %.1f |" % (os.environ["EX"], s["name"], "/".join(path) or "capacity",
          s["outcome"], s["seconds"], num(s["objective"], "%.10g"), num(s["bound"], "%.10g"), gap, float(os.environ["WALL"])))
' <<<"$out"
  done
done
