"""Module-level validators, so the processes mode (spawn) can import them in workers."""

from __future__ import annotations

import asyncio
import os
import time


def passes(value: int) -> bool:
    """Passes for any positive input."""
    return value > 0


def returns_false(value: int) -> bool:
    """Always fails by returning False."""
    return False


def raises(value: int) -> bool:
    """Always fails by raising."""
    raise ValueError(f"bad input {value}")


def hangs(value: int) -> bool:
    """Never returns in any useful time."""
    time.sleep(3600)
    return True


def sleeps_briefly(value: int) -> bool:
    """Returns after a short sleep."""
    time.sleep(0.05)
    return True


def dies(value: int) -> bool:
    """Kills its own process without a word."""
    os._exit(3)


def burn_cpu(value: int) -> bool:
    """CPU-bound work proportional to ``value``."""
    total = 0
    for i in range(value):
        total += i * i
    return total >= 0


async def async_passes(value: int) -> bool:
    """An async validator that passes."""
    await asyncio.sleep(0)
    return True


async def async_hangs(value: int) -> bool:
    """An async validator that never finishes."""
    await asyncio.sleep(3600)
    return True


class CountedInput:
    """An input that counts how often this process pickles it."""

    pickled = 0

    def __getstate__(self) -> dict[str, int]:
        CountedInput.pickled += 1
        return {}

    def __setstate__(self, state: dict[str, int]) -> None:
        pass


def accepts_anything(value: object) -> bool:
    """Passes for any input."""
    return True


def names_its_process(value: object) -> bool:
    """Fails with the PID of the process it ran in, so a test can see where calls went."""
    raise RuntimeError(f"pid {os.getpid()}")
