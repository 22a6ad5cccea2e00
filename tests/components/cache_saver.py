"""Subprocess for the crash test: save a large cache over and over, alternating two states.

Usage: python cache_saver.py PATH ENTRIES. Generation g stores response "g<g>:<i>" for
prompt "prompt <i>", so a loaded file is whole exactly when every response carries the
same generation and there are ENTRIES of them.
"""

import sys

from perfcore.components.cache import LLMCache


def main() -> None:
    """Save generations 0, 1, 2, ... until killed."""
    path, entries = sys.argv[1], int(sys.argv[2])
    cache = LLMCache(max_entries=entries)
    generation = 0
    while True:
        for i in range(entries):
            cache.put(f"prompt {i}", f"g{generation}:{i}" + "x" * 64)
        cache.save(path)
        print(generation, flush=True)
        generation += 1


if __name__ == "__main__":
    main()
