#!/usr/bin/env bash
# The test job: the same set-up as ops/run.sh, then the whole suite through ctest (two at a time).
# Tests that need the shared real data read it from $CURATOR_TEST_DATA, else ../shared/data; when it is
# missing they report themselves skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ops/setup.sh
data="${CURATOR_TEST_DATA:-../shared/data}"
if [[ ! -d "$data" ]]; then
  echo "[test] NOTE: shared real test data not found at $data: the 'data' test group will be skipped." \
       "Set CURATOR_TEST_DATA to a copy of shared/data to run it."
fi
start=$(date +%s)
status=0
ctest --test-dir "${CURATOR_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" || status=$?
echo "[test] ctest finished in $(( $(date +%s) - start )) s"
exit $status
