#!/usr/bin/env bash
# The main job: set up (packages, build, face models), then run the daemon on 127.0.0.1:8080 with the
# embedded default store (SQLite + blobs under ./var). Ctrl-C stops it cleanly. Extra arguments go to
# `curator serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ops/setup.sh
exec "${CURATOR_BUILD_DIR:-build}/curator" serve --config "${CURATOR_CONFIG:-ops/curator.toml}" "$@"
