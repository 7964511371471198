#!/usr/bin/env bash
# Runs Deno's Windows build (deno.exe) under Wine on Linux: the Windows lane's engine.
#
#   scripts/wine/run.sh [deno.exe arguments ...]
#   e.g. scripts/wine/run.sh test --allow-read tests/standard/
#
# What it does, each step skipped when already done:
#   1. installs wine64 and the MinGW-w64 cross compiler from Debian's apt;
#   2. fetches deno.exe at the project's pinned version from the npm registry
#      (`npm pack @deno/win32-x64@VERSION`) into the cache;
#   3. builds bcryptprimitives.dll (see bcryptprimitives.c for why) beside it;
#   4. creates a Wine prefix (a Windows `C:` drive, about 700 MB) in the cache;
#   5. runs deno.exe with the arguments from the current folder (`Z:\...` to
#      Windows), then waits for wineserver so nothing is left running.
# The exit status is deno.exe's, or 77 (nothing ran) when the apt packages are missing and
# cannot be installed here; one line on stderr says so.
#
# Environment: FUSION_WINE_CACHE (default ~/.cache/fusion-toolkit-wine) holds deno.exe per
# version, the DLL and the prefix; delete it for a cold run. No display is needed.
set -euo pipefail

# The project's pinned Deno (README, .ci/run); only the Windows build of the same version proves
# anything about the Linux runs.
DENO_VERSION=2.9.6
SKIP=77
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
MINGW_CC=x86_64-w64-mingw32-gcc
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${FUSION_WINE_CACHE:-$HOME/.cache/fusion-toolkit-wine}

say() { echo "wine lane: $*" >&2; }

install_packages() {
  if [ -x "$WINE" ] && command -v "$MINGW_CC" >/dev/null; then return 0; fi
  if ! command -v apt-get >/dev/null || [ "$(id -u)" -ne 0 ]; then
    say "skipped: wine64 and gcc-mingw-w64-x86-64-win32 are missing," \
      "and apt-get is not usable here (needs Debian or Ubuntu, as root)"
    exit "$SKIP"
  fi
  say "installing wine64 and gcc-mingw-w64-x86-64-win32 from apt"
  local log
  log=$(mktemp)
  if ! {
    apt-get -o DPkg::Lock::Timeout=900 update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q \
        --no-install-recommends wine64 gcc-mingw-w64-x86-64-win32
  } >"$log" 2>&1; then
    say "skipped: apt-get could not install wine64 and gcc-mingw-w64-x86-64-win32:" \
      "$(tail -n 1 "$log")"
    rm -f "$log"
    exit "$SKIP"
  fi
  rm -f "$log"
}

# deno.exe from the npm package @deno/win32-x64 (the registry ships the real binary).
fetch_deno() {
  local dir=$1
  [ -f "$dir/deno.exe" ] && return 0
  say "fetching deno.exe $DENO_VERSION from npm (@deno/win32-x64)"
  local work
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "@deno/win32-x64@$DENO_VERSION" >/dev/null &&
    tar -xzf "deno-win32-x64-$DENO_VERSION.tgz" package/deno.exe)
  mkdir -p "$dir"
  mv "$work/package/deno.exe" "$dir/deno.exe.partial"
  mv "$dir/deno.exe.partial" "$dir/deno.exe"
  rm -rf "$work"
}

# Windows loads a DLL from the exe's folder before system32, so ours wins. Rebuilt every run
# (well under a second) and replaced only when it changed.
build_dll() {
  local dir=$1 built
  built=$(mktemp --suffix=.dll)
  "$MINGW_CC" -shared -O2 -Wall -Wextra -Werror -s -o "$built" \
    "$HERE/bcryptprimitives.c" "$HERE/bcryptprimitives.def" -lbcrypt
  if cmp -s "$built" "$dir/bcryptprimitives.dll"; then
    rm -f "$built"
  else
    mv "$built" "$dir/bcryptprimitives.dll"
  fi
}

# A prefix per Wine version; the marker is written last, so a half-made prefix is remade.
make_prefix() {
  local prefix=$1
  [ -f "$prefix/.fusion-toolkit-ready" ] && return 0
  say "creating the Wine prefix $prefix"
  rm -rf "$prefix"
  WINEPREFIX=$prefix "$WINE" wineboot --init >/dev/null 2>&1 || true
  WINEPREFIX=$prefix "$WINESERVER" -w
  [ -d "$prefix/drive_c/windows/system32" ] || {
    say "wineboot did not create $prefix"
    exit 1
  }
  touch "$prefix/.fusion-toolkit-ready"
}

install_packages

export WINEDEBUG=-all        # Wine's own FIXME/warning lines would mix with the tests' output
export WINEDLLOVERRIDES="mscoree,mshtml=" # no .NET or Gecko installers: nothing here uses them
unset DISPLAY WAYLAND_DISPLAY # no window is ever shown
# With no node.exe on PATH, deno.exe puts a `node` shim in its cache for child processes; under
# Wine it copies itself (97 MB) there on every start and never cleans up. Nothing here needs it.
export DENO_DISABLE_NODE_SHIM=1
wine_version=$("$WINE" --version | cut -d' ' -f1) # e.g. wine-8.0
deno_dir=$CACHE/deno-$DENO_VERSION
export WINEPREFIX=$CACHE/prefix-$wine_version

mkdir -p "$CACHE"
# Concurrent runs share the cache; one at a time prepares it.
exec 9>"$CACHE/.lock"
flock 9
fetch_deno "$deno_dir"
build_dll "$deno_dir"
make_prefix "$WINEPREFIX"
flock -u 9

status=0
"$WINE" "$deno_dir/deno.exe" "$@" || status=$?
# wineserver and Wine's services outlive the last Windows process by a few seconds: wait for them.
"$WINESERVER" -w
# A child started with a cleared environment misses DENO_DISABLE_NODE_SHIM: drop its copies.
rm -f "$WINEPREFIX"/drive_c/users/*/AppData/Local/deno/node_compat_bin/node.exe.tmp-*
exit "$status"
