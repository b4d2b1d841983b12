"""Hand-written PyTorch training loops: ``torch.nn.Module`` + ``torch.optim.Adam``, eager,
in the framework's own idiom (NCHW convolutions stored channels_last), as an expert
writes them for speed: ``fused=True`` (one kernel for the whole update, on CPU and CUDA;
the default on CPU is the per-parameter loop, ~1.8x slower per step on W4). Eager as unikeras' and Keras 3's
default torch ``fit``; ``torch.compile`` is opt-in in all three (``jit_compile=True``)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from workloads import EMB5, HEADS, MLP, UNITS5, VOCAB5, WIDTH


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
        self.ln1 = nn.LayerNorm(WIDTH, eps=1e-3)
        self.ff1 = nn.Linear(WIDTH, MLP)
        self.ff2 = nn.Linear(MLP, WIDTH)
        self.ln2 = nn.LayerNorm(WIDTH, eps=1e-3)
        self.head = nn.Linear(WIDTH, 10)

    def forward(self, x):
        a, _ = self.mha(x, x, x, need_weights=False)
        h = self.ln1(x + a)
        h = self.ln2(h + self.ff2(torch.relu(self.ff1(h))))
        return self.head(h.mean(dim=1))


class TextLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB5, EMB5)
        self.lstm = nn.LSTM(EMB5, UNITS5, batch_first=True)
        self.head = nn.Linear(UNITS5, 2)

    def forward(self, x):
        _, (h, _) = self.lstm(self.emb(x))
        return self.head(h[-1])


def conv_bn(cin, cout, stride=1, kernel=3):
    return [nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)]


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, cout, stride), nn.ReLU(), *conv_bn(cout, cout))
        self.skip = (nn.Identity() if stride == 1 and cin == cout
                     else nn.Sequential(*conv_bn(cin, cout, stride, kernel=1)))

    def forward(self, x):
        return torch.relu(self.skip(x) + self.body(x))


def make_module(key):
    if key == "W1":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))
    if key == "W2":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                             nn.Linear(1600, 10))
    if key == "W3":
        return Encoder()
    if key == "W4":
        return nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
    if key == "W5":
        return TextLSTM()
    if key == "W6":
        return nn.Sequential(*conv_bn(3, 16), nn.ReLU(), Block(16, 16, 1), Block(16, 32, 2),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    if key == "W7":
        return make_module("W1")
    raise KeyError(key)


CONV_KEYS = ("W2", "W6")
# The memory format of the convolution workloads' weights and activations: channels_last
# (NCHW tensors with NHWC strides: oneDNN's fastest CPU layout; the inputs are the NHWC
# data viewed as NCHW, no copy). Measured against contiguous NCHW, the same loop in one
# process, interleaved rounds, CPU time per step (bench/notes.py): W6 53.1 vs 72.4 ms at
# one thread, 70.7 vs 90.2 at two; W2 36.8 vs 36.8 and 41.3 vs 42.1 (its NCHW loop
# already runs channels_last after the first convolution, which oneDNN returns so).
CONV_FORMAT = torch.channels_last


class Native:
    def __init__(self, key, device="cpu", memory_format=None):
        torch.manual_seed(0)
        self.key, self.device = key, torch.device(device)
        self.memory_format = CONV_FORMAT if memory_format is None else memory_format
        self.model = make_module(key).to(self.device)
        if key in CONV_KEYS:
            self.model = self.model.to(memory_format=self.memory_format)
        self.model.train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, fused=True)
        self.loss_fn = nn.MSELoss() if key == "W4" else nn.CrossEntropyLoss()
        self.loss = None

    def to_batch(self, x, y):
        x = torch.from_numpy(np.ascontiguousarray(x))
        if self.key in CONV_KEYS:  # NHWC data -> NCHW, stored as the memory format says
            x = x.permute(0, 3, 1, 2).contiguous(memory_format=self.memory_format)
        y = torch.from_numpy(y)
        if self.key != "W4":
            y = y.long()
        return x.to(self.device), y.to(self.device)

    def step(self, batch):
        x, y = batch
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.opt.step()
        self.loss = loss

    def sync(self):
        return float(self.loss.item())

    def predict(self, x):
        self.model.eval()
        with torch.no_grad():
            out = self.model(x)
        self.model.train()
        return out

    def sync_out(self, out):
        if out.is_cuda:
            torch.cuda.synchronize()


def matmul_fn(n, device="cpu"):
    a = torch.from_numpy(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)).to(device)

    def run():
        out = a @ a
        if out.is_cuda:
            torch.cuda.synchronize()
        return out
    return run
