"""PyTorch's part of ``keras.utils``: seeding its global generator."""

from __future__ import annotations

import torch


def set_random_seed(seed: int) -> None:
    torch.manual_seed(seed)
