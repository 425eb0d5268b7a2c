#!/usr/bin/env bash
# Adds the fleet MIP solvers, GLPK and COIN-OR CBC, with the shared libraries they link, to
# .deps/usr next to what ../shared/device/pack-deps.sh packs, so the GPU machine (no Debian
# packages, no network) builds the same binary as CI. Run here after pack-deps.sh:
#   bash ../shared/device/pack-deps.sh && bash bench/pack-solvers.sh
# Static archives are left out (the build links the shared ones). The pkg-config files are left out: they name /usr, where the device machine has none of this, and
# without them CMake finds the headers and libraries under CMAKE_PREFIX_PATH (.deps/usr).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
pkgs="libglpk-dev libglpk40 libcolamd2 libamd2 libltdl7 libgmp10 libsuitesparseconfig5
      coinor-libcbc-dev coinor-libcbc3 coinor-libcgl-dev coinor-libcgl1 coinor-libclp-dev coinor-libclp1
      coinor-libosi-dev coinor-libosi1v5 coinor-libcoinutils-dev coinor-libcoinutils3v5
      libgfortran5 libquadmath0"
missing=$(for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [[ -n $missing ]]; then apt-get update -qq && apt-get install -y -qq $missing >/dev/null; fi
mkdir -p .deps
for p in $pkgs; do
  dpkg -L "$p" | while read -r f; do
    [[ -f $f || -L $f ]] || continue
    case $f in /usr/share/*|/usr/src/*|*/pkgconfig/*|*.a) continue ;; esac
    # Libraries Debian installs under /lib go next to the others, where LD_LIBRARY_PATH points.
    dest=".deps${f/#\/lib\//\/usr\/lib\/}"
    mkdir -p "$(dirname "$dest")" && cp -a "$f" "$dest"
  done
done
# BLAS and LAPACK (Clp links them) are chosen through /etc/alternatives: copy the ones in use.
for lib in libblas.so.3 liblapack.so.3; do
  cp -L "/usr/lib/x86_64-linux-gnu/$lib" ".deps/usr/lib/x86_64-linux-gnu/$lib"
done
echo "packed GLPK and CBC into .deps/usr ($(du -sh .deps | cut -f1) in all)"
