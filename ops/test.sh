#!/usr/bin/env bash
# The test job: the same set-up as ops/run.sh, then the whole suite through ctest (two at a time).
# Tests that need the shared real data read it from $CURATOR_TEST_DATA, else ../shared/data; when it is
# missing they report themselves skipped, or fail under CURATOR_REQUIRE_SHARED_DATA=1.
# Per-group times go to $CURATOR_BUILD_DIR/ctest-junit.xml; the slowest five are printed at the end.
# `ctest --test-dir build -L fast` runs the groups of the edit-test loop (about a minute).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ops/setup.sh
data="${CURATOR_TEST_DATA:-../shared/data}"
if [[ ! -d "$data" ]]; then
  echo "[test] NOTE: shared real test data not found at $data: the tests that need it are skipped" \
       "(they fail under CURATOR_REQUIRE_SHARED_DATA=1). Set CURATOR_TEST_DATA to a copy of shared/data to run them."
fi
start=$(date +%s)
status=0
build="${CURATOR_BUILD_DIR:-build}"
junit="$(cd "$build" && pwd)/ctest-junit.xml"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --output-junit "$junit" || status=$?
echo "[test] ctest finished in $(( $(date +%s) - start )) s; the slowest groups:"
python3 - "$junit" <<'EOF' || true
import sys, xml.etree.ElementTree as ET
cases = [(float(c.get("time", 0)), c.get("name"), "failed" if c.find("failure") is not None else "ok")
         for c in ET.parse(sys.argv[1]).getroot().iter("testcase")]
for t, name, state in sorted(cases, reverse=True)[:5]:
    print(f"[test]   {name:<12} {t:7.1f} s  {state}")
EOF
exit $status
