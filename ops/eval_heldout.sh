#!/usr/bin/env bash
# The held-out check of docs/experiments.md ("protocol"): a fresh data folder is fed ../shared/data's labelled
# clips except one half of deepfake/wild's generators and half of video/more's people, `curator train` runs
# with DEFAULT settings (plus PARAMS, when given), and `curator score` scores every held-out clip; the video
# AUC of p_fake_confident is printed with a bootstrap interval over clips.
#   HALF=report  train on the tuning half of the generators, score the reporting half (the default)
#   HALF=tune    the other way round
# Tuning half: DeepFaceLive, EDTalk, AniPortrait, DreamTalk (33 fakes); reporting half: VASA-1, EMO,
# SadTalker-Video-Lip-Sync, video-retalking, StyleTalk (25 fakes). The eyecantell pairs always train.
# People: video/more's identities sorted, alternating; the people shared with eyecantell and deepfake/wild
# (barack_obama, ronald_reagan, styletalk_andrew) always train. Everything lives under EVAL_DIR.
#   PARAMS='{"epochs": 3}'   training parameters on top of the defaults (curator train --params)
#   SKIP_TRAIN=1             score with the newest run in EVAL_DIR
#   INGEST_ONLY=1            stop after the ingest
#   TAG=name                 names this run's files (train-TAG.jsonl, scores-TAG.tsv), to compare settings
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA="${CURATOR_TEST_DATA:-../shared/data}"
HALF="${HALF:-report}"
EVAL_DIR="${EVAL_DIR:-var/eval-$HALF}"
CURATOR="${CURATOR_BUILD_DIR:-build}/curator"
PARAMS="${PARAMS:-}"
TAG="${TAG:+-$TAG}"
[[ -f "$DATA/deepfake/wild/LABELS.tsv" ]] || { echo "no $DATA/deepfake/wild/LABELS.tsv: set CURATOR_TEST_DATA" >&2; exit 2; }
[[ -x "$CURATOR" ]] || { echo "no $CURATOR: run ops/setup.sh first" >&2; exit 2; }
[[ "$HALF" == report || "$HALF" == tune ]] || { echo "HALF is report or tune" >&2; exit 2; }
mkdir -p "$EVAL_DIR"
export CURATOR_DATA_DIR="$EVAL_DIR/var"

# The plan: one line a clip: path, label, source, role (train or heldout).
python3 - "$DATA" "$HALF" > "$EVAL_DIR/plan.tsv" <<'EOF'
import csv, os, sys
data, half = sys.argv[1], sys.argv[2]
tune = {"DeepFaceLive", "EDTalk", "AniPortrait", "DreamTalk"}
rows = []
for r in csv.DictReader(open(f"{data}/deepfake/wild/LABELS.tsv"), delimiter="\t"):
    path = f"deepfake/wild/{r['relative_path']}"
    if r["label"] == "real":
        rows.append((path, "real", "wild", "train"))
        continue
    in_tune = r["generator"] in tune
    train = in_tune if half == "report" else not in_tune
    rows.append((path, "fake", "wild", "train" if train else "heldout"))
for name in sorted(os.listdir(f"{data}/deepfake/eyecantell")):
    if name.endswith(".mp4"):
        rows.append((f"deepfake/eyecantell/{name}", "real" if name.startswith("Real") else "fake", "eyecantell", "train"))
always = {"barack_obama", "ronald_reagan", "styletalk_andrew"}
ids = {}
for r in csv.DictReader(open(f"{data}/video/more/IDENTITIES.tsv"), delimiter="\t"):
    ids[r["relative_path"]] = r["identity"]
people = sorted(set(ids.values()) - always)
held = set(people[1::2] if half == "report" else people[0::2])
for path, who in sorted(ids.items()):
    rows.append((path, "real", "talking-heads", "heldout" if who in held else "train"))
for folder in ("video/lipnet", "video/retalking", "video/sadtalker"):
    for name in sorted(os.listdir(f"{data}/{folder}")):
        if name.rsplit(".", 1)[-1] in ("mp4", "mpg", "avi", "mov", "flv", "webm"):
            rows.append((f"{folder}/{name}", "real", "talking-heads", "train"))
for row in rows:
    print("\t".join(row))
EOF
echo "[eval] plan: $(grep -c $'\ttrain$' "$EVAL_DIR/plan.tsv") training clips, $(grep -c $'\theldout$' "$EVAL_DIR/plan.tsv") held out"

# Ingest the training clips, one call per (source, label); a second run finds them done (duplicates).
start=$(date +%s)
if [[ ! -f "$EVAL_DIR/ingested" ]]; then
  for group in "wild real" "wild fake" "eyecantell real" "eyecantell fake" "talking-heads real"; do
    read -r source label <<<"$group"
    mapfile -t files < <(awk -F'\t' -v s="$source" -v l="$label" -v d="$DATA/" '$3 == s && $2 == l && $4 == "train" { print d $1 }' "$EVAL_DIR/plan.tsv")
    ((${#files[@]})) || continue
    "$CURATOR" ingest "${files[@]}" --label "$label" --source "$source" --trusted --operator eval --wait > "$EVAL_DIR/ingest-$source-$label.jsonl"
  done
  touch "$EVAL_DIR/ingested"
fi
echo "[eval] ingest: $(( $(date +%s) - start )) s"
[[ -n "${INGEST_ONLY:-}" ]] && exit 0

# Train with the defaults.
start=$(date +%s)
if [[ -z "${SKIP_TRAIN:-}" ]]; then
  if [[ -n "$PARAMS" ]]; then "$CURATOR" train --params "$PARAMS" > "$EVAL_DIR/train$TAG.jsonl"
  else "$CURATOR" train > "$EVAL_DIR/train$TAG.jsonl"; fi
fi
run=$(ls -td "$CURATOR_DATA_DIR"/runs/*/ | head -1)
run=${run%/}
echo "[eval] train: $(( $(date +%s) - start )) s, run $run"

# Score every held-out clip with the run's model.
start=$(date +%s)
: > "$EVAL_DIR/scores$TAG.tsv"
while IFS=$'\t' read -r path label source role; do
  [[ "$role" == heldout ]] || continue
  p=$("$CURATOR" score "$DATA/$path" --model "$run" 2>/dev/null | python3 -c 'import json,sys; v=json.load(sys.stdin)["video"]; print(v.get("p_fake_confident"), v.get("p_fake_mean"))' || echo "None None")
  printf '%s\t%s\t%s\n' "$path" "$label" "$p" >> "$EVAL_DIR/scores$TAG.tsv"
done < "$EVAL_DIR/plan.tsv"
echo "[eval] score: $(( $(date +%s) - start )) s"

python3 - "$EVAL_DIR/scores$TAG.tsv" <<'EOF'
import random, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
def auc(pairs):
    pos = [s for s, y in pairs if y == 1]; neg = [s for s, y in pairs if y == 0]
    if not pos or not neg: return float("nan")
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
for k, name in ((0, "p_fake_confident"), (1, "p_fake_mean")):
    pairs = []
    for r in rows:
        s = r[2].split(" ")[k]
        if s == "None": s = "0.5"  # no face found: undecided
        pairs.append((float(s), 1 if r[1] == "fake" else 0))
    a = auc(pairs)
    rng = random.Random(1); boots = []
    for _ in range(2000):
        b = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        v = auc(b)
        if v == v: boots.append(v)
    boots.sort()
    lo, hi = boots[int(0.025 * len(boots))], boots[int(0.975 * len(boots)) - 1]
    fakes = sum(y for _, y in pairs)
    print(f"[eval] video AUC ({name}): {a:.3f} [{lo:.3f}, {hi:.3f}] on {fakes} fake and {len(pairs) - fakes} real held-out clips")
EOF
