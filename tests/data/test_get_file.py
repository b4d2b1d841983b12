"""keras.utils.get_file: the Keras cache layout (cache_dir / KERAS_HOME, cache_subdir),
md5/sha256 checks, file:// and local origins, no network unless the file is missing,
and archive extraction that refuses path traversal, absolute paths and links (Keras
CVE-2025-12638) without writing anything."""

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from unikeras import utils


def _tar(path, members, mode="w:gz"):
    """members: list of (TarInfo-kwargs, bytes-or-None)."""
    with tarfile.open(path, mode) as t:
        for kw, data in members:
            info = tarfile.TarInfo(kw.pop("name"))
            for k, v in kw.items():
                setattr(info, k, v)
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
    return str(path)


def test_cached_file_is_used_without_network(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    cached = tmp_path / "home" / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"payload")
    sha = hashlib.sha256(b"payload").hexdigest()
    # an unreachable origin: the cache answers, nothing is fetched
    out = utils.get_file("mnist.npz", origin="http://invalid.invalid/mnist.npz",
                         file_hash=sha)
    assert out == str(cached)
    md5 = hashlib.md5(b"payload").hexdigest()
    assert utils.get_file("mnist.npz", origin="http://invalid.invalid/x", md5_hash=md5) == out


def test_missing_file_fetches_and_fails_clearly(tmp_path):
    with pytest.raises(OSError, match="URL fetch failure on http://invalid.invalid"):
        utils.get_file("x.bin", origin="http://invalid.invalid/x.bin", cache_dir=tmp_path)
    assert not (tmp_path / "datasets" / "x.bin").exists()
    assert not os.listdir(tmp_path / "datasets")  # no partial file


def test_local_origin_hash_and_subdir(tmp_path):
    src = tmp_path / "src.txt"
    src.write_bytes(b"hello")
    out = utils.get_file(origin=src.as_uri(), cache_dir=tmp_path / "c", cache_subdir="sub",
                         file_hash=hashlib.sha256(b"hello").hexdigest())
    assert out == str(tmp_path / "c" / "sub" / "src.txt")
    assert open(out, "rb").read() == b"hello"
    # a wrong hash on a fresh fetch: error, no file kept
    with pytest.raises(ValueError, match="hash does not match"):
        utils.get_file("other.txt", origin=str(src), cache_dir=tmp_path / "c",
                       file_hash="0" * 32)
    assert not (tmp_path / "c" / "datasets" / "other.txt").exists()
    # a cached file with a stale hash is fetched again
    stale = tmp_path / "c" / "datasets" / "src.txt"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"old")
    out = utils.get_file("src.txt", origin=str(src), cache_dir=tmp_path / "c",
                         file_hash=hashlib.md5(b"hello").hexdigest())
    assert open(out, "rb").read() == b"hello"
    with pytest.raises(ValueError, match="fname"):
        utils.get_file("a/b.txt", origin=str(src), cache_dir=tmp_path)
    with pytest.raises(ValueError, match="origin"):
        utils.get_file("b.txt")


def test_extract_tar_and_zip(tmp_path):
    arc = _tar(tmp_path / "good.tar.gz", [
        (dict(name="pkg", type=tarfile.DIRTYPE), None),
        (dict(name="pkg/a.txt"), b"A"), (dict(name="pkg/sub/b.txt"), b"B")])
    out = utils.get_file("good.tar.gz", origin=arc, extract=True, cache_dir=tmp_path / "c")
    assert out == str(tmp_path / "c" / "datasets" / "good_extracted")
    assert open(os.path.join(out, "pkg", "sub", "b.txt"), "rb").read() == b"B"
    z = tmp_path / "good.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("d/x.txt", "X")
    out = utils.get_file(origin=str(z), extract=True, cache_dir=tmp_path / "c")
    assert out == str(tmp_path / "c" / "datasets" / "good.zip")
    assert open(os.path.join(out, "d", "x.txt")).read() == "X"
    assert os.path.isfile(str(tmp_path / "c" / "datasets" / "good.zip_archive"))


HOSTILE_TARS = {
    "traversal": [(dict(name="ok.txt"), b"ok"), (dict(name="../evil.txt"), b"pwned")],
    "absolute": [(dict(name="ok.txt"), b"ok"), (dict(name="/tmp/unikeras-evil.txt"), b"x")],
    "symlink": [(dict(name="ok.txt"), b"ok"),
                (dict(name="link", type=tarfile.SYMTYPE, linkname="/etc"), None)],
    "symlink_then_write": [
        (dict(name="link", type=tarfile.SYMTYPE, linkname=".."), None),
        (dict(name="link/evil.txt"), b"pwned")],
    "hardlink": [(dict(name="ok.txt"), b"ok"),
                 (dict(name="hl", type=tarfile.LNKTYPE, linkname="/etc/passwd"), None)],
    "device": [(dict(name="dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3), None)],
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TARS))
def test_hostile_tar_is_refused_and_nothing_written(tmp_path, case):
    arc = _tar(tmp_path / "evil.tar", list(HOSTILE_TARS[case]), mode="w")
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="refusing to extract"):
        utils.get_file("evil.tar", origin=arc, extract=True, cache_dir=cache)
    datasets = cache / "datasets"
    assert sorted(os.listdir(datasets)) == ["evil.tar"]  # the archive only, no extraction
    assert not (tmp_path / "evil.txt").exists() and not (cache / "evil.txt").exists()
    assert not os.path.exists("/tmp/unikeras-evil.txt")


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt"])
def test_hostile_zip_is_refused(tmp_path, name):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("fine.txt", "ok")
        f.writestr(zipfile.ZipInfo(name), "pwned")
    with pytest.raises(ValueError, match="refusing to extract"):
        utils.get_file("evil.zip", origin=str(z), extract=True, cache_dir=tmp_path / "c")
    assert sorted(os.listdir(tmp_path / "c" / "datasets")) == ["evil.zip"]
    assert not (tmp_path / "evil.txt").exists()


def test_zip_symlink_is_refused(tmp_path):
    z = tmp_path / "link.zip"
    info = zipfile.ZipInfo("link")
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    with zipfile.ZipFile(z, "w") as f:
        f.writestr(info, "/etc/passwd")
    with pytest.raises(ValueError, match="symbolic link"):
        utils.get_file("link.zip", origin=str(z), extract=True, cache_dir=tmp_path / "c")
