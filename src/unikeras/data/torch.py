"""PyTorch's part of the data utilities: ``split_dataset``'s torch ``Dataset`` splits."""

from __future__ import annotations

import numpy as np
import torch


def split_dataset(dataset, left_size, right_size, shuffle, seed):
    """Two ``torch.utils.data.Subset`` of ``dataset`` (arrays become a TensorDataset;
    tf.data is read into one). Unshuffled, the left split is the first samples and the
    right split the last, as for tf.data; shuffled, a ``torch.Generator`` seeded with
    ``seed`` draws the permutation (``random_split``)."""
    from torch.utils.data import Dataset, Subset, TensorDataset, random_split

    from .dataset_utils import _is_tf_dataset, _split_sizes

    if not isinstance(dataset, Dataset):
        if isinstance(dataset, np.ndarray):
            dataset = TensorDataset(torch.from_numpy(dataset))
        elif isinstance(dataset, (list, tuple)):
            dataset = TensorDataset(*[torch.from_numpy(np.asarray(a)) for a in dataset])
        elif _is_tf_dataset(dataset):
            from .tensorflow import dataset_samples

            samples = dataset_samples(dataset)
            if samples and isinstance(samples[0], tuple):
                cols = [torch.from_numpy(np.stack(c)) for c in zip(*samples)]
            else:
                cols = [torch.from_numpy(np.stack(samples))]
            dataset = TensorDataset(*cols)
    left, right = _split_sizes(left_size, right_size, len(dataset))
    if shuffle:
        generator = torch.Generator()
        if seed is not None:
            generator.manual_seed(seed)
        else:
            generator.seed()
        if left + right == len(dataset):
            return tuple(random_split(dataset, [left, right], generator=generator))
        perm = torch.randperm(len(dataset), generator=generator).tolist()
        return Subset(dataset, perm[:left]), Subset(dataset, perm[-right:])
    n = len(dataset)
    return Subset(dataset, range(left)), Subset(dataset, range(n - right, n))
