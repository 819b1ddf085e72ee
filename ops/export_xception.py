#!/usr/bin/env python3
"""Exports ImageNet Xception weights for curator (train.init_weights with train.backbone = "xception").

curator's Xception has the layout and names of Cadene's pretrainedmodels, which timm keeps as
`legacy_xception` (a test checks curator against timm's outputs). Run this where the weights can be
downloaded, then copy the file over:

    python3 ops/export_xception.py xception-imagenet.pt                       # timm's legacy_xception weights
    python3 ops/export_xception.py xception-imagenet.pt --from xception-43020ad28.pth   # Cadene's own file
    python3 ops/export_xception.py random.pt --random --seed 1                # no download: random init (tests)

The output is a plain dict of tensors (LibTorch reads an OrderedDict back as None). The 1000-class `fc`
is skipped on load; Cadene's 2-d pointwise matrices are reshaped to 1x1 convolutions there.
"""
import argparse

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--from", dest="source", help="convert this state dict file (pretrainedmodels' download)")
    ap.add_argument("--random", action="store_true", help="random weights (no download), for tests")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    if args.source:
        state = torch.load(args.source, map_location="cpu")
        state = state.get("state_dict", state)
    else:
        import timm  # only needed here: pip install timm

        state = timm.create_model("legacy_xception", pretrained=not args.random).state_dict()
    state = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    torch.save(dict(state), args.out)
    print(f"wrote {args.out} ({len(state)} tensors)")


if __name__ == "__main__":
    main()
