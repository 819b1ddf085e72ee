#!/usr/bin/env python3
"""Exports torchvision's ResNet18 weights for curator (train.init_weights).

Run it where torchvision can download its ImageNet weights (no registry reachable from curator's
machines ships them), then copy the file over:

    python3 ops/export_resnet18.py resnet18-imagenet.pt                 # pickled dict (default)
    python3 ops/export_resnet18.py resnet18-imagenet.pt --torchscript   # TorchScript module
    python3 ops/export_resnet18.py random.pt --random --seed 1          # no download: random init (tests)

Both formats keep torchvision's parameter names, which curator's model uses; the 1000-class `fc` is
skipped on load (curator's head has one logit).
"""
import argparse

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--torchscript", action="store_true", help="write a TorchScript module instead of a dict")
    ap.add_argument("--random", action="store_true", help="random weights (no download), for tests")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    if args.random:
        model = torchvision.models.resnet18()
    else:
        model = torchvision.models.resnet18(weights=torchvision.models.ResNet18_Weights.IMAGENET1K_V1)
    model.eval()
    if args.torchscript:
        torch.jit.script(model).save(args.out)
    else:
        # A plain dict: LibTorch's pickle_load reads it (an OrderedDict comes back as None).
        torch.save(dict(model.state_dict()), args.out)
    print(f"wrote {args.out} ({len(model.state_dict())} tensors)")


if __name__ == "__main__":
    main()
