"""Reference Xception for the tests: the model of Cadene's pretrainedmodels (BSD 3-clause), which
FaceForensics++ trains, copied here because no Debian package ships it. Writes its weights the way the
ImageNet file is distributed (pointwise convolutions as 2-d matrices), with a 1-logit `fc` in place of the
1000-class one, and prints the logits for formula_weights.check_input(S).

    python3 xception_reference.py OUT.pt SIZE SEED [CADENE.pth]
prints: "<parameter count of the 1000-class model> <tensors written> <logit 0> <logit 1>"
CADENE.pth: also a 1000-class model saved as pretrainedmodels' download is (an OrderedDict in the legacy
serialization), for ops/export_xception.py --from.
"""
from collections import OrderedDict
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from formula_weights import check_input


class SeparableConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=1, stride=1, padding=0, dilation=1, bias=False):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, in_channels, kernel_size, stride, padding, dilation,
                               groups=in_channels, bias=bias)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, 1, 0, 1, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.conv1(x))


class Block(nn.Module):
    def __init__(self, in_filters, out_filters, reps, strides=1, start_with_relu=True, grow_first=True):
        super().__init__()
        if out_filters != in_filters or strides != 1:
            self.skip = nn.Conv2d(in_filters, out_filters, 1, stride=strides, bias=False)
            self.skipbn = nn.BatchNorm2d(out_filters)
        else:
            self.skip = None
        self.relu = nn.ReLU(inplace=True)
        rep = []
        filters = in_filters
        if grow_first:
            rep.append(self.relu)
            rep.append(SeparableConv2d(in_filters, out_filters, 3, stride=1, padding=1, bias=False))
            rep.append(nn.BatchNorm2d(out_filters))
            filters = out_filters
        for _ in range(reps - 1):
            rep.append(self.relu)
            rep.append(SeparableConv2d(filters, filters, 3, stride=1, padding=1, bias=False))
            rep.append(nn.BatchNorm2d(filters))
        if not grow_first:
            rep.append(self.relu)
            rep.append(SeparableConv2d(in_filters, out_filters, 3, stride=1, padding=1, bias=False))
            rep.append(nn.BatchNorm2d(out_filters))
        if not start_with_relu:
            rep = rep[1:]
        else:
            rep[0] = nn.ReLU(inplace=False)
        if strides != 1:
            rep.append(nn.MaxPool2d(3, strides, 1))
        self.rep = nn.Sequential(*rep)

    def forward(self, inp):
        x = self.rep(inp)
        skip = self.skipbn(self.skip(inp)) if self.skip is not None else inp
        return x + skip


class Xception(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(32, 64, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.block1 = Block(64, 128, 2, 2, start_with_relu=False, grow_first=True)
        self.block2 = Block(128, 256, 2, 2, start_with_relu=True, grow_first=True)
        self.block3 = Block(256, 728, 2, 2, start_with_relu=True, grow_first=True)
        for i in range(4, 12):
            setattr(self, 'block%d' % i, Block(728, 728, 3, 1, start_with_relu=True, grow_first=True))
        self.block12 = Block(728, 1024, 2, 2, start_with_relu=True, grow_first=False)
        self.conv3 = SeparableConv2d(1024, 1536, 3, 1, 1)
        self.bn3 = nn.BatchNorm2d(1536)
        self.conv4 = SeparableConv2d(1536, 2048, 3, 1, 1)
        self.bn4 = nn.BatchNorm2d(2048)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        for i in range(1, 13):
            x = getattr(self, 'block%d' % i)(x)
        x = self.relu(self.bn3(self.conv3(x)))
        x = self.bn4(self.conv4(x))
        x = F.relu(x)
        x = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        return self.fc(x)


def main():
    out, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(seed)
    imagenet_params = sum(p.numel() for p in Xception(1000).parameters())
    model = Xception(1)
    # Batch norms with statistics of their own, so that eval mode computes something non-trivial.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.1)
    model.fc.weight.data.uniform_(-1, 1)  # logits well away from 0
    model.eval()
    x = check_input(size)
    with torch.no_grad():
        y = model(x).squeeze(1)
    state = {}
    for name, t in model.state_dict().items():
        state[name] = t.squeeze(-1).squeeze(-1) if 'pointwise' in name else t
    torch.save(state, out)
    if len(sys.argv) > 4:
        legacy = OrderedDict((k, v.squeeze(-1).squeeze(-1) if "pointwise" in k else v)
                             for k, v in Xception(1000).state_dict().items())
        torch.save(legacy, sys.argv[4], _use_new_zipfile_serialization=False)
    print(imagenet_params, len(state), repr(float(y[0])), repr(float(y[1])))


if __name__ == '__main__':
    main()
