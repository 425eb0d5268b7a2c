#!/usr/bin/env bash
# Everything that needs a GPU, in one call on the GPU machine: build for sm_90, run the whole test
# suite (CUDA parity included), the GPU and CPU benchmarks, and the example plan on both
# backends. A summary and one archive of every log go to $OUT (at most 8 files come back from the
# device machine).
#   Here, once:  bash ../shared/device/pack-deps.sh && bash bench/pack-glpk.sh
#   Device run:  carry [".deps"], command: bash bench/device.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-$root/device-out}
mkdir -p "$out"
if [ -d .deps/usr ]; then
  export CMAKE_PREFIX_PATH=$root/.deps/usr
  export LD_LIBRARY_PATH=$root/.deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
[ -d /usr/local/cuda/bin ] && export PATH=/usr/local/cuda/bin:$PATH
summary=$out/summary.txt
logs=$(mktemp -d)
{
  echo "tokenplan device run, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  nvcc --version 2>&1 | tail -1
  echo "cpu cores: $(nproc)"
} > "$summary"

status=0
step() {
  local name=$1
  shift
  local t0=$(date +%s)
  "$@" >> "$logs/$name.log" 2>&1
  local rc=$?
  echo "$name: rc=$rc, $(( $(date +%s) - t0 )) s" >> "$summary"
  [ $rc -eq 0 ] || status=1
  return $rc
}

example=(--cluster configs/clusters/bytedance-h200-overseas.json --model configs/models/llama-3.1-70b.json
         --workload configs/workloads/chat-30tn.json --format table --quiet)
step build cmake -S . -B build-device -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 &&
step build cmake --build build-device -j"$(nproc)" || { cat "$summary"; exit 1; }
step ctest ctest --test-dir build-device --output-on-failure -j8
step parity ./build-device/tests/tokenplan_parity_tests
# The CUDA kernels under compute-sanitizer: memcheck on the hand case and 200 random scenarios,
# racecheck (shared-memory hazards) on the hand case.
if command -v compute-sanitizer >/dev/null; then
  step memcheck timeout 240 compute-sanitizer --tool memcheck --error-exitcode 1 ./build-device/tests/tokenplan_parity_tests \
    --gtest_filter='Parity.HandCase:Parity.RandomScenarios'
  step racecheck timeout 120 compute-sanitizer --tool racecheck --error-exitcode 1 ./build-device/tests/tokenplan_parity_tests \
    --gtest_filter='Parity.HandCase'
fi
step bench_gpu ./build-device/bench/bench_gpu
step bench_cpu ./build-device/bench/bench_cpu --benchmark_min_time=0.5
# Issue 5's grids on the H200 and on the machine's CPU cores, from the same run (GPU vs CPU ratio).
# The streaming engine on both; the chunked engine on the GPU for the dense grid, to compare.
step grids bash -c "for s in dense moe giant; do ./build-device/bench/bench_grid \$s --backend cuda | head -1; ./build-device/bench/bench_grid \$s --threads $(nproc) | head -1; done; ./build-device/bench/bench_grid dense --backend cuda --chunked | head -1"
# Instructions executed per configuration on the GPU (ncu's executed-instruction counter) on the
# 1.2e6 grid: divide by the grid size and compare with the H200's issue rate.
command -v ncu >/dev/null && step ncu ncu --metrics smsp__inst_executed.sum,sm__cycles_elapsed.max --csv ./build-device/bench/bench_grid scale-6 --backend cuda
step plans bash -c "time ./build-device/tokenplan plan ${example[*]} --backend cuda; time ./build-device/tokenplan plan ${example[*]} --backend cpu"

{
  echo
  grep -E "tests passed|tests failed|Skipped" "$logs/ctest.log"
  grep -E "PASSED|FAILED" "$logs/parity.log"
  grep -h "ERROR SUMMARY" "$logs/memcheck.log" "$logs/racecheck.log"
  cat "$logs/bench_gpu.log"
  cat "$logs/grids.log"
  grep -E "inst_executed|cycles_elapsed" "$logs/ncu.log" | head -40
  grep -E "^BM_" "$logs/bench_cpu.log"
  grep -E "^real|search:" "$logs/plans.log"
} >> "$summary" 2>/dev/null
tar czf "$out/logs.tar.gz" -C "$logs" .
cat "$summary"
exit $status
