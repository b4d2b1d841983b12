"""The Keras 3 surface cannot shrink: tests/core/keras_surface.txt (written from Keras 3
itself by scripts/keras_surface.py) lists every public name of every public Keras module
(legacy modules aside) as present or missing in unikeras.

* a name marked present that unikeras no longer has fails (a regression);
* a name marked missing that unikeras now has fails too: rerun
  ``python scripts/keras_surface.py`` and commit the file, so the record keeps up and the
  next removal is caught.

The counts per module are in the file's header (and printed by ``-rP``)."""

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("keras_surface", ROOT / "scripts" / "keras_surface.py")
surface = importlib.util.module_from_spec(spec)
spec.loader.exec_module(surface)

ENTRIES = surface.parse(surface.SURFACE.read_text())


def test_surface_file_is_well_formed():
    assert len(ENTRIES) > 1000
    modules = {m for m, _ in ENTRIES}
    assert {"keras", "keras.layers", "keras.ops", "keras.utils"} <= modules
    assert not any("legacy" in m.split(".") for m in modules)


def test_no_keras_name_present_before_is_gone():
    gone = sorted(f"{m}.{n}" for (m, n), present in ENTRIES.items()
                  if present and not surface.has_name(m, n))
    assert not gone, f"{len(gone)} Keras names that unikeras had are gone: {gone[:50]}"


def test_surface_record_is_up_to_date():
    new = sorted(f"{m}.{n}" for (m, n), present in ENTRIES.items()
                 if not present and surface.has_name(m, n))
    assert not new, (f"{len(new)} Keras names marked missing now exist: {new[:50]}; run "
                     "`python scripts/keras_surface.py` and commit tests/core/keras_surface.txt")


def test_report_missing_counts():
    per = Counter(m for m, _ in ENTRIES)
    have = Counter(m for (m, _), p in ENTRIES.items() if p)
    lines = [f"{m}: {have[m]} / {per[m]}" for m in sorted(per) if have[m] < per[m]]
    total = sum(have.values())
    print(f"Keras surface: {total} / {len(ENTRIES)} present; missing by module:")
    print("\n".join(lines))
    assert total <= len(ENTRIES)
