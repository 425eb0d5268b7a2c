#!/usr/bin/env bash
# How much the DeepSeek production-day check moves with the assumptions DeepSeek did not publish
# (docs/validation.md, "DeepSeek's production day"). Plans the day (configs/workloads/deepseek-day.json
# on configs/clusters/deepseek-h800.json with the deepseek-production grid) once as shipped and once
# per changed assumption, and prints the average node count (the fleet at the peak, scaled by the
# published peak-to-average 1.226) against DeepSeek's published 226.75.
#   bash bench/deepseek-day-sensitivity.sh [tokenplan-binary]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/tokenplan}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
variant() {  # name, python expression editing the workload dict w
  python3 - "$root/configs/workloads/deepseek-day.json" "$tmp/$1.json" "$2" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(w, open(sys.argv[2], "w"), indent=1)
PY
}
variant shipped "pass"
variant ttft-1000ms "w['slo']['ttft_ms'] = 1000"
variant ttft-5000ms "w['slo']['ttft_ms'] = 5000"
variant no-prompt-spread "w['input_tokens']['p50'] = w['input_tokens']['mean']"
variant tpot-45.5ms-22tps "w['slo']['tpot_ms'] = 45.5"
variant tpot-50ms-20tps "w['slo']['tpot_ms'] = 50"
variant mtp-acceptance-0.90 "w['speculative']['acceptance'] = 0.90"
variant engine-as-sglang "w['engine'] = 'sglang'"
variant engine-as-tensorrt-llm "w['engine'] = 'tensorrt-llm'"
printf '%-26s %10s %12s %s\n' "assumption changed" "avg nodes" "vs 226.75" "configuration"
for f in shipped ttft-1000ms ttft-5000ms no-prompt-spread tpot-45.5ms-22tps tpot-50ms-20tps mtp-acceptance-0.90 \
         engine-as-sglang engine-as-tensorrt-llm; do
  "$bin" plan --cluster "$root/configs/clusters/deepseek-h800.json" --model "$root/configs/models/deepseek-v3.json" \
    --workload "$tmp/$f.json" --grid "$root/configs/grids/deepseek-production.json" --backend cpu --top 1 --quiet \
    --out "$tmp/$f.plan.json"
  python3 - "$tmp/$f.plan.json" "$f" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
r = j["results"][0] if j.get("results") else None
if r is None:
    print("%-26s %10s" % (sys.argv[2], "infeasible")); sys.exit()
gpus = sum(p["gpus_billed"] for p in r["pools"].values())
nodes = gpus / 8.0 / j["demand"]["peak_to_average"]
c = r["config"]
shape = "P:EP%d/D:EP%d" % (c["prefill"]["ep"], c["decode"]["ep"]) if c["mode"] == "disaggregated" else c["mode"]
print("%-26s %10.1f %+11.1f%% %s" % (sys.argv[2], nodes, 100 * (nodes / 226.75 - 1), shape))
PY
done
