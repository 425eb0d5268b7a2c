#!/usr/bin/env bash
# Installs a build into a temporary prefix and runs the installed binary from another folder with
# presets by name (CTest: install.prefix; docs/install.md). Usage: check_install.sh CMAKE BUILD_DIR
set -euo pipefail
cmake=$1
build=$(cd "$2" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tokenplan-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
bin=$prefix/bin/tokenplan
configs=$prefix/share/tokenplan/configs
page=$prefix/share/man/man1/tokenplan.1
[ -x "$bin" ] || fail "$bin is missing or not executable"
[ -f "$configs/calibration.json" ] || fail "$configs/calibration.json is missing"
[ -f "$configs/clusters/bytedance-h200-overseas.json" ] || fail "the shipped clusters are not installed"
[ -f "$page" ] || fail "$page is missing"
[ -f "$prefix/share/doc/tokenplan/LICENSE" ] || fail "$prefix/share/doc/tokenplan/LICENSE is missing"
grep -q '^\.TH TOKENPLAN 1' "$page" || grep -qi '^\.TH tokenplan' "$page" || fail "$page is not a manual page"
if command -v man > /dev/null 2>&1; then
  MANPAGER=cat MANWIDTH=100 man -l "$page" > "$tmp/man.txt" 2> "$tmp/man.err" || { cat "$tmp/man.err"; fail "man -l $page"; }
  grep -q 'capacity' "$tmp/man.txt" || fail "man -l $page printed no command reference"
  echo "man -l: $(wc -l < "$tmp/man.txt") lines"
else
  echo "man not installed: the manual page checked as a file only"
fi

# A preset that only the installed folder holds: found by name, so the installed configs answer.
sed 's/"name": *"llama-3.1-8b"/"name": "install-probe"/' "$configs/models/llama-3.1-8b.json" \
  > "$configs/models/install-probe.json"
grep -q '"install-probe"' "$configs/models/install-probe.json" || fail "could not write the probe preset"

mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
"$bin" version
"$bin" list --format json > list.json
grep -q "\"$configs\"" list.json || grep -q "\"$prefix/bin/../share/tokenplan/configs\"" list.json \
  || { head -c 600 list.json; fail "tokenplan list does not search $configs"; }
"$bin" list models | grep -q 'install-probe' || fail "tokenplan list models does not show the installed probe preset"
"$bin" plan --model llama-3.1-70b --workload chat-30tn --cluster bytedance-h200-overseas --format table \
  --top 3 --quiet > plan.txt || fail "the installed binary's plan with presets by name"
grep -q 'riyadh-sa' plan.txt || { cat plan.txt; fail "the plan names no site"; }
"$bin" plan --model install-probe --workload chat-30tn --cluster bytedance-h200-overseas --top 1 --quiet \
  > probe.json || fail "plan --model install-probe (the preset only the installed folder holds)"
grep -q '"install-probe"' probe.json || fail "the probe plan does not name the probe model"
"$bin" explain --model llama-3.1-70b --workload chat-30tn --gpu h200-sxm \
  --config '{"tp":1,"pp":2,"batch":95,"chunk":8192,"weight_precision":"fp8","kv_precision":"fp8"}' > explain.txt \
  || fail "the installed binary's explain with presets by name"
echo "installed into $prefix and ran from $tmp/elsewhere: ok"
