"""Untrusted files: the checks every load goes through, and atomic writes.

A ``.keras`` or ``.weights.h5`` file may come from anyone. Everything here refuses,
with a ``ValueError`` naming the member or dataset and the reason, what a hostile file
can use to read outside itself or exhaust memory, and checks declared sizes *before*
reading anything (docs/security.md lists each attack, its check and its test):

* zip: members that are symbolic links, duplicate or escaping names, encrypted
  members, a member declaring more than ``ZIP_MAX_EXPANSION`` times its stored bytes
  (above ``ZIP_BOMB_FLOOR``), JSON members over ``MAX_JSON_BYTES``; a lying size header
  fails the CRC check while streaming (never more than the declared size is produced).
* HDF5: external and soft links (anywhere on a path we read), external raw storage,
  virtual datasets, datasets declaring more bytes (or chunks) than they store (the rest
  would load as fill values), non-numeric types, null dataspaces, filters other than HDF5's
  built-in ones (a filter id can make HDF5 load a plugin), chunks larger than their
  dataset, and a dataset declaring more than ``H5_MAX_EXPANSION`` times its stored bytes
  (above ``H5_BOMB_FLOOR``). The caller compares shapes with the model's variables before
  any data is read.

``model.weights.h5`` inside a ``.keras`` is streamed: a stored (uncompressed) member is
read in place through a window on the archive file; a compressed one is inflated chunk
by chunk into a temporary file (bounded by its declared, already checked size). The
archive is never read into memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import struct
import tempfile
import zipfile

import numpy as np

MAX_JSON_BYTES = 64 << 20          # config.json / metadata.json
ZIP_BOMB_FLOOR = 256 << 20         # members above this must not expand more than ...
ZIP_MAX_EXPANSION = 100            # ... 100x their stored bytes (Keras 3's ratio)
H5_BOMB_FLOOR = 64 << 20           # datasets above this must not expand more than ...
H5_MAX_EXPANSION = 1000            # ... 1000x their stored bytes (Keras 3's ratio)
MIN_CHUNK_ALLOWANCE = 1 << 20      # a chunk may exceed its dataset's bytes by this much
# HDF5's built-in filters: deflate, shuffle, fletcher32, szip, nbit, scaleoffset, and
# h5py's lzf. Any other id would make HDF5 search its plugin path for a shared library.
ALLOWED_FILTERS = {1: "gzip", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit",
                   6: "scaleoffset", 32000: "lzf"}


def _size(n):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024


# ------------------------------------------------------------------ atomic writes
def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(dirname):
    try:
        fd = os.open(dirname or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(filepath):
    """``with atomic_write(path) as tmp:`` write ``tmp`` (a new file in the same
    directory); on success it is fsynced and renamed over ``path`` (``os.replace``, atomic
    on POSIX and Windows), so ``path`` is always the old file or the complete new one. On
    an error the temporary file is removed and ``path`` is untouched."""
    filepath = os.fspath(filepath)
    dirname = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(dir=dirname, prefix="." + os.path.basename(filepath) + ".",
                               suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:  # mkstemp makes 0600 files; a saved model gets the usual permissions
            mode = stat.S_IMODE(os.stat(filepath).st_mode)
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(dirname)


def write_text_atomic(filepath, text):
    with atomic_write(filepath) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


# ------------------------------------------------------------------ zip archives
def open_archive(filepath, who="load_model"):
    """Open a ``.keras`` zip after checking its directory (no reading of member data)."""
    if not os.path.isfile(filepath):
        raise ValueError(f"{who}: {filepath!r} is not a file")
    try:
        z = zipfile.ZipFile(filepath, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise ValueError(f"{who}: {filepath!r} is not a readable .keras (zip) file: {e}") from None
    try:
        seen = set()
        for info in z.infolist():
            name = info.filename
            where = f"{who}: {filepath!r}: member {name!r}"
            if name in seen:
                raise ValueError(f"{where} appears twice in the archive (which copy is "
                                 "meant is ambiguous); refusing the file")
            seen.add(name)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ValueError(f"{where} is a symbolic link; links in a model archive are "
                                 "refused")
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
                raise ValueError(f"{where} has a path leaving the archive; refused")
            if info.flag_bits & 0x1:
                raise ValueError(f"{where} is encrypted; refused")
            if info.file_size > ZIP_BOMB_FLOOR and \
                    info.file_size > ZIP_MAX_EXPANSION * max(info.compress_size, 1):
                raise ValueError(
                    f"{where} declares {_size(info.file_size)} but only "
                    f"{_size(info.compress_size)} are stored (over {ZIP_MAX_EXPANSION}x); "
                    "refusing a potential decompression bomb")
        return z
    except BaseException:
        z.close()
        raise


def read_json_member(z, name, filepath, who="load_model"):
    import json

    info = z.getinfo(name)
    where = f"{who}: {filepath!r}: member {name!r}"
    if info.file_size > MAX_JSON_BYTES:
        raise ValueError(f"{where} declares {_size(info.file_size)}, over the "
                         f"{_size(MAX_JSON_BYTES)} limit for a JSON member")
    try:
        with z.open(info) as f:
            data = f.read(MAX_JSON_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as e:
        raise ValueError(f"{where} cannot be read: {e}") from None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{where} is not valid JSON: {e}") from None
    except RecursionError:
        raise ValueError(f"{where} is nested too deeply to be a model config") from None


class _Window(io.RawIOBase):
    """Read-only view of ``length`` bytes at ``offset`` of an open binary file."""

    def __init__(self, f, offset, length):
        self._f, self._off, self._len, self._pos = f, offset, length, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, pos, whence=0):
        base = {0: 0, 1: self._pos, 2: self._len}[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def readinto(self, buf):
        n = max(0, min(len(buf), self._len - self._pos))
        if n == 0:
            return 0
        self._f.seek(self._off + self._pos)
        got = self._f.readinto(memoryview(buf)[:n])
        self._pos += got
        return got


@contextlib.contextmanager
def weights_member(z, name, filepath, who="load_model"):
    """``with weights_member(z, "model.weights.h5", path) as h5:`` an h5py File streaming
    the member: in place when stored, through a bounded temporary file when compressed."""
    import h5py

    info = z.getinfo(name)
    where = f"{who}: {filepath!r}: member {name!r}"
    if info.compress_type == zipfile.ZIP_STORED:
        with open(filepath, "rb") as raw:
            raw.seek(info.header_offset)
            header = raw.read(30)
            if len(header) != 30 or header[:4] != b"PK\x03\x04":
                raise ValueError(f"{where}: bad local header in the archive")
            n, m = struct.unpack("<HH", header[26:30])
            offset = info.header_offset + 30 + n + m
            size = os.fstat(raw.fileno()).st_size
            if offset + info.file_size > size:
                raise ValueError(f"{where} declares {_size(info.file_size)}, more than the "
                                 "archive holds")
            with _open_h5(_Window(raw, offset, info.file_size), where) as f:
                yield f
        return
    with tempfile.TemporaryFile(prefix="unikeras-weights-") as tmp:
        total = 0
        try:
            with z.open(info) as src:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > info.file_size:  # zipfile stops there; belt and braces
                        raise ValueError(f"{where} inflates to more than its declared "
                                         f"{_size(info.file_size)}")
                    tmp.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError,
                RuntimeError) as e:
            raise ValueError(f"{where} cannot be read (its size header or data is corrupt: "
                             f"{e})") from None
        tmp.flush()
        tmp.seek(0)
        with _open_h5(tmp, where) as f:
            yield f


@contextlib.contextmanager
def open_h5(filepath, who="load_weights"):
    with open(filepath, "rb") as raw:
        with _open_h5(raw, f"{who}: {filepath!r}") as f:
            yield f


@contextlib.contextmanager
def _open_h5(fileobj, where):
    import h5py

    try:
        f = h5py.File(fileobj, "r")
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as e:
        raise ValueError(f"{where} is not a readable HDF5 file: {e}") from None
    try:
        yield f
    finally:
        with contextlib.suppress(Exception):
            f.close()


# ------------------------------------------------------------------ HDF5 checks
def _link_class(group, name):
    try:
        return group.get(name, default=None, getclass=True, getlink=True)
    except (KeyError, OSError, ValueError, TypeError, RuntimeError):
        return None


def _check_hard_link(group, name, path):
    import h5py

    cls = _link_class(group, name)
    if cls is h5py.HardLink:
        return
    if cls is h5py.ExternalLink:
        raise ValueError(f"'{path}' is an external link to another file; refused (a weights "
                         "file may only hold its own data)")
    if cls is h5py.SoftLink:
        raise ValueError(f"'{path}' is a soft link; refused (a weights file holds no links)")
    raise ValueError(f"'{path}' is an unreadable link ({cls!r}); refused")


def get_group(h5, path):
    """The group at ``path`` (``"a/b/vars"``) or None when absent; every step must be a
    hard link to a group."""
    import h5py

    current, walked = h5, ""
    for part in path.split("/"):
        walked = f"{walked}/{part}" if walked else part
        if _link_class(current, part) is None:
            return None
        _check_hard_link(current, part, walked)
        try:
            current = current[part]
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            raise ValueError(f"'{walked}': unreadable ({e})") from None
        if not isinstance(current, h5py.Group):
            raise ValueError(f"'{walked}' should be a group; the file has a "
                             f"{type(current).__name__}")
    return current


def dataset_names(group, path):
    """The dataset names of a ``vars`` group, which must be exactly "0" ... "n-1"."""
    try:
        names = list(group.keys())
    except (OSError, ValueError, RuntimeError) as e:
        raise ValueError(f"'{path}': unreadable ({e})") from None
    bad = [n for n in names if not (n.isdigit() and n.isascii())]
    if bad:
        raise ValueError(f"'{path}' holds {bad[:5]!r}: a vars group holds datasets named "
                         "0, 1, 2, ... only")
    ints = sorted(int(n) for n in names)
    if ints != list(range(len(ints))) or len(set(names)) != len(names) or \
            any(str(int(n)) != n for n in names):
        raise ValueError(f"'{path}' holds datasets {sorted(names)[:10]!r}: expected 0 ... "
                         f"{len(names) - 1} without gaps")
    return [str(i) for i in ints]


def check_dataset(group, name, path):
    """The checked h5py Dataset ``name`` of ``group`` (nothing read yet)."""
    import h5py

    _check_hard_link(group, name, path)
    try:
        d = group[name]
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise ValueError(f"'{path}': unreadable ({e})") from None
    if not isinstance(d, h5py.Dataset):
        raise ValueError(f"'{path}' should be a dataset; the file has a {type(d).__name__}")
    try:
        dcpl = d.id.get_create_plist()
        external = dcpl.get_external_count()
        layout = dcpl.get_layout()
        filters = [dcpl.get_filter(i)[0] for i in range(dcpl.get_nfilters())]
        shape, dtype, chunks = d.shape, d.dtype, d.chunks
        stored = d.id.get_storage_size()
    except (OSError, ValueError, RuntimeError, TypeError) as e:
        raise ValueError(f"'{path}': unreadable dataset header ({e})") from None
    if external:
        raise ValueError(f"'{path}' keeps its data in {external} external file(s) "
                         f"({d.external!r:.200}); refused: a weights file may only hold its "
                         "own data")
    if layout == h5py.h5d.VIRTUAL:
        raise ValueError(f"'{path}' is a virtual dataset (its data comes from other "
                         "datasets or files); refused")
    if shape is None:
        raise ValueError(f"'{path}' has no dataspace (an empty dataset); expected an array")
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None \
            or h5py.check_dtype(vlen=dtype) is not None or h5py.check_dtype(ref=dtype):
        raise ValueError(f"'{path}' has type {dtype!r}; weights are numbers (bool, int, "
                         "uint or float)")
    for fid in filters:
        if fid not in ALLOWED_FILTERS:
            raise ValueError(f"'{path}' uses HDF5 filter {fid}, not one of HDF5's built-in "
                             f"filters {sorted(ALLOWED_FILTERS.values())}; refused")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if chunks is not None:
        chunk_bytes = int(np.prod(chunks, dtype=object)) * dtype.itemsize
        if chunk_bytes > max(declared, 0) + MIN_CHUNK_ALLOWANCE:
            raise ValueError(f"'{path}': its chunks ({_size(chunk_bytes)}) are larger than the "
                             f"dataset ({_size(declared)}); refused")
    if declared > H5_BOMB_FLOOR and declared > H5_MAX_EXPANSION * max(stored, 1):
        raise ValueError(f"'{path}' declares {_size(declared)} but only {_size(stored)} are "
                         f"stored (over {H5_MAX_EXPANSION}x); refusing a potential "
                         "decompression/shape bomb")
    if declared and not filters and stored < declared:
        raise ValueError(f"'{path}' declares {_size(declared)} but stores only {_size(stored)}: "
                         "the unwritten part would load as fill values; refused")
    if declared and filters and chunks is not None:
        try:
            written = d.id.get_num_chunks()
        except (AttributeError, OSError, RuntimeError, ValueError):
            written = None
        needed = int(np.prod([-(-n // c) for n, c in zip(shape, chunks)], dtype=object))
        if written is not None and written < needed:
            raise ValueError(f"'{path}' has {written} of its {needed} chunks written: the "
                             "unwritten part would load as fill values; refused")
    return d


def read_dataset(d, path):
    """Read a dataset that passed ``check_dataset`` and whose shape the caller checked."""
    try:
        out = np.empty(d.shape, dtype=d.dtype)
        if out.size:
            d.read_direct(out)
        return out
    except (OSError, ValueError, RuntimeError, TypeError) as e:
        raise ValueError(f"'{path}': its data cannot be read ({e})") from None
