"""Probe the stores as an attacker and a careless user would (issue 15 items 5, 7, 10, 11).

Usage: python studies/probe_stores.py [--umask-rounds N]

Runs every probe in-process through ``perfcore.cli.main`` in a scratch folder and
prints, per category, how many were tried, how many were handled cleanly (the
documented exit code, at most one line on stderr, no traceback, nothing written
outside the store) and the defects found. Point PYTHONPATH at another checkout
to probe that version instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import perfcore  # first, so the perfcore probed is the one on the path, not this checkout's

if not __package__:  # run as a script (python studies/probe_stores.py): find the studies package
    sys.path.append(str(Path(__file__).resolve().parent.parent))

from studies.probe_common import Outcome, clean, cli, files_under, make_run
from studies.probe_persistence import persistence

BAD_NAMES = [
    ".",
    "..",
    "../x",
    "../../../tmp/x",
    "/abs",
    "a/b",
    ".hidden",
    "",
    "x" * 300,
    "abc\n",
    "-flag",
    "a\\b",
    "..\\..\\x",
    "a\x00b",
]
SECRET = "probe-secret-key-0123456789"  # noqa: S105 -- a throwaway probe key
# --- path names ---------------------------------------------------------------------------


def _name_probe(scratch: Path, name: str, action: str) -> Outcome:
    store, outside = scratch / "store" / "inner", scratch
    results = scratch / "in.json"
    make_run(name).save(results)
    before = files_under(outside)
    if action == "baseline save":
        argv = ["baseline", "save", str(results), "--baselines-dir", str(store)]
    elif action == "history add":
        argv = ["history", "add", str(results), "--history-dir", str(store)]
    else:
        argv = ["history", action.split()[1], "--machine", name, "--history-dir", str(store)]
    code, _, err = cli(argv)
    escaped = {p for p in files_under(outside) - before if store not in p.parents}
    problem = clean(code, err, 2) or (f"wrote {sorted(escaped)[0]}" if escaped else "")
    return not problem, problem


def _archive_probe(scratch: Path, name: str) -> Outcome:
    store = scratch / "store"
    first, second = scratch / "a.json", scratch / "b.json"
    make_run("abc123", commit=name).save(first)
    make_run("abc123", created="2026-01-02T00:00:00+00:00").save(second)
    before = files_under(scratch)
    codes = [
        cli(["baseline", "save", str(f), "--baselines-dir", str(store)]) for f in (first, second)
    ]
    escaped = {p for p in files_under(scratch) - before if store not in p.parents}
    problem = next((clean(c, e, 0) for c, _, e in codes if clean(c, e, 0)), "")
    problem = problem or (f"wrote {sorted(escaped)[0]}" if escaped else "")
    return not problem, problem


def path_names(scratch: Path) -> list[Outcome]:
    """Every bad name through every command that turns a name into a path."""
    outcomes = []
    actions = ["baseline save", "history add", "history show", "history changes"]
    for i, name in enumerate(BAD_NAMES):
        for j, action in enumerate(actions):
            folder = scratch / f"n{i}-{j}"
            folder.mkdir()
            ok, why = _name_probe(folder, name, action)
            outcomes.append((ok, f"{action} {name!r}: {why}"))
        folder = scratch / f"n{i}-archive"
        folder.mkdir()
        ok, why = _archive_probe(folder, name)
        outcomes.append((ok, f"archive commit {name!r}: {why}"))
    return outcomes


# --- baselines no gate can use ---------------------------------------------------------------


def unusable_baselines(scratch: Path) -> list[Outcome]:
    """Runs every later gate rejects: baseline save must refuse them with exit 2."""
    cases = {
        "negative": make_run("m1", samples=(-1.0, -2.0)),
        "zeros": make_run("m1", samples=(0.0, 0.0)),
        "no samples": make_run("m1", samples=()),
        "unknown machine": make_run("unknown"),
    }
    outcomes = []
    for label, run in cases.items():
        folder = scratch / f"u-{label.replace(' ', '-')}"
        folder.mkdir()
        run.save(folder / "in.json")
        code, _, err = cli(
            ["baseline", "save", str(folder / "in.json"), "--baselines-dir", str(folder / "store")]
        )
        problem = clean(code, err, 2)
        outcomes.append((not problem, f"baseline save {label}: {problem}"))
    return outcomes


# --- audit --------------------------------------------------------------------------------------

_APPENDER = """
import sys, time
from pathlib import Path
from perfcore.training.audit import AuditLog
path, writer, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
log = AuditLog(path)
(go.parent / f"ready-{writer}").touch()
while not go.exists():
    time.sleep(0.001)
for i in range(60):
    log.append("event", {"writer": writer, "i": i})
"""


def _audit_log(folder: Path) -> Path:
    from perfcore.training.audit import AuditLog

    log = AuditLog(folder / "audit.jsonl")
    for i in range(5):
        log.append("event", {"i": i})
    return log.path


Sidecar = Callable[[dict[str, object], int, str], dict[str, object]]


def _rechain(path: Path, sidecar: Sidecar) -> None:
    from perfcore.training.audit import merkle_root

    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[1]["data"]["i"] = 99
    lines, prev = [], "0" * 64
    for record in records:
        record["prev"] = prev
        line = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        lines.append(line)
        prev = hashlib.sha256(line).hexdigest()
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    side = Path(f"{path}.root.json")
    side.write_text(
        json.dumps(sidecar(json.loads(side.read_text()), len(lines), merkle_root(lines)))
    )


def _attacker_signed(doc: dict[str, object], count: int, root: str) -> dict[str, object]:
    import hmac

    message = f"perfcore.audit-root/2\n{count}\n{root}".encode()
    return {
        **doc,
        "count": count,
        "root": root,
        "key_id": "0" * 16,
        "hmac": hmac.new(b"attacker key 0123456789", message, hashlib.sha256).hexdigest(),
    }


def _lines_edit(edit: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        path.write_text("".join(f"{line}\n" for line in edit(path.read_text().splitlines())))

    return apply


def _append_bytes(path: Path, data: bytes, *, fresh: bool = False) -> None:
    path.write_bytes(data if fresh else path.read_bytes() + data)


TAMPERS: dict[str, Callable[[Path], None]] = {
    "edit a value": _lines_edit(lambda ls: [ls[0], ls[1].replace('"i":1', '"i":7'), *ls[2:]]),
    "remove a line": _lines_edit(lambda ls: ls[:2] + ls[3:]),
    "swap two lines": _lines_edit(lambda ls: [ls[1], ls[0], *ls[2:]]),
    "truncate the tail": _lines_edit(lambda ls: ls[:-1]),
    "rechain, keep signature": lambda p: _rechain(p, lambda d, c, r: {**d, "count": c, "root": r}),
    "rechain, unsigned v1 root": lambda p: _rechain(
        p, lambda d, c, r: {"schema": "perfcore.audit-root/1", "count": c, "root": r}
    ),
    "rechain, attacker's key": lambda p: _rechain(p, _attacker_signed),
    "delete the root sidecar": lambda p: Path(f"{p}.root.json").unlink(),
    "binary garbage line": lambda p: _append_bytes(p, b"\xff\xfe\x00garbage\n"),
    "malformed sidecar": lambda p: _append_bytes(Path(f"{p}.root.json"), b"[1, 2]", fresh=True),
}


def _parallel_appends(folder: Path) -> Outcome:
    from perfcore.training.audit import verify_audit_log

    path, go = folder / "audit.jsonl", folder / "go"
    writers = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, str(path), str(w), str(go)])
        for w in range(3)
    ]
    deadline = time.monotonic() + 60
    while len(list(folder.glob("ready-*"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    codes = [w.wait(timeout=120) for w in writers]
    outcome = verify_audit_log(path)
    ok = codes == [0, 0, 0] and outcome.intact and outcome.entries == 180
    return ok, f"3 parallel appenders: {outcome.entries} entries, {len(outcome.problems)} problems"


def audit(scratch: Path) -> list[Outcome]:
    """Tampering and forgery (the key in PERFCORE_AUDIT_KEY), unreadable logs, parallel writers."""
    os.environ["PERFCORE_AUDIT_KEY"] = SECRET
    outcomes = []
    for i, (label, tamper) in enumerate(TAMPERS.items()):
        folder = scratch / f"a{i}"
        folder.mkdir()
        path = _audit_log(folder)
        tamper(path)
        code, _, err = cli(["audit", "verify", str(path)])
        problem = clean(code, err, 1)
        outcomes.append((not problem, f"audit {label}: {problem}"))
    for label in ("missing log", "log is a directory"):
        folder = scratch / f"a-{label.replace(' ', '-')}"
        folder.mkdir()
        target = folder / "audit.jsonl"
        if label == "log is a directory":
            target.mkdir()
        code, _, err = cli(["audit", "verify", str(target)])
        problem = clean(code, err, 2)
        outcomes.append((not problem, f"audit {label}: {problem}"))
    for trial in range(3):
        folder = scratch / f"par{trial}"
        folder.mkdir()
        outcomes.append(_parallel_appends(folder))
    return outcomes


def main_probe() -> None:
    """Run every category and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--umask-rounds", type=int, default=100_000)
    args = parser.parse_args()
    print(f"perfcore from {Path(perfcore.__file__).parent}")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="probe-config-")
    with tempfile.TemporaryDirectory(prefix="probe-stores-") as scratch:
        root = Path(scratch)
        categories: dict[str, Callable[[Path], list[Outcome]]] = {
            "path names": path_names,
            "unusable baselines": unusable_baselines,
            "audit": audit,
            "persistence faults": lambda s: persistence(s, args.umask_rounds),
        }
        rows: list[tuple[str, int, int, list[str]]] = []
        measured: list[str] = []
        for label, probe in categories.items():
            folder = root / label.replace(" ", "-")
            folder.mkdir()
            outcomes = probe(folder)
            defects = [why for ok, why in outcomes if not ok]
            measured.extend(
                why
                for ok, why in outcomes
                if ok and (label == "persistence faults" or why.startswith("3 "))
            )
            rows.append((label, len(outcomes), len(outcomes) - len(defects), defects))
    print(f"{'category':20} {'tried':>5} {'clean':>5} {'defects':>7}")
    for label, tried, handled, defects in rows:
        print(f"{label:20} {tried:5} {handled:5} {len(defects):7}")
    for label, _, _, defects in rows:
        for why in defects:
            print(f"  defect, {label}: {why[:160]}")
    for why in measured:
        print(f"  measured: {why}")


if __name__ == "__main__":
    main_probe()
