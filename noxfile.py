"""nox sessions: tests, lint, bench (the main job), asv, load, report, gate.

Every session installs what it needs from the project's own files, so a fresh
machine with only Python 3.11+ and nox can run any of them.
"""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

CHROMIUM = "/usr/bin/chromium"


def _ensure_chromium(session: nox.Session) -> None:
    """Install Debian's chromium for the browser test when we can (root with apt)."""
    if shutil.which("chromium") or os.path.exists(CHROMIUM):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        session.warn("chromium is missing and cannot be installed here; browser tests will skip")
        return
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", external=True, env=env)
    session.run(
        "apt-get",
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        "chromium",
        external=True,
        env=env,
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (installs chromium for the browser test)."""
    session.install("-e", ".[test]")
    _ensure_chromium(session)
    session.run("pytest", "tests", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint, and ``ruff format --check``) over everything; strict mypy over the
    package, benchmarks, studies and load tests.

    mypy's files are in pyproject.toml; the bench and load extras are installed so it sees
    the types of pytest, pytest-benchmark and Locust that those folders use.
    """
    session.install("-e", ".[lint,bench,load]")
    session.run("ruff", "check", "perfcore", "bench", "studies", "loadtests", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """The main job: benchmarks, a short load test, verdicts against baselines, report.

    Pass ``-- --quick`` for the one-minute version.
    """
    session.install("-e", ".[bench,load]")
    session.run("perfcore", "run", *session.posargs)


@nox.session
def asv(session: nox.Session) -> None:
    """Run the ASV suite on this interpreter and publish its HTML site."""
    session.install("-e", ".[bench]")
    session.run("asv", "machine", "--yes")
    session.run("asv", "run", "--python=same", "--quick", "--show-stderr", *session.posargs)
    session.run("asv", "publish")
    session.log("ASV site: .asv/html/index.html")


@nox.session
def load(session: nox.Session) -> None:
    """Local-vs-cloud load test with Locust on loopback."""
    session.install("-e", ".[load]")
    session.run("perfcore", "load", *session.posargs)


@nox.session(name="load-study")
def load_study(session: nox.Session) -> None:
    """The serving/load figures: wrk vs perfcore vs Locust, open loop, batching, a stall."""
    session.install("-e", ".[load]")
    if shutil.which("wrk") is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run("apt-get", "install", "-y", "-qq", "wrk", external=True, env=env)
    session.run("python", "-m", "studies.load_study", *session.posargs)


@nox.session
def limits(session: nox.Session) -> None:
    """The limits of issue 21: the scale benchmarks (100k/1M-entry semantic caches, built
    once into artifacts/), the server against its trivial endpoint, the process pool."""
    session.install("-e", ".[bench,load]")
    env = {"OMP_NUM_THREADS": "1"}
    session.run(
        "pytest",
        "bench/test_semantic_scale.py",
        "bench/test_validator.py",
        "--scale",
        "--benchmark-only",
        "-p",
        "no:cacheprovider",
        "--benchmark-json=reports/latest/limits-bench.json",
        *session.posargs,
        env=env,
    )
    session.run("python", "-m", "studies.limits_study", env=env)
    session.run("python", "-m", "studies.pool_study", env=env)


@nox.session
def report(session: nox.Session) -> None:
    """Render reports/latest/ from the latest results."""
    session.install("-e", ".")
    session.run("perfcore", "report", *session.posargs)


@nox.session
def gate(session: nox.Session) -> None:
    """The CI regression gate: ``-- --baseline B --current C``, or ``-- --against origin/main``
    (interleaved rounds of the benchmarks the change reaches; see examples/ci/)."""
    session.install("-e", ".[bench]")
    session.run("perfcore", "gate", *session.posargs)
