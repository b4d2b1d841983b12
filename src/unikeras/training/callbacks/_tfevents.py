"""A minimal TensorBoard event-file writer and reader (no TensorFlow needed).

File format: TFRecord framing — for each record, ``uint64 length`` (little endian),
``uint32 masked_crc32c(length bytes)``, the payload, ``uint32 masked_crc32c(payload)``.
Payloads are ``tensorflow.Event`` protocol buffers; we encode the few fields scalar
summaries need:

    Event:   1 wall_time (double), 2 step (int64), 3 file_version (string),
             5 summary (Summary)
    Summary: 1 value (repeated Value)
    Value:   1 tag (string), 2 simple_value (float)
"""

from __future__ import annotations

import os
import socket
import struct
import time

# ------------------------------------------------------------------ crc32c (Castagnoli)
_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# ------------------------------------------------------------------ protobuf encoding
def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _bytes_field(field, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def encode_scalar_event(tag: str, value: float, step: int, wall_time: float | None = None) -> bytes:
    val = _bytes_field(1, tag.encode("utf-8")) + _key(2, 5) + struct.pack("<f", float(value))
    summary = _bytes_field(1, val)
    return (_key(1, 1) + struct.pack("<d", time.time() if wall_time is None else wall_time)
            + _key(2, 0) + _varint(int(step)) + _bytes_field(5, summary))


def encode_version_event(wall_time: float | None = None) -> bytes:
    return (_key(1, 1) + struct.pack("<d", time.time() if wall_time is None else wall_time)
            + _bytes_field(3, b"brain.Event:2"))


def frame(record: bytes) -> bytes:
    header = struct.pack("<Q", len(record))
    return (header + struct.pack("<I", masked_crc32c(header)) + record
            + struct.pack("<I", masked_crc32c(record)))


class EventFileWriter:
    """Appends scalar events to ``<logdir>/events.out.tfevents.<time>.<host>.<pid>.<n>.v2``."""

    _counter = 0

    def __init__(self, logdir):
        os.makedirs(logdir, exist_ok=True)
        EventFileWriter._counter += 1
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{EventFileWriter._counter}.v2")
        self.path = os.path.join(logdir, name)
        self._f = open(self.path, "wb")
        self._f.write(frame(encode_version_event()))
        self._f.flush()

    def scalar(self, tag, value, step):
        self._f.write(frame(encode_scalar_event(tag, value, step)))

    def flush(self):
        if self._f is not None:
            self._f.flush()

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None


# ------------------------------------------------------------------ reading back
def _read_varint(buf, i):
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _fields(buf):
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _read_varint(buf, i)
        elif wire == 1:
            v = buf[i:i + 8]
            i += 8
        elif wire == 5:
            v = buf[i:i + 4]
            i += 4
        elif wire == 2:
            n, i = _read_varint(buf, i)
            v = buf[i:i + n]
            i += n
        else:
            raise ValueError(f"tfevents: unsupported wire type {wire}")
        yield field, wire, v


def read_scalars(path):
    """``[(step, tag, value), ...]`` from an event file, checking every CRC."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        header = data[i:i + 8]
        (length,) = struct.unpack("<Q", header)
        (hcrc,) = struct.unpack("<I", data[i + 8:i + 12])
        if hcrc != masked_crc32c(header):
            raise ValueError(f"tfevents: bad length CRC at offset {i} in {path}")
        record = data[i + 12:i + 12 + length]
        (dcrc,) = struct.unpack("<I", data[i + 12 + length:i + 16 + length])
        if dcrc != masked_crc32c(record):
            raise ValueError(f"tfevents: bad data CRC at offset {i} in {path}")
        i += 16 + length
        step = 0
        for field, _, v in _fields(record):
            if field == 2:
                step = v
            elif field == 5:
                for f2, _, value in _fields(v):
                    if f2 != 1:
                        continue
                    tag, val = None, None
                    for f3, _, x in _fields(value):
                        if f3 == 1:
                            tag = x.decode("utf-8")
                        elif f3 == 2:
                            (val,) = struct.unpack("<f", x)
                    out.append((step, tag, val))
    return out
