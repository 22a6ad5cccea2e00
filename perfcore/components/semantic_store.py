"""The semantic index saved beside a cache file, so a load needs no embedding and no graph build.

``<cache>.index/`` holds ``meta.json`` (schema, the token the cache file's header
names, the settings, a SHA-256 per file), ``slots.npy`` and ``vectors.npy`` (the slot
and float32 vector of each saved prompt, in the cache file's order; read with
``allow_pickle=False``) and one ``graph-<i>.usearch`` per number group with a graph.
It is written to a temporary folder and renamed into place before the cache file
names its token, so a crash leaves a cache file whose token the folder does not
carry: that is a stale index, rebuilt from the prompts as before. A folder whose
token matches but whose files fail a check (checksum, shape, dtype, usearch's header)
is corrupt: :class:`~perfcore.errors.InputError`, one line, nothing loaded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from perfcore.components.ann import AnnIndex
from perfcore.components.semantic import SemanticIndex
from perfcore.errors import ConfigError, InputError

__all__ = ["SCHEMA", "load_index", "save_index", "sidecar"]

SCHEMA = "perfcore.semantic-index/1"
_META_KEYS = {"schema", "token", "settings", "entries", "graphs", "sha256"}
_FILE = re.compile(r"(meta\.json|slots\.npy|vectors\.npy|graph-\d+\.usearch)")
_SPARE_SLOTS = 1024  # holes beyond 2 * entries + this: not saved (a rebuild is smaller)


def sidecar(path: Path) -> Path:
    """The index folder of the cache file ``path``."""
    return path.with_name(path.name + ".index")


def _settings(index: SemanticIndex) -> Any:
    return json.loads(json.dumps(dataclasses.asdict(index.settings)))


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def save_index(index: SemanticIndex, keys: list[str], path: Path, token: str) -> bool:
    """Write the index of ``keys`` beside ``path``; False (and no folder) when not worth it."""
    folder = sidecar(path)
    _check_folder(folder)
    slots = index.slots_of(keys)
    if len(slots) and int(slots.max()) >= 2 * len(slots) + _SPARE_SLOTS:
        shutil.rmtree(folder, ignore_errors=True)  # mostly holes: rebuilding is cheaper
        return False
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.index-", dir=path.parent))
    try:
        np.save(work / "slots.npy", slots)
        np.save(work / "vectors.npy", index.rows(slots))
        groups = []
        for i, (group, graph) in enumerate(index.graphs().items()):
            graph.save(work / f"graph-{i}.usearch")
            groups.append({"numbers": list(group), "file": f"graph-{i}.usearch"})
        sums = {p.name: _digest(p) for p in sorted(work.iterdir())}
        meta = {"schema": SCHEMA, "token": token, "settings": _settings(index)}
        meta |= {"entries": len(keys), "graphs": groups, "sha256": sums}
        (work / "meta.json").write_text(json.dumps(meta))
        _swap_in(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return True


def _check_folder(folder: Path) -> None:
    # Only a folder of our own files is ever replaced: anything else there is the user's.
    if not folder.exists():
        return
    if not folder.is_dir() or any(not _FILE.fullmatch(p.name) for p in folder.iterdir()):
        raise ConfigError(f"{folder} exists and is not a perfcore semantic index folder")


def _swap_in(work: Path, folder: Path) -> None:
    if folder.exists():
        aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=folder.parent))
        os.replace(folder, aside / "index")
        os.replace(work, folder)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(work, folder)


def load_index(
    index: SemanticIndex, saved: list[str], live: list[str], path: Path, token: str | None
) -> bool:
    """Restore ``live`` (a subsequence of ``saved``, the cache file's prompts) from the folder.

    False when there is no folder or it belongs to another save or other settings
    (the caller rebuilds); :class:`InputError` when it is ours and corrupt.
    """
    folder = sidecar(path)
    if token is None or not folder.is_dir():
        return False
    try:
        meta = _read_meta(folder)
        if meta["token"] != token or meta["settings"] != _settings(index):
            return False
        slots, vectors, graphs = _read_parts(folder, meta, len(saved), index)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"semantic index {folder} is corrupt ({exc}); delete it to rebuild from {path.name}"
        ) from None
    if live == saved:  # every saved prompt survived: no copy of the vectors
        index.restore(live, slots, vectors, graphs)
        return True
    position = {key: i for i, key in enumerate(saved)}
    keep = np.fromiter((position[k] for k in live), dtype=np.int64, count=len(live))
    index.restore(live, slots[keep], vectors[keep], graphs)
    return True


def _read_meta(folder: Path) -> dict[str, Any]:
    meta = json.loads((folder / "meta.json").read_text())
    if not isinstance(meta, dict) or set(meta) != _META_KEYS or meta["schema"] != SCHEMA:
        raise ValueError(f"meta.json is not a {SCHEMA} document")
    names = set(meta["sha256"])
    if names != {p.name for p in folder.iterdir()} - {"meta.json"}:
        raise ValueError("the folder's files are not the ones meta.json lists")
    for name in sorted(names):
        if not _FILE.fullmatch(name) or _digest(folder / name) != meta["sha256"][name]:
            raise ValueError(f"{name} does not match its checksum")
    return meta


def _read_parts(
    folder: Path, meta: dict[str, Any], entries: int, index: SemanticIndex
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], dict[tuple[str, ...], AnnIndex]]:
    if meta["entries"] != entries:
        raise ValueError(f"{meta['entries']} entries in the index, {entries} in the cache file")
    slots = np.load(folder / "slots.npy", allow_pickle=False)
    vectors = np.load(folder / "vectors.npy", allow_pickle=False)
    ndim = index.settings.n_features
    if slots.dtype != np.int64 or slots.shape != (entries,):
        raise ValueError("slots.npy is not one int64 slot per entry")
    if len(slots) and (slots.min() < 0 or slots.max() >= 2 * entries + _SPARE_SLOTS):
        raise ValueError("slots.npy holds slots out of range")
    if len(np.unique(slots)) != entries:
        raise ValueError("slots.npy repeats a slot")
    if vectors.dtype != np.float32 or vectors.shape != (entries, ndim):
        raise ValueError(f"vectors.npy is not {entries} float32 rows of {ndim}")
    if not np.isfinite(vectors).all():
        raise ValueError("vectors.npy holds non-finite values")
    graphs: dict[tuple[str, ...], AnnIndex] = {}
    for entry in meta["graphs"]:
        if not str(entry["file"]).startswith("graph-") or entry["file"] not in meta["sha256"]:
            raise ValueError(f"graph file {entry['file']!r} is not one meta.json lists")
        group = tuple(str(n) for n in entry["numbers"])
        graphs[group] = AnnIndex.load(folder / str(entry["file"]), ndim, index.settings.ann)
        if not set(graphs[group].keys().tolist()) <= set(slots.tolist()):
            raise ValueError(f"{entry['file']} holds slots the index does not")
    return slots, vectors, graphs
