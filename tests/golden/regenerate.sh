#!/usr/bin/env bash
# Regenerates the golden plan output from the current model and shipped configs. Run it on
# purpose after changing the model, its factors or the configs, and review the diff:
#   bash tests/golden/regenerate.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
cd "$root"
"$build/tokenplan" plan --cluster configs/clusters/bytedance-h200-overseas.json \
  --model configs/models/llama-3.1-70b.json --workload configs/workloads/chat-30tn.json \
  --backend cpu --top 5 --quiet --out tests/golden/plan-llama-3.1-70b-chat-30tn.json
echo "regenerated tests/golden/plan-llama-3.1-70b-chat-30tn.json"
