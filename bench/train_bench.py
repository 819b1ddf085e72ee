#!/usr/bin/env python3
"""The python side of curator_bench_train: torchvision's DataLoader, the same augmentations and the same
ResNet18 (or Xception) step on the same crops. Prints one line: "python <size> <images/s>".

    train_bench.py CROP_LIST SIZE STEPS [BATCH] [THREADS] [WORKERS] [BACKBONE]

Xception is pretrainedmodels' model, as copied in tests/support/xception_reference.py.
"""
import io
import os
import random
import sys
import time

import torch
import torchvision
import torchvision.transforms as T
from PIL import Image


class Jpeg:
    """JPEG re-compression at a random quality in [60, 100] (half of the time), as curator does."""

    def __call__(self, img):
        if random.random() < 0.5:
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=random.randint(60, 100))
            buf.seek(0)
            img = Image.open(buf).convert("RGB")
        return img


class Crops(torch.utils.data.Dataset):
    def __init__(self, files, labels, transform):
        self.files, self.labels, self.transform = files, labels, transform

    def __len__(self):
        return 10 ** 7  # sampled with replacement, like curator's balanced epochs

    def __getitem__(self, i):
        k = random.randrange(len(self.files))
        img = Image.open(self.files[k]).convert("RGB")
        return self.transform(img), torch.tensor(float(self.labels[k]))


def main():
    crop_list, size, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    workers = int(sys.argv[6]) if len(sys.argv) > 6 else 2
    backbone = sys.argv[7] if len(sys.argv) > 7 else "resnet18"
    torch.set_num_threads(threads)
    files, labels = [], []
    for line in open(crop_list):
        path, label = line.rstrip("\n").rsplit("\t", 1)
        files.append(path)
        labels.append(int(label))
    transform = T.Compose([
        T.Resize((size, size)),
        T.RandomHorizontalFlip(),
        T.RandomAffine(40, scale=(0.9, 1.1)),
        T.RandomPerspective(0.2, p=0.5),
        T.ColorJitter(0.5, 0.5, 0.5),
        T.RandomApply([T.GaussianBlur(9, (0.1, 2.0))], p=0.3),
        Jpeg(),
        T.ToTensor(),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        T.RandomErasing(p=0.5, scale=(0.02, 0.16)),
    ])
    loader = torch.utils.data.DataLoader(Crops(files, labels, transform), batch_size=batch, num_workers=workers)
    if backbone == "xception":
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
        from xception_reference import Xception
        model = Xception(1)
    else:
        model = torchvision.models.resnet18()
        model.fc = torch.nn.Linear(512, 1)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    it = iter(loader)
    warmup = 2
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        x, y = next(it)
        opt.zero_grad()
        loss = loss_fn(model(x).squeeze(1), y)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    print(f"python {size} {steps * batch / seconds:.2f}")


if __name__ == "__main__":
    main()
