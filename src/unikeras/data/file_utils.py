"""Keras' ``keras.utils.get_file``: a file in the Keras cache, fetched only when it is
missing, verified by hash, optionally extracted.

Archives are untrusted input (Keras CVE-2025-12638): a tar or zip member whose path is
absolute, climbs out with ``..``, is a symbolic or hard link, or is not a regular file
or directory (devices, FIFOs) makes the whole extraction fail with a ValueError naming
the member, and nothing is written (members are checked before anything is extracted,
into a temporary directory renamed into place). Keras instead skips such members with a
warning; refusing the archive is the stricter choice.

The network is used only for an ``http(s)``/``ftp`` origin whose file is not in the
cache already; ``file://`` URLs and plain local paths are copied."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile


def keras_home():
    """``$KERAS_HOME`` if set, else ``~/.keras`` (Keras' cache root)."""
    return os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))


def resolve_hasher(algorithm, file_hash=None):
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is not None and len(file_hash) == 64:
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"hash_algorithm must be 'md5', 'sha256' or 'auto'; received "
                     f"{algorithm!r}")


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file (``algorithm``: "sha256", "md5" or "auto")."""
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's hash equals ``file_hash`` ("auto": sha256 for a 64-character
    hash, else md5)."""
    hasher = resolve_hasher(algorithm, file_hash)
    return str(hash_file(fpath, hasher, chunk_size)) == str(file_hash)


def _unsafe_name(name):
    """Why an archive member's name is unsafe, or None."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return "an absolute path"
    if ".." in norm.split("/"):
        return "a path that leaves the extraction directory"
    return None


def _check_tar(archive):
    members = archive.getmembers()
    for m in members:
        why = _unsafe_name(m.name)
        if why is None and (m.issym() or m.islnk()):
            why = f"a {'symbolic' if m.issym() else 'hard'} link (to {m.linkname!r})"
        if why is None and not (m.isfile() or m.isdir()):
            why = "not a regular file or directory"
        if why:
            raise ValueError(f"get_file: refusing to extract the archive: member "
                             f"{m.name!r} is {why}.")
    return members


def _check_zip(archive):
    members = archive.infolist()
    for m in members:
        why = _unsafe_name(m.filename)
        mode = m.external_attr >> 16
        if why is None and mode and stat.S_ISLNK(mode):
            why = "a symbolic link"
        if why:
            raise ValueError(f"get_file: refusing to extract the archive: member "
                             f"{m.filename!r} is {why}.")
    return members


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (plain, gz, bz2, xz) or zip archive into ``path``; False when the
    file is none of the ``archive_format`` kinds. Unsafe members refuse the whole
    archive (see the module docstring); extraction is all-or-nothing."""
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in archive_format:
        if kind == "tar":
            is_match, opener, check = tarfile.is_tarfile, tarfile.open, _check_tar
        elif kind == "zip":
            is_match, opener, check = zipfile.is_zipfile, zipfile.ZipFile, _check_zip
        else:
            raise ValueError(f"archive_format must be 'auto', 'tar', 'zip', a list of "
                             f"those or None; received {kind!r}")
        if not is_match(file_path):
            continue
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".extract-", dir=parent)
        try:
            with opener(file_path) as archive:
                members = check(archive)
                if kind == "tar":
                    archive.extractall(tmp, members=members, filter="data")
                else:
                    archive.extractall(tmp, members=members)
            if os.path.isdir(path):
                # merge into an existing extraction directory (Keras extracts over it)
                for entry in os.listdir(tmp):
                    dest = os.path.join(path, entry)
                    if os.path.isdir(dest) and not os.path.islink(dest):
                        shutil.rmtree(dest)
                    elif os.path.lexists(dest):
                        os.remove(dest)
                    os.replace(os.path.join(tmp, entry), dest)
            else:
                os.replace(tmp, path)
        finally:
            if os.path.isdir(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
        return True
    return False


def _fetch(origin, target):
    """Copy ``origin`` (a local path, file:// URL, or network URL) to ``target``
    atomically; a failure leaves no partial file."""
    scheme = urllib.parse.urlsplit(origin).scheme.lower()
    tmp = f"{target}.part"
    try:
        if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
            src = (urllib.request.url2pathname(urllib.parse.urlsplit(origin).path)
                   if scheme == "file" else origin)
            if not os.path.isfile(src):
                raise FileNotFoundError(f"get_file: origin {origin!r} is not a file.")
            shutil.copyfile(src, tmp)
        else:
            try:
                urllib.request.urlretrieve(origin, tmp)
            except urllib.error.HTTPError as e:
                raise OSError(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                raise OSError(f"URL fetch failure on {origin}: {reason} (no network "
                              "access? place the file in the cache directory, see "
                              "keras.utils.get_file's cache_dir/cache_subdir)") from e
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The path of ``fname`` in ``cache_dir/cache_subdir`` (``$KERAS_HOME`` or
    ``~/.keras``, then "datasets"), fetched from ``origin`` only if it is not there (or
    its hash does not match ``file_hash``, or ``force_download``). With ``extract``
    (or the deprecated ``untar``) the archive is extracted safely and the extraction
    directory is returned, with Keras' naming (``<fname>_archive`` /
    ``<name>_extracted``)."""
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to '
                         "download).")
    if cache_dir is None:
        cache_dir = keras_home()
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(os.fspath(cache_dir))
    os.makedirs(base, exist_ok=True)
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(),
                            ".keras")
    datadir = os.path.join(base, os.fspath(cache_subdir))
    os.makedirs(datadir, exist_ok=True)
    provided = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: "
                             f"'{origin}'. Please specify the `fname` argument.")
    elif os.sep in fname or (os.altsep and os.altsep in fname) or fname in (".", ".."):
        raise ValueError("Paths are no longer accepted as the `fname` argument. To "
                         "specify the file's parent directory, use the `cache_dir` "
                         f"argument. Received: fname={fname}")
    if extract or untar:
        if provided and "." in fname:
            target = os.path.join(datadir, fname)
            stem = fname[:fname.find(".")]
            extraction_dir = os.path.join(datadir, f"{stem}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(
            target, file_hash, algorithm=hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated "
              f"because the {hash_algorithm} file hash does not match the original "
              f"value of {file_hash} so we will re-download the data.")
        download = True
    if download:
        print(f"Downloading data from {origin}")
        _fetch(origin, target)
        if file_hash is not None and not validate_file(target, file_hash,
                                                       algorithm=hash_algorithm):
            os.remove(target)
            raise ValueError(f"Incomplete or corrupted file detected. The "
                             f"{hash_algorithm} file hash does not match the provided "
                             f"value of {file_hash}.")
    if extract or untar:
        if untar:
            archive_format = "tar"
        if not extract_archive(target, extraction_dir, archive_format):
            import warnings

            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target
