"""Deterministic weights from a formula of each tensor's name and shape, so that two machines (and two
torch versions) can fill the same model without copying files between them. Used to compare curator's
Xception with timm's `legacy_xception` (golden outputs in tests/data/xception_timm.json). check_input()
is the input of those comparisons.

    formula_weights.py SHAPES_JSON OUT.pt   -> writes a pickled dict of tensors for curator to load
"""
import json
import math
import sys

import torch


def fill(name, shape):
    n = 1
    for d in shape:
        n *= d
    # Knuth's multiplicative hash in exact integer arithmetic (the same bits on every machine), mixed
    # once, scaled to [-1, 1).
    offset = sum(name.encode()) * 7919
    h = ((torch.arange(n, dtype=torch.int64) + offset) * 2654435761) % 4294967296
    h = h ^ (h >> 15)
    base = h.to(torch.float64) / 2147483648.0 - 1.0
    if name.endswith("running_var"):
        v = 0.75 + 0.25 * base
    elif name.endswith("running_mean") or name.endswith("bias"):
        v = 0.01 * base
    elif len(shape) == 1:  # a batch norm's scale
        v = 1.0 + 0.1 * base
    else:  # convolutions and linear layers: He-uniform scale, so the input's signal survives the depth
        fan_in = n // shape[0]
        v = base * math.sqrt(6.0 / fan_in)
    return v.reshape(shape).to(torch.float32)


def check_input(size):
    """Two images of hash noise in [-1, 1), the same bits everywhere: what curator's logits_for_check feeds."""
    k = torch.arange(2 * 3 * size * size, dtype=torch.int64)
    return (((k * 2654435761) % 4294967296).to(torch.float64) / 2147483648.0 - 1.0).to(torch.float32).reshape(2, 3, size, size)


def main():
    shapes = json.load(open(sys.argv[1]))["shapes"]
    state = {name: fill(name, shape) for name, shape in shapes if not name.endswith("num_batches_tracked")}
    torch.save(state, sys.argv[2])


if __name__ == "__main__":
    main()
