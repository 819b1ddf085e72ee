#!/usr/bin/env bash
# Prepares a Debian 12 machine (run as root) for curator: installs the missing Debian packages, builds
# the project into ./build (Release), fetches the face models and the charting library (npm echarts,
# pinned by checksum) where the config says, and installs the browser tests' driver (npm
# playwright-core) into tests/browser.
# Safe to run again: every step skips what is already done.
#   CURATOR_CONFIG  config file whose faces.models_dir receives the models (default ops/curator.toml)
#   CURATOR_BUILD_DIR  build folder (default build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CONFIG="${CURATOR_CONFIG:-ops/curator.toml}"
BUILD_DIR="${CURATOR_BUILD_DIR:-build}"
FACE_API_VERSION="1.7.15"
FACE_API_SHA256="0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031"
# Apache ECharts, the dashboard's charts (served by curator itself at /static/echarts.min.js).
ECHARTS_VERSION="5.6.0"
ECHARTS_SHA256="e1b82487dd7f8d9f0438eec1f1433051148e0095ac7a15d4db890afda45cf610"

log() { printf '[setup] %s\n' "$*"; }

# --- 1. Debian packages --------------------------------------------------------------------------
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates sqlite3 ffmpeg
  libtorch-dev libgloo-dev libopencv-dev libcurl4-openssl-dev libsqlite3-dev libsqlitecpp-dev libcpp-httplib-dev
  libspdlog-dev catch2 nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libsodium-dev
  libbenchmark-dev prometheus-cpp-dev
  # FFmpeg's libraries: ingest decodes with them directly (frames nobody looks at are parsed, not decoded).
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  # Boost.Beast and Asio (header-only): the HTTP server.
  libboost-dev
  # Debian's default libblas3 is the netlib reference BLAS; OpenBLAS takes over libblas.so.3 through
  # update-alternatives. Identity grouping's projections run 7.5 s -> 2.7 s at 100k tracks.
  libopenblas0-pthread
  # Browser tests of the web pages: Debian's Chromium driven by npm playwright-core (step 4).
  chromium
  # The torchvision weights export (ops/export_resnet18.py), the TorchScript check of exported models
  # and the training benchmark's python side.
  python3-torch python3-torchvision
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "[setup] missing packages: ${missing[*]}; run as root (or install them) and try again" >&2
    exit 1
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all present"
fi

# --- 2. Build ------------------------------------------------------------------------------------
# ccache must not refuse the precompiled torch header.
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
log "building in $BUILD_DIR ($(nproc) jobs)"
start=$(date +%s)
cmake --build "$BUILD_DIR" -j "$(nproc)"
log "build finished in $(( $(date +%s) - start )) s"

# --- 3. Face models and the charting library (npm tarballs, pinned by SHA-256) ---------------------
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
# npm_tarball SPEC SHA256: downloads the package tarball into $SCRATCH, refuses it unless its SHA-256 is the
# pinned one, and prints its path.
npm_tarball() {
  local dir="$SCRATCH/$1" actual
  mkdir -p "$dir"
  (cd "$dir" && npm pack "$1" --silent >/dev/null)
  local tarball=("$dir"/*.tgz)
  actual="$(sha256sum "${tarball[0]}" | cut -d' ' -f1)"
  if [[ "$actual" != "$2" ]]; then
    echo "[setup] $1 tarball sha256 is $actual, expected $2: refusing to use it" >&2
    exit 1
  fi
  echo "${tarball[0]}"
}

MODELS_DIR="$("$BUILD_DIR/curator" config --config "$CONFIG" --get faces.models_dir)"
STAMP="$MODELS_DIR/.face-api-sha256"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$FACE_API_SHA256" ]]; then
  log "face models: present in $MODELS_DIR"
else
  log "fetching @vladmandic/face-api@$FACE_API_VERSION into $MODELS_DIR"
  tarball="$(npm_tarball "@vladmandic/face-api@$FACE_API_VERSION" "$FACE_API_SHA256")"
  mkdir -p "$MODELS_DIR"
  tar -xzf "$tarball" -C "$MODELS_DIR" --strip-components=1 package/model package/demo package/LICENSE
  echo "$FACE_API_SHA256" > "$STAMP"
  log "face models: unpacked ($(ls "$MODELS_DIR/model" | wc -l) files in $MODELS_DIR/model)"
fi

CHARTS_FILE="$("$BUILD_DIR/curator" config --config "$CONFIG" --get web.charts_file)"
CHARTS_DIR="$(dirname "$CHARTS_FILE")"
if [[ -f "$CHARTS_FILE" && -f "$CHARTS_DIR/.echarts-sha256" && "$(cat "$CHARTS_DIR/.echarts-sha256")" == "$ECHARTS_SHA256" ]]; then
  log "echarts: present in $CHARTS_FILE"
else
  log "fetching echarts@$ECHARTS_VERSION into $CHARTS_FILE"
  tarball="$(npm_tarball "echarts@$ECHARTS_VERSION" "$ECHARTS_SHA256")"
  mkdir -p "$CHARTS_DIR"
  tar -xzf "$tarball" -C "$CHARTS_DIR" --strip-components=1 package/LICENSE package/NOTICE
  tar -xzf "$tarball" -O package/dist/echarts.min.js > "$CHARTS_FILE.part" && mv "$CHARTS_FILE.part" "$CHARTS_FILE"
  echo "$ECHARTS_SHA256" > "$CHARTS_DIR/.echarts-sha256"
fi

# --- 4. Browser test driver ----------------------------------------------------------------------
# playwright-core only (no bundled browsers): the tests drive Debian's /usr/bin/chromium. The version
# is pinned in tests/browser/package-lock.json.
if [[ -d tests/browser/node_modules/playwright-core ]]; then
  log "playwright-core: present"
else
  log "installing playwright-core for the browser tests"
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
