"""keras.utils data helpers against Keras 3 itself (one Keras subprocess per module, fed
the same files and arrays): the directory loaders (class order, shuffled file order and
labels with a seed, image/text/audio batches, splits), timeseries windows,
pad_sequences, split_dataset, to_categorical, normalize and the PIL image helpers.
The framework-array paths of to_categorical/normalize run on every framework."""

import io
import os
import sys
import wave

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_subprocess import run_keras  # noqa: E402

import unikeras as keras
from unikeras import utils

PIL = pytest.importorskip("PIL.Image")  # the `image`/`test` extras install Pillow


def _write_wav(path, samples, rate=8000, channels=1):
    data = (np.asarray(samples) * 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("data")
    img, txt, wav = root / "img", root / "txt", root / "wav"
    for ci, cls in enumerate(["zebra", "ant", "moth"]):
        (img / cls).mkdir(parents=True)
        for i in range(3 + ci):
            arr = rng.integers(0, 256, size=(5 + i, 4 + 2 * ci, 3), dtype=np.uint8)
            ext = ".bmp" if (i == 2 and cls == "zebra") else ".png"
            PIL.fromarray(arr).save(img / cls / f"im{i}{ext}")
        (img / cls / "notes.txt").write_text("not an image")
    (img / ".hidden").mkdir()
    PIL.fromarray(np.zeros((3, 3, 3), np.uint8)).save(img / ".hidden" / "x.png")
    (img / "ant" / "sub").mkdir()
    PIL.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)).save(
        img / "ant" / "sub" / "deep.png")
    for cls in ["pos", "neg"]:
        (txt / cls).mkdir(parents=True)
        for i in range(4):
            (txt / cls / f"t{i}.txt").write_text(f"{cls} review number {i} " * (i + 1))
    for cls in ["yes", "no"]:
        (wav / cls).mkdir(parents=True)
        for i in range(3):
            _write_wav(str(wav / cls / f"a{i}.wav"),
                       rng.uniform(-0.9, 0.9, size=12 + 3 * i))
    return {"img": str(img), "txt": str(txt), "wav": str(wav)}


TS_CASES = [
    dict(sequence_length=4, batch_size=3),
    dict(sequence_length=3, sequence_stride=2, sampling_rate=2, batch_size=2),
    dict(sequence_length=5, start_index=2, end_index=17, batch_size=4),
    dict(sequence_length=4, batch_size=3, shuffle=True, seed=5),
    dict(sequence_length=2, batch_size=None, shuffle=True, seed=2),
]
PAD_CASES = [
    dict(),
    dict(maxlen=2),
    dict(maxlen=4, padding="post", truncating="post", value=-1),
    dict(maxlen=3, dtype="float32", value=0.5),
]
SEQS = [[1], [2, 3], [], [4, 5, 6, 7, 8]]
IMG_CASES = [
    dict(image_size=(6, 5), batch_size=3, seed=7),
    dict(image_size=(4, 4), batch_size=4, shuffle=False, label_mode="categorical",
         color_mode="grayscale", class_names=["moth", "ant"]),  # TF: no grayscale BMP
    dict(image_size=(5, 3), batch_size=2, seed=1, crop_to_aspect_ratio=True,
         interpolation="nearest"),
    dict(image_size=(5, 3), batch_size=None, shuffle=False, pad_to_aspect_ratio=True,
         labels=None),
    dict(image_size=(4, 6), batch_size=5, seed=3, validation_split=0.3, subset="both",
         color_mode="rgba", data_format="channels_first"),
    dict(image_size=(3, 3), batch_size=3, seed=3, class_names=["moth", "zebra"],
         label_mode="binary", interpolation="bicubic"),
]
TXT_CASES = [
    dict(batch_size=3, seed=4),
    dict(batch_size=2, shuffle=False, max_length=7, label_mode="binary"),
    dict(batch_size=3, seed=9, validation_split=0.25, subset="validation"),
]
WAV_CASES = [
    dict(batch_size=2, seed=1),
    dict(batch_size=4, shuffle=False, output_sequence_length=14, label_mode="categorical"),
]


def _as_list(ds):
    return [tuple(np.asarray(t) for t in b) if isinstance(b, tuple) else (np.asarray(b),)
            for b in ds.as_numpy_iterator()]


KERAS_CODE = """
from keras import utils
def as_list(ds):
    return [tuple(np.asarray(t) for t in b) if isinstance(b, tuple) else (np.asarray(b),)
            for b in ds.as_numpy_iterator()]
def describe(ds):
    return dict(batches=as_list(ds), class_names=getattr(ds, "class_names", None),
                file_paths=getattr(ds, "file_paths", None))
def loaders(fn, path, cases):
    out = []
    for kw in cases:
        r = fn(path, verbose=False, **kw)
        out.append([describe(d) for d in r] if isinstance(r, (list, tuple)) else describe(r))
    return out
OUT["img"] = loaders(utils.image_dataset_from_directory, tree["img"], img_cases)
OUT["txt"] = loaders(utils.text_dataset_from_directory, tree["txt"], txt_cases)
OUT["wav"] = loaders(utils.audio_dataset_from_directory, tree["wav"], wav_cases)
series = np.arange(20 * 2, dtype="float32").reshape(20, 2)
OUT["ts"] = [as_list(utils.timeseries_dataset_from_array(series, np.arange(20) * 10, **kw))
             for kw in ts_cases]
OUT["ts_notarget"] = as_list(utils.timeseries_dataset_from_array(series, None, 3,
                                                                  batch_size=4))
OUT["pad"] = [utils.pad_sequences(seqs, **kw) for kw in pad_cases]
OUT["pad_str"] = utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<p>")
OUT["pad_2d"] = utils.pad_sequences([np.ones((2, 3)), np.ones((1, 3)) * 2], maxlen=3)
arr = np.arange(24).reshape(12, 2)
OUT["split"] = [[as_list(d) for d in utils.split_dataset(a, **kw)] for a, kw in [
    (arr, dict(left_size=0.75)),
    ((arr, np.arange(12)), dict(right_size=3)),
    (arr, dict(left_size=4, right_size=5, shuffle=True, seed=11)),
]]
OUT["cat"] = [utils.to_categorical([0, 2, 1, 2]), utils.to_categorical([[1], [0]], 3),
              utils.to_categorical(np.array([[0, 1], [3, 2]]))]
x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
OUT["norm"] = [utils.normalize(x), utils.normalize(x, axis=0, order=1),
               utils.normalize(x, order=3)]
path = tree["img"] + "/moth/im1.png"
OUT["load"] = [utils.img_to_array(utils.load_img(path, **kw)) for kw in load_cases]
OUT["a2i"] = [np.asarray(utils.array_to_img(a, **kw)) for a, kw in a2i_cases]
from keras.preprocessing.image import smart_resize
OUT["smart"] = [np.asarray(smart_resize(a, **kw)) for a, kw in smart_cases]
"""
LOAD_CASES = [
    dict(),
    dict(color_mode="grayscale"),
    dict(color_mode="rgba", target_size=(3, 5)),
    dict(target_size=(4, 4), interpolation="bilinear", keep_aspect_ratio=True),
    dict(target_size=(7, 3), interpolation="bicubic"),
]
_r = np.random.default_rng(1)
A2I_CASES = [
    (_r.uniform(-1, 3, (4, 5, 3)), {}),
    (_r.uniform(0, 255, (4, 5, 1)), dict(scale=False)),
    (_r.uniform(0, 1, (4, 2, 5)), dict(data_format="channels_first")),
    (_r.uniform(0, 1, (3, 3, 4)), {}),
]
SMART_CASES = [
    (_r.uniform(0, 255, (10, 7, 3)).astype("float32"), dict(size=(4, 4))),
    (_r.uniform(0, 1, (2, 9, 12, 2)).astype("float32"), dict(size=(5, 3),
                                                              interpolation="nearest")),
    (_r.uniform(0, 1, (3, 8, 6)).astype("float32"), dict(size=(6, 6), interpolation="bicubic",
                                                          data_format="channels_first")),
]


@pytest.fixture(scope="module")
def ref(tree):
    return run_keras(KERAS_CODE, tree=tree, img_cases=IMG_CASES, txt_cases=TXT_CASES,
                     wav_cases=WAV_CASES, ts_cases=TS_CASES, pad_cases=PAD_CASES, seqs=SEQS,
                     load_cases=LOAD_CASES, a2i_cases=A2I_CASES, smart_cases=SMART_CASES)


def _describe(ds):
    return dict(batches=_as_list(ds), class_names=getattr(ds, "class_names", None),
                file_paths=getattr(ds, "file_paths", None))


def _same(ours, theirs, exact=True):
    assert ours["class_names"] == theirs["class_names"]
    assert ours["file_paths"] == theirs["file_paths"]
    assert len(ours["batches"]) == len(theirs["batches"])
    for a, b in zip(ours["batches"], theirs["batches"]):
        assert len(a) == len(b)
        for u, k in zip(a, b):
            assert u.dtype == k.dtype and u.shape == k.shape
            if u.dtype.kind in "SUO":
                assert (u == k).all()
            else:
                np.testing.assert_allclose(u, k, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("kind,fn,cases", [
    ("img", utils.image_dataset_from_directory, IMG_CASES),
    ("txt", utils.text_dataset_from_directory, TXT_CASES),
    ("wav", utils.audio_dataset_from_directory, WAV_CASES),
])
def test_directory_loaders_match_keras(tree, ref, kind, fn, cases):
    import tensorflow as tf

    for kw, theirs in zip(cases, ref[kind]):
        r = fn(tree[kind], verbose=False, **kw)
        if isinstance(theirs, list):
            assert isinstance(r, (list, tuple)) and len(r) == len(theirs)
            for d, t in zip(r, theirs):
                assert isinstance(d, tf.data.Dataset)
                _same(_describe(d), t)
        else:
            assert isinstance(r, tf.data.Dataset)
            _same(_describe(r), theirs)


def test_image_loader_class_order_and_labels(tree):
    ds = utils.image_dataset_from_directory(tree["img"], image_size=(4, 4), shuffle=False,
                                            batch_size=100, verbose=False)
    assert ds.class_names == ["ant", "moth", "zebra"]  # sorted, hidden dir ignored
    (x, y), = _as_list(ds)
    # ant: 4 files + sub/deep.png (recursive), moth 5, zebra 3; .txt ignored
    np.testing.assert_array_equal(y, [0] * 5 + [1] * 5 + [2] * 3)
    assert [os.path.relpath(p, tree["img"]) for p in ds.file_paths[:4]] == [
        "ant/im0.png", "ant/im1.png", "ant/im2.png", "ant/im3.png"]
    assert x.shape == (13, 4, 4, 3) and x.dtype == np.float32


def test_loader_errors(tree, tmp_path):
    with pytest.raises(ValueError, match="seed"):
        utils.image_dataset_from_directory(tree["img"], validation_split=0.2,
                                           subset="training")
    with pytest.raises(ValueError, match="exactly 2"):
        utils.image_dataset_from_directory(tree["img"], label_mode="binary")
    with pytest.raises(ValueError, match="class_names"):
        utils.text_dataset_from_directory(tree["txt"], class_names=["pos", "other"])
    with pytest.raises(ValueError, match="No text files"):
        utils.text_dataset_from_directory(str(tmp_path), verbose=False)
    with pytest.raises(ValueError, match="grain"):
        utils.text_dataset_from_directory(tree["txt"], format="grain")
    with pytest.raises(ValueError, match="color_mode"):
        utils.image_dataset_from_directory(tree["img"], color_mode="cmyk")


def test_timeseries_matches_keras(ref):
    series = np.arange(20 * 2, dtype="float32").reshape(20, 2)
    for kw, theirs in zip(TS_CASES, ref["ts"]):
        ours = _as_list(utils.timeseries_dataset_from_array(series, np.arange(20) * 10, **kw))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            for u, k in zip(a, b):
                assert u.dtype == k.dtype
                np.testing.assert_array_equal(u, k)
    ours = _as_list(keras.preprocessing.timeseries_dataset_from_array(series, None, 3,
                                                                      batch_size=4))
    for a, b in zip(ours, ref["ts_notarget"]):
        np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(series, None, 3, sampling_rate=0)


def test_pad_sequences_matches_keras(ref):
    for kw, theirs in zip(PAD_CASES, ref["pad"]):
        ours = keras.preprocessing.sequence.pad_sequences(SEQS, **kw)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    s = utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<p>")
    assert s.tolist() == ref["pad_str"].tolist()
    np.testing.assert_array_equal(
        utils.pad_sequences([np.ones((2, 3)), np.ones((1, 3)) * 2], maxlen=3), ref["pad_2d"])
    with pytest.raises(ValueError, match="dtype"):
        utils.pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="Padding type"):
        utils.pad_sequences([[1]], padding="mid")


def test_split_dataset_matches_keras(ref):
    arr = np.arange(24).reshape(12, 2)
    cases = [(arr, dict(left_size=0.75)), ((arr, np.arange(12)), dict(right_size=3)),
             (arr, dict(left_size=4, right_size=5, shuffle=True, seed=11))]
    for (a, kw), theirs in zip(cases, ref["split"]):
        ours = [_as_list(d) for d in utils.split_dataset(a, preferred_backend="tensorflow",
                                                         **kw)]
        for o, t in zip(ours, theirs):
            assert len(o) == len(t)
            for x, y in zip(o, t):
                for u, k in zip(x, y):
                    np.testing.assert_array_equal(u, k)
    with pytest.raises(ValueError, match="left_size"):
        utils.split_dataset(arr, left_size=12, preferred_backend="tensorflow")


def test_split_dataset_torch():
    import torch

    ds = torch.utils.data.TensorDataset(torch.arange(10.0), torch.arange(10))
    left, right = utils.split_dataset(ds, left_size=0.7)
    assert isinstance(left, torch.utils.data.Dataset) and (len(left), len(right)) == (7, 3)
    assert [int(right[i][1]) for i in range(3)] == [7, 8, 9]
    l2, r2 = utils.split_dataset(ds, left_size=6, right_size=4, shuffle=True, seed=3)
    idx = sorted(int(l2[i][1]) for i in range(6)) + sorted(int(r2[i][1]) for i in range(4))
    assert sorted(idx) == list(range(10)) and idx != list(range(10))


def test_to_categorical_and_normalize_numpy_match_keras(ref):
    ours = [utils.to_categorical([0, 2, 1, 2]), utils.to_categorical([[1], [0]], 3),
            utils.to_categorical(np.array([[0, 1], [3, 2]]))]
    for o, t in zip(ours, ref["cat"]):
        assert o.dtype == t.dtype and o.shape == t.shape
        np.testing.assert_array_equal(o, t)
    x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    ours = [utils.normalize(x), utils.normalize(x, axis=0, order=1), utils.normalize(x, order=3)]
    for o, t in zip(ours, ref["norm"]):
        np.testing.assert_allclose(o, t, rtol=1e-12)
    with pytest.raises(ValueError, match="to_categorical"):
        utils.to_categorical([0, 3], num_classes=3)


def test_to_categorical_and_normalize_on_framework_arrays(framework, to_fw, to_np):
    from unikeras.xp import framework_of

    y = to_fw(np.array([[2], [0], [1]], dtype="int32"), framework)
    out = utils.to_categorical(y, 4)
    assert framework_of(out) == framework
    np.testing.assert_array_equal(to_np(out), np.eye(4)[[2, 0, 1]])
    x = np.array([[3.0, 4.0], [1.0, 0.0]], dtype="float32")
    out = utils.normalize(to_fw(x, framework))
    assert framework_of(out) == framework
    np.testing.assert_allclose(to_np(out), x / np.linalg.norm(x, axis=-1, keepdims=True),
                               rtol=1e-6)


def test_image_file_helpers_match_keras(tree, ref, tmp_path):
    path = tree["img"] + "/moth/im1.png"
    for kw, theirs in zip(LOAD_CASES, ref["load"]):
        ours = keras.preprocessing.image.img_to_array(utils.load_img(path, **kw))
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    for (a, kw), theirs in zip(A2I_CASES, ref["a2i"]):
        np.testing.assert_array_equal(np.asarray(utils.array_to_img(a, **kw)), theirs)
    # save -> load round trip (PNG is lossless), path and file object
    arr = np.random.default_rng(2).integers(0, 256, (5, 4, 3)).astype("float32")
    utils.save_img(str(tmp_path / "x.png"), arr, scale=False)
    np.testing.assert_array_equal(utils.img_to_array(utils.load_img(tmp_path / "x.png")), arr)
    buf = io.BytesIO()
    utils.save_img(buf, arr[..., :1], file_format="png", scale=False)
    buf.seek(0)
    back = utils.img_to_array(utils.load_img(buf, color_mode="grayscale"),
                              data_format="channels_first")
    np.testing.assert_array_equal(back, arr[..., :1].transpose(2, 0, 1))
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))


def test_smart_resize_matches_keras(ref, any_framework, to_fw, to_np):
    from unikeras.xp import framework_of

    for (a, kw), theirs in zip(SMART_CASES, ref["smart"]):
        host = keras.preprocessing.image.smart_resize(a, **kw)
        assert isinstance(host, np.ndarray) and host.shape == theirs.shape
        np.testing.assert_allclose(host, theirs, rtol=1e-5, atol=1e-4)
        out = keras.preprocessing.image.smart_resize(to_fw(a, any_framework), **kw)
        assert framework_of(out) == any_framework
        np.testing.assert_allclose(to_np(out), theirs, rtol=1e-5, atol=1e-4)
