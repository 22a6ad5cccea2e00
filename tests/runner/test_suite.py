"""The one suite command: a profile selects bench/conftest.py's quick mode the same way
in every mode, the passes are told, node ids run alone."""

from __future__ import annotations

from pathlib import Path

from perfcore.runner.suite import (
    PASSES_ENV,
    QUICK_ENV,
    QUICK_OPTIONS,
    SuiteProfile,
    suite_command,
)


def test_quick_sets_the_conftest_variable_and_the_quick_options(tmp_path: Path) -> None:
    """A quick profile sets PERFCORE_BENCH_QUICK=1 and pytest-benchmark's quick options."""
    command = suite_command(
        tmp_path, ("bench",), tmp_path / "o.json", SuiteProfile(quick=True), base_env={}
    )
    assert command.env[QUICK_ENV] == "1"
    assert set(QUICK_OPTIONS) <= set(command.argv)


def test_a_full_run_drops_an_inherited_quick_setting(tmp_path: Path) -> None:
    """PERFCORE_BENCH_QUICK in the caller's environment does not make a full run quick."""
    command = suite_command(
        tmp_path, ("bench",), tmp_path / "o.json", SuiteProfile(), base_env={QUICK_ENV: "1"}
    )
    assert QUICK_ENV not in command.env
    assert not set(QUICK_OPTIONS) & set(command.argv)


def test_the_pass_count_is_told_to_the_suite(tmp_path: Path) -> None:
    """Each process learns how many passes share the rounds (PERFCORE_BENCH_PASSES)."""
    command = suite_command(
        tmp_path, ("bench",), tmp_path / "o.json", SuiteProfile(passes=3), base_env={}
    )
    assert command.env[PASSES_ENV] == "3"


def test_node_ids_run_alone_and_the_tree_comes_first_on_the_path(tmp_path: Path) -> None:
    """Given node ids, no folder is added; the tree precedes the inherited PYTHONPATH."""
    nodes = ("bench/test_cache.py::test_exact_hit",)
    command = suite_command(
        tmp_path / "tree",
        nodes,
        tmp_path / "o.json",
        SuiteProfile(),
        plugin=(tmp_path / "plug", "perfcore_turns"),
        base_env={"PYTHONPATH": "/elsewhere"},
    )
    assert nodes[0] in command.argv
    assert "bench" not in command.argv
    assert command.argv[3:5] == ("-p", "perfcore_turns")
    assert command.env["PYTHONPATH"].split(":") == [
        str(tmp_path / "tree"),
        str(tmp_path / "plug"),
        "/elsewhere",
    ]


def test_extra_options_come_last_so_they_can_override(tmp_path: Path) -> None:
    """The user's pytest options follow perfcore's own."""
    command = suite_command(
        tmp_path, ("bench",), tmp_path / "o.json", SuiteProfile(quick=True), extra=("-k", "x")
    )
    assert command.argv[-2:] == ("-k", "x")


def test_a_tree_older_than_the_pytest_plugin_runs_without_it(tmp_path: Path) -> None:
    """A REF whose perfcore predates its pytest plugin gets -p no:perfcore; a current
    tree keeps the plugin."""
    from perfcore.runner.suite import PYTEST_PLUGIN_FILE, SuiteProfile, suite_command

    old = tmp_path / "old"
    (old / "perfcore").mkdir(parents=True)
    command = suite_command(old, ("bench",), tmp_path / "o.json", SuiteProfile())
    assert "no:perfcore" in command.argv
    new = tmp_path / "new"
    (new / PYTEST_PLUGIN_FILE).parent.mkdir(parents=True)
    (new / PYTEST_PLUGIN_FILE).write_text("")
    command = suite_command(new, ("bench",), tmp_path / "o.json", SuiteProfile())
    assert "no:perfcore" not in command.argv
