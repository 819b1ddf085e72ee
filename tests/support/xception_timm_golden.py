"""Regenerates tests/data/xception_timm.json on a machine that has timm (none here: it ran on a lent
GPU machine with torch 2.11 and timm 1.0.29): timm's legacy_xception with formula weights, in eval mode,
on check_input(64), on the CPU in float32.

    python3 tests/support/xception_timm_golden.py OUT.json
"""
import json
import os
import sys

import timm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from formula_weights import check_input, fill  # noqa: E402


def main():
    model = timm.create_model("legacy_xception", pretrained=False, num_classes=1)
    state = model.state_dict()
    model.load_state_dict({k: (fill(k, list(v.shape)) if v.is_floating_point() else v) for k, v in state.items()})
    model.eval()
    with torch.no_grad():
        logits = model(check_input(64)).squeeze(1).tolist()
    about = ("Golden outputs of timm's legacy_xception (Cadene's Xception, as FaceForensics++ uses it), made on a "
             "machine with timm by filling every tensor with tests/support/formula_weights.py fill() and running "
             "check_input(64) in eval mode. curator's Xception must give the same logits from the same weights.")
    json.dump({"about": about, "source": "timm %s legacy_xception, torch %s, CPU float32" % (timm.__version__, torch.__version__),
               "input": "tests/support/formula_weights.py check_input(64)", "logits": logits,
               "shapes": [(k, list(v.shape)) for k, v in state.items()]}, open(sys.argv[1], "w"), indent=1)


if __name__ == "__main__":
    main()
