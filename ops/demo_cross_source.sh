#!/usr/bin/env bash
# The cross-source demonstration of docs/experiments.md, on the real clips of ../shared/data/video/more:
#   1. the people listed in IDENTITIES.tsv are split into two halves (sorted ids, alternating);
#   2. each clip's first SECONDS seconds are re-encoded as H.264 (the same codec and quality as the fakes,
#      so that no source can be told apart by its container);
#   3. half A becomes source synth-blend (its real clips + their `blend` fakes), half B synth-swap (`swap`);
#   4. `curator experiment cross-source` trains on each source and on both, and tests on each.
# Everything lives under DEMO_DIR (default var/demo), including its own data folder: the daemon's is untouched.
# Re-running carries on: finished clips, fakes and runs are kept (the experiment resumes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA="${CURATOR_TEST_DATA:-../shared/data}"
DEMO_DIR="${DEMO_DIR:-var/demo}"
SECONDS_PER_CLIP="${SECONDS_PER_CLIP:-3}"
SEEDS="${SEEDS:-2}"
EXPERIMENT_ID="${EXPERIMENT_ID:-demo}"
DEFAULT_PARAMS='{"image_size": 112, "epochs": 6, "steps_per_epoch": 40, "batch": 32, "lr": 0.001}'
PARAMS="${PARAMS:-$DEFAULT_PARAMS}"
CURATOR="${CURATOR_BUILD_DIR:-build}/curator"
TSV="$DATA/video/more/IDENTITIES.tsv"

[[ -f "$TSV" ]] || { echo "no $TSV: set CURATOR_TEST_DATA to a copy of the shared data folder" >&2; exit 2; }
[[ -x "$CURATOR" ]] || { echo "no $CURATOR: run ops/setup.sh first" >&2; exit 2; }
export CURATOR_DATA_DIR="$DEMO_DIR/var"
mkdir -p "$DEMO_DIR/real-A" "$DEMO_DIR/real-B"

# 1 + 2: halves of the people, trimmed H.264 copies.
tail -n +2 "$TSV" | cut -f2 | sort -u | awk '{ print $1 "\t" (NR % 2 ? "A" : "B") }' > "$DEMO_DIR/halves.tsv"
tail -n +2 "$TSV" | while IFS=$'\t' read -r path identity _; do
  half=$(awk -v id="$identity" '$1 == id { print $2 }' "$DEMO_DIR/halves.tsv")
  out="$DEMO_DIR/real-$half/$(echo "${path#video/more/}" | tr '/' '_' | sed 's/\.[^.]*$//').mp4"
  [[ -s "$out" ]] && continue
  ffmpeg -nostdin -v error -y -i "$DATA/$path" -t "$SECONDS_PER_CLIP" -an -c:v libx264 -preset medium -crf 18 \
    -pix_fmt yuv420p -vf "scale=trunc(iw/2)*2:trunc(ih/2)*2" "$out.part.mp4"
  mv "$out.part.mp4" "$out"
done
echo "half A: $(ls "$DEMO_DIR/real-A" | wc -l) clips, half B: $(ls "$DEMO_DIR/real-B" | wc -l) clips"

# 3: one synthetic source per half.
synth() { # method source half
  [[ -s "$DEMO_DIR/fake-$1/manifest.jsonl" ]] && return 0
  /usr/bin/time -f "synth $1: %e s wall" "$CURATOR" synth --method "$1" --seed 1 --out "$DEMO_DIR/fake-$1" \
    "$DEMO_DIR/real-$3" --ingest --source "$2" --operator demo --wait > "$DEMO_DIR/synth-$1.jsonl"
}
synth blend synth-blend A
synth swap synth-swap B

# 4: the experiment (resumes when re-run).
/usr/bin/time -f "experiment: %e s wall" "$CURATOR" experiment cross-source --id "$EXPERIMENT_ID" \
  --sources synth-blend,synth-swap --seeds "$SEEDS" --params "$PARAMS"
