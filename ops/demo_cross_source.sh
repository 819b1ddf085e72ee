#!/usr/bin/env bash
# The cross-source demonstration of docs/experiments.md, on the real development sources of ../shared/data:
#   talking-heads  deepfake/wild's talking-head, lip-sync and reenactment generators (VASA-1, EMO, EDTalk,
#                  DreamTalk, StyleTalk, AniPortrait, SadTalker-Video-Lip-Sync, video-retalking) with the real
#                  talking heads of video/more (people of half A, sorted ids alternating) and wild's V-Express reals;
#   face-swaps     DeepFaceLive's swaps with its real sample inputs and the eyecantell pairs (hobbyist swaps);
#   synth-sbi      self-blended fakes (`curator synth --method self-blend`) of the people of half B, each
#                  original ingested as the same re-encode (no codec tells the labels apart).
# Then `curator experiment cross-source` trains on each source and on all of them with the default detector
# (faceapi backbone, self-blended positives, mild augmentation) and SEEDS seeds, and tests on each source.
# Everything lives under DEMO_DIR (default var/demo), including its own data folder: the daemon's is untouched.
# Re-running carries on: finished ingests, fakes and runs are kept (the experiment resumes).
#   PARAMS='{"epochs": 2}'   training parameters on top of the defaults (default: none)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA="${CURATOR_TEST_DATA:-../shared/data}"
DEMO_DIR="${DEMO_DIR:-var/demo}"
SEEDS="${SEEDS:-3}"
EXPERIMENT_ID="${EXPERIMENT_ID:-demo-real}"
PARAMS="${PARAMS:-}"
CURATOR="${CURATOR_BUILD_DIR:-build}/curator"
TSV="$DATA/video/more/IDENTITIES.tsv"
LABELS="$DATA/deepfake/wild/LABELS.tsv"

[[ -f "$TSV" && -f "$LABELS" ]] || { echo "no $TSV or $LABELS: set CURATOR_TEST_DATA to a copy of the shared data folder" >&2; exit 2; }
[[ -x "$CURATOR" ]] || { echo "no $CURATOR: run ops/setup.sh first" >&2; exit 2; }
export CURATOR_DATA_DIR="$DEMO_DIR/var"
mkdir -p "$DEMO_DIR"
started=$(date +%s)

# ingest_list SOURCE LABEL FILE...: trusted clips of one source and label (done once).
ingest_list() {
  local source=$1 label=$2 stamp="$DEMO_DIR/ingested-$1-$2"
  shift 2
  [[ -f "$stamp" ]] && return 0
  "$CURATOR" ingest "$@" --label "$label" --source "$source" --trusted --operator demo --wait > "$stamp.jsonl"
  touch "$stamp"
}
wild() { # FAMILY-REGEX LABEL: deepfake/wild clips whose family matches
  awk -F'\t' -v f="$1" -v l="$2" -v d="$DATA/deepfake/wild/" 'NR > 1 && $2 == l && $3 ~ f { print d $1 }' "$LABELS"
}

# People of video/more in two halves (sorted ids, alternating); A's clips are talking-heads reals, B's the
# originals of the self-blends.
tail -n +2 "$TSV" | cut -f2 | sort -u | awk '{ print $1 "\t" (NR % 2 ? "A" : "B") }' > "$DEMO_DIR/halves.tsv"
mapfile -t half_a < <(awk -F'\t' 'NR == FNR { h[$1] = $2; next } FNR > 1 && h[$2] == "A" { print $1 }' "$DEMO_DIR/halves.tsv" "$TSV" | sed "s|^|$DATA/|")
mapfile -t half_b < <(awk -F'\t' 'NR == FNR { h[$1] = $2; next } FNR > 1 && h[$2] == "B" { print $1 }' "$DEMO_DIR/halves.tsv" "$TSV" | sed "s|^|$DATA/|")

t0=$(date +%s)
mapfile -t th_fakes < <(wild 'talking-head|lipsync|reenactment' fake)
mapfile -t vx_reals < <(awk -F'\t' -v d="$DATA/deepfake/wild/" 'NR > 1 && $2 == "real" && $1 ~ /^V-Express/ { print d $1 }' "$LABELS")
ingest_list talking-heads fake "${th_fakes[@]}"
ingest_list talking-heads real "${half_a[@]}" "${vx_reals[@]}"
mapfile -t fs_fakes < <(wild 'face-swap' fake)
mapfile -t fs_reals < <(awk -F'\t' -v d="$DATA/deepfake/wild/" 'NR > 1 && $2 == "real" && $1 ~ /^DeepFaceLive/ { print d $1 }' "$LABELS")
ingest_list face-swaps fake "${fs_fakes[@]}" "$DATA"/deepfake/eyecantell/Fake*.mp4
ingest_list face-swaps real "${fs_reals[@]}" "$DATA"/deepfake/eyecantell/Real*.mp4
echo "[demo] ingest of the real sources: $(( $(date +%s) - t0 )) s"

# The synthetic source: self-blends of half B, each original ingested as the fakes' re-encode.
t0=$(date +%s)
if [[ ! -s "$DEMO_DIR/fake-sbi/manifest.jsonl" ]]; then
  "$CURATOR" synth --method self-blend --seed 1 --out "$DEMO_DIR/fake-sbi" "${half_b[@]}" \
    --ingest --source synth-sbi --operator demo --wait > "$DEMO_DIR/synth-sbi.jsonl"
fi
echo "[demo] synth self-blend of half B + ingest: $(( $(date +%s) - t0 )) s"

# The experiment (resumes when re-run).
t0=$(date +%s)
args=(experiment cross-source --id "$EXPERIMENT_ID" --sources talking-heads,face-swaps,synth-sbi --seeds "$SEEDS")
[[ -n "$PARAMS" ]] && args+=(--params "$PARAMS")
"$CURATOR" "${args[@]}"
echo "[demo] experiment: $(( $(date +%s) - t0 )) s; total $(( $(date +%s) - started )) s"
