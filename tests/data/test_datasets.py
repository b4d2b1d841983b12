"""keras.datasets: every loader reads small files written in the real formats and
places (Keras' cache layout under KERAS_HOME) and returns what Keras 3 returns for the
same files (Keras runs in a subprocess on the same cache). Hashes: the loaders check
Keras' sha256/md5 of the real files; here the module's expected hash is set to the small
file's, and a mismatch (or a missing file) means a fetch, which fails clearly offline.
Pickled CIFAR batches and object-array .npz members with any global beyond NumPy's array
reconstruction are refused."""

import gzip
import hashlib
import io
import json
import os
import pickle
import sys
import tarfile

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_subprocess import run_keras  # noqa: E402

import unikeras as keras  # noqa: E402
from unikeras import datasets  # noqa: E402

RNG = np.random.default_rng(0)


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def _ragged(n, hi=40):
    return [[int(w) for w in RNG.integers(0, hi, size=int(RNG.integers(1, 12)))]
            for _ in range(n)]


def _objarr(seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out


def _cifar_batch(n, keys):
    d = {b"batch_label": b"testing batch", b"data":
         RNG.integers(0, 256, (n, 3072), dtype=np.uint8)}
    for k, hi in keys.items():
        d[k.encode()] = [int(v) for v in RNG.integers(0, hi, n)]
    # The real batches are Python 2 pickles (bytes as STRING opcodes, arrays through
    # multiarray._reconstruct); Python 3 writes bytes that way only from protocol 3 on,
    # and protocol 4 still rebuilds arrays with _reconstruct.
    return pickle.dumps(d, protocol=4)


def _tar_gz(path, members):
    with tarfile.open(path, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A KERAS_HOME with every dataset file in Keras' layout; returns (home, hashes)."""
    home = tmp_path_factory.mktemp("keras_home")
    d = home / "datasets"
    (d / "fashion-mnist").mkdir(parents=True)
    np.savez(d / "mnist.npz", x_train=RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8),
             y_train=RNG.integers(0, 10, 6, dtype=np.uint8),
             x_test=RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8),
             y_test=RNG.integers(0, 10, 3, dtype=np.uint8))
    for split, n in (("train", 5), ("t10k", 2)):
        labels = RNG.integers(0, 10, n, dtype=np.uint8)
        images = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        with gzip.open(d / "fashion-mnist" / f"{split}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(np.array([2049, n], ">i4").tobytes() + labels.tobytes())
        with gzip.open(d / "fashion-mnist" / f"{split}-images-idx3-ubyte.gz", "wb") as f:
            f.write(np.array([2051, n, 28, 28], ">i4").tobytes() + images.tobytes())
    members = {f"cifar-10-batches-py/data_batch_{i}": _cifar_batch(2, {"labels": 10})
               for i in range(1, 6)}
    members["cifar-10-batches-py/test_batch"] = _cifar_batch(3, {"labels": 10})
    cifar10_members = dict(members)
    _tar_gz(d / "cifar-10-batches-py-target_archive", members)
    _tar_gz(d / "cifar-100-python-target_archive", {
        f"cifar-100-python/{s}": _cifar_batch(n, {"fine_labels": 100, "coarse_labels": 20})
        for s, n in (("train", 4), ("test", 2))})
    np.savez(d / "imdb.npz", x_train=_objarr(_ragged(9)),
             y_train=RNG.integers(0, 2, 9), x_test=_objarr(_ragged(5)),
             y_test=RNG.integers(0, 2, 5))
    np.savez(d / "reuters.npz", x=_objarr(_ragged(12)), y=RNG.integers(0, 46, 12))
    (d / "imdb_word_index.json").write_text(json.dumps({"the": 1, "movie": 2}))
    (d / "reuters_word_index.json").write_text(json.dumps({"said": 1, "mln": 2}))
    np.savez(d / "boston_housing.npz", x=RNG.normal(size=(11, 13)), y=RNG.normal(size=11))
    np.savez(d / "california_housing.npz", x=RNG.normal(size=(700, 8)),
             y=RNG.normal(size=700))
    hashes = {
        "mnist": _sha(d / "mnist.npz"),
        "cifar10": _sha(d / "cifar-10-batches-py-target_archive"),
        "cifar100": _sha(d / "cifar-100-python-target_archive"),
        "imdb": _sha(d / "imdb.npz"), "reuters": _sha(d / "reuters.npz"),
        "imdb_wi": _md5(d / "imdb_word_index.json"),
        "reuters_wi": _md5(d / "reuters_word_index.json"),
        "boston_housing": _sha(d / "boston_housing.npz"),
        "california_housing": _sha(d / "california_housing.npz"),
    }
    return str(home), hashes, cifar10_members


CALLS = [
    ("mnist", {}), ("fashion_mnist", {}), ("cifar100", {}),
    ("cifar100", {"label_mode": "coarse"}),
    ("imdb", {}), ("imdb", {"num_words": 20, "skip_top": 3, "maxlen": 9, "seed": 4}),
    ("imdb", {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 25}),
    ("reuters", {}), ("reuters", {"num_words": 15, "test_split": 0.5, "maxlen": 10}),
    ("boston_housing", {}), ("boston_housing", {"test_split": 0.3, "seed": 1}),
    ("california_housing", {}), ("california_housing", {"version": "small", "seed": 7}),
]

KERAS_CODE = """
import importlib
from keras.src.utils import file_utils
orig = file_utils.get_file
def no_hash(*a, **k):  # the small test files are not Keras' real ones
    k["file_hash"] = None
    return orig(*a, **k)
for name in ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
             "boston_housing", "california_housing"]:
    importlib.import_module("keras.src.datasets." + name).get_file = no_hash
OUT["load"] = [getattr(keras.datasets, name).load_data(**kw) for name, kw in calls]
OUT["wi"] = [keras.datasets.imdb.get_word_index(), keras.datasets.reuters.get_word_index()]
OUT["labels"] = keras.datasets.reuters.get_label_names()
"""


@pytest.fixture(scope="module")
def ref(home):
    return run_keras(KERAS_CODE, env={"KERAS_HOME": home[0]}, calls=CALLS)


@pytest.fixture
def cache(home, monkeypatch):
    path, hashes, _ = home
    monkeypatch.setenv("KERAS_HOME", path)
    for name in ("mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
                 "california_housing"):
        monkeypatch.setattr(getattr(datasets, name), "FILE_HASH", hashes[name])
    monkeypatch.setattr(datasets.imdb, "WORD_INDEX_HASH", hashes["imdb_wi"])
    monkeypatch.setattr(datasets.reuters, "WORD_INDEX_HASH", hashes["reuters_wi"])
    return path


def _equal(a, b):
    assert type(a) is type(b) or (isinstance(a, np.ndarray) and isinstance(b, np.ndarray))
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _equal(u, v)
    elif isinstance(a, np.ndarray) and a.dtype == object:
        assert b.dtype == object and len(a) == len(b)
        assert [list(map(int, s)) for s in a] == [list(map(int, s)) for s in b]
    else:
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("i", range(len(CALLS)))
def test_loader_matches_keras(cache, ref, i):
    name, kw = CALLS[i]
    _equal(getattr(keras.datasets, name).load_data(**kw), ref["load"][i])


def test_word_index_and_label_names(cache, ref):
    assert datasets.imdb.get_word_index() == ref["wi"][0]
    assert datasets.reuters.get_word_index() == ref["wi"][1]
    assert datasets.reuters.get_label_names() == ref["labels"] and len(ref["labels"]) == 46


def test_cifar10_matches_its_batches(cache, home):
    """Keras' own cifar10 loader assumes 10000 images per batch file, so the small
    archive is checked against the batches themselves: train = data_batch_1..5 in
    order, rows (3, 32, 32) made channels last, labels uint8 (n, 1)."""
    batches = {k.rsplit("/", 1)[1]: pickle.loads(v, encoding="bytes")
               for k, v in home[2].items()}
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    x_ref = np.concatenate([b[b"data"] for b in train]).reshape(-1, 3, 32, 32)
    y_ref = np.concatenate([b[b"labels"] for b in train]).astype("uint8")[:, None]
    (x, y), (xt, yt) = datasets.cifar10.load_data()
    _equal((x, y), (x_ref.transpose(0, 2, 3, 1), y_ref))
    test = batches["test_batch"]
    _equal((xt, yt), (test[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1),
                      np.asarray(test[b"labels"], "uint8")[:, None]))


def test_channels_first_cifar(cache):
    keras.config.set_image_data_format("channels_first")
    try:
        (x, y), _ = datasets.cifar10.load_data()
    finally:
        keras.config.set_image_data_format("channels_last")
    (xl, _), _ = datasets.cifar10.load_data()
    assert x.shape == (10, 3, 32, 32) and y.shape == (10, 1) and y.dtype == np.uint8
    np.testing.assert_array_equal(x.transpose(0, 2, 3, 1), xl)


def test_missing_or_stale_file_fetches_and_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(datasets.mnist, "ORIGIN", "http://invalid.invalid/")
    with pytest.raises(OSError, match="URL fetch failure on http://invalid.invalid/mnist.npz"):
        datasets.mnist.load_data()
    # a cached file whose hash is not Keras' is fetched again (here: fails, file kept)
    (tmp_path / "datasets").mkdir(exist_ok=True)
    np.savez(tmp_path / "datasets" / "mnist.npz", x_train=np.zeros(1))
    with pytest.raises(OSError, match="URL fetch failure"):
        datasets.mnist.load_data()


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_hostile_pickles_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    d = tmp_path / "datasets"
    d.mkdir()
    evil = pickle.dumps({b"data": _Evil(), b"labels": [0]}, protocol=2)
    _tar_gz(d / "cifar-10-batches-py-target_archive",
            {f"cifar-10-batches-py/data_batch_{i}": evil for i in range(1, 6)})
    monkeypatch.setattr(datasets.cifar10, "FILE_HASH",
                        _sha(d / "cifar-10-batches-py-target_archive"))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to deserialize"):
        datasets.cifar10.load_data()
    # an object-array .npz member whose pickle names a global other than NumPy's
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False,
                                               "shape": (1,)})
    buf.write(pickle.dumps(_Evil(), protocol=2))
    import zipfile

    with zipfile.ZipFile(d / "imdb.npz", "w") as z:
        z.writestr("x_train.npy", buf.getvalue())
    monkeypatch.setattr(datasets.imdb, "FILE_HASH", _sha(d / "imdb.npz"))
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system|Refusing"):
        datasets.imdb.load_data()


def test_argument_errors(cache):
    with pytest.raises(ValueError, match="label_mode"):
        datasets.cifar100.load_data(label_mode="medium")
    with pytest.raises(ValueError, match="test_split"):
        datasets.boston_housing.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="version"):
        datasets.california_housing.load_data(version="huge")
    with pytest.raises(ValueError, match="maxlen"):
        datasets.imdb.load_data(maxlen=1)
