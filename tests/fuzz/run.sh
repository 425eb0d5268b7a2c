#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang, ASan + UBSan) and runs each for a bounded
# time on a seed corpus copied from configs/ (and tests/corpus/). Fails on any finding; its input is kept in
# build-fuzz/findings/. Usage: bash tests/fuzz/run.sh [seconds-per-target] [kind...]
#   TOKENPLAN_FUZZ_JOBS=N  build jobs (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-6}
shift || true
kinds=("$@")
((${#kinds[@]})) || kinds=(gpu model workload cluster demand grid calibration validation-point matrix)

if ! command -v clang++ >/dev/null 2>&1 || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
   || ! dpkg -s libomp-dev >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "tokenplan fuzz: installing clang libclang-rt-dev libomp-dev"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-dev libomp-dev >/dev/null
fi

build=build-fuzz
# -O1 with line tables: a CI-length run is seconds per target, so build time counts more than speed.
CC=clang CXX=clang++ cmake -S . -B $build -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
  -DTOKENPLAN_BUILD_FUZZERS=ON \
  -DTOKENPLAN_ENABLE_CUDA=OFF -DTOKENPLAN_BUILD_TESTS=OFF -DTOKENPLAN_BUILD_BENCH=OFF >/dev/null
targets=()
for k in "${kinds[@]}"; do targets+=("fuzz_${k//-/_}"); done
cmake --build $build -j"${TOKENPLAN_FUZZ_JOBS:-$(nproc)}" --target "${targets[@]}"

seeds() {  # kind -> the shipped configs of that kind, one file per seed
  local k=$1 out=$2
  case $k in
    calibration) cp configs/calibration.json "$out/" ;;
    validation-point)  # one seed per line: a whole file is too long for libFuzzer's max_len
      local n=0
      for f in configs/validation/*.jsonl; do
        while IFS= read -r line; do n=$((n + 1)); printf '%s\n' "$line" > "$out/point-$n.jsonl"; done < "$f"
      done ;;
    matrix) cp configs/sweeps/*.json "$out/" ;;
    *) cp configs/${k}s/*.json "$out/" ;;
  esac
  # The bad-input corpus, when present, seeds the error paths.
  if [ -d tests/corpus/$k ]; then cp tests/corpus/$k/* "$out/" 2>/dev/null || true; fi
}

mkdir -p $build/findings
total=0
failed=()
printf '%-18s %12s %8s\n' target executions result
for k in "${kinds[@]}"; do
  t=fuzz_${k//-/_}
  corpus=$build/corpus/$k
  mkdir -p "$corpus" $build/logs
  seeds "$k" "$corpus"
  rc=0
  [ -x "$build/$t" ] || { echo "tokenplan fuzz: $build/$t was not built" >&2; exit 1; }
  # -timeout: one input taking longer is a finding (a hang); -rss_limit_mb: so is a memory blow-up.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$k-" "$corpus" >"$build/logs/$k.log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$k.log" | tail -1)
  execs=${execs:-0}
  if [ "$rc" -eq 0 ]; then
    total=$((total + execs))
    printf '%-18s %12s %8s\n' "$t" "$execs" clean
  else
    failed+=("$k")
    printf '%-18s %12s %8s\n' "$t" "$execs" FINDING
    grep -E "ERROR|runtime error|finding|Test unit written" "$build/logs/$k.log" | head -20 || true
  fi
done
echo "tokenplan fuzz: $total executions clean over ${#kinds[@]} targets (${secs} s each); logs in $build/logs/"
if ((${#failed[@]})); then
  echo "tokenplan fuzz: findings in ${failed[*]}; inputs kept in $build/findings/ (reproduce: $build/fuzz_KIND FILE)"
  exit 1
fi
