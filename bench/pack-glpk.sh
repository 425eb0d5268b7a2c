#!/usr/bin/env bash
# Adds GLPK (the fleet MIP solver) and the shared libraries it links to .deps/usr, next to what
# ../shared/device/pack-deps.sh packs, so the GPU machine (no Debian packages, no network) can
# build and run tokenplan. Run here after pack-deps.sh:
#   bash ../shared/device/pack-deps.sh && bash bench/pack-glpk.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
pkgs="libglpk-dev libglpk40 libcolamd2 libamd2 libltdl7 libgmp10 libsuitesparseconfig5"
missing=$(for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [[ -n $missing ]]; then apt-get update -qq && apt-get install -y -qq $missing >/dev/null; fi
mkdir -p .deps
for p in $pkgs; do
  dpkg -L "$p" | while read -r f; do
    [[ -f $f || -L $f ]] || continue
    case $f in /usr/share/*|/usr/src/*) continue ;; esac
    # Libraries Debian installs under /lib go next to the others, where LD_LIBRARY_PATH points.
    dest=".deps${f/#\/lib\//\/usr\/lib\/}"
    mkdir -p "$(dirname "$dest")" && cp -a "$f" "$dest"
  done
done
echo "packed GLPK into .deps/usr ($(du -sh .deps | cut -f1) in all)"
