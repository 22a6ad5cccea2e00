"""``perfcore profiles``: the server profiles (built in and [tool.perfcore.profiles]), validated,
and the one recommended for this machine. Exit 2 when the profiles are invalid."""

from __future__ import annotations

import argparse

DESCRIPTION = (
    "Validate [tool.perfcore.profiles] and show every profile resolved through its extends chain."
)


def configure(p: argparse.ArgumentParser) -> None:
    """The options of the ``profiles`` subcommand."""
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from perfcore.config import load_settings
    from perfcore.optimisation.profiles import detect_system, recommend_profile, resolve_profiles

    profiles = resolve_profiles(load_settings().profiles)
    cores, memory = detect_system()
    best = recommend_profile(cores, memory)
    for name, profile in profiles.items():
        chain = " <- ".join(profile.chain)
        mark = "*" if name == best else " "
        print(
            f"{mark} {name:<16} {profile.settings.label():<26} {chain}"
            f"{'  ' + profile.description if profile.description else ''}"
        )
    print(f"recommended here ({cores} cores, {memory / 2**30:.1f} GiB): {best}")
    return 0
