"""Deterministic workloads shared by the pytest-benchmark and ASV suites.

Everything here is a pure function of its arguments and a seed, so two runs (or
two commits) measure exactly the same work.
"""

from __future__ import annotations

import numpy as np

_TOPICS = ("invoice", "contract", "support ticket", "release note", "incident report",
           "design review", "sales call", "survey answer", "bug report", "meeting")
_ASKS = ("Summarise", "Classify the sentiment of", "Extract the action items from",
         "Translate to French", "List the risks in", "Write a title for")


def prompts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct prompts of realistic length (about 80-120 characters)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        ask = _ASKS[int(rng.integers(len(_ASKS)))]
        topic = _TOPICS[int(rng.integers(len(_TOPICS)))]
        out.append(f"{ask} the {topic} number {i} filed by team {int(rng.integers(1, 60))}, "
                   f"keeping the answer short and factual.")
    return out


def reworded(prompt: str) -> str:
    """The same question, typed differently: case, punctuation and spacing changed."""
    return "  " + prompt.upper().replace(",", " ;").rstrip(".") + " ?"


def repeated_prompt_stream(requests: int, distinct: int, *, seed: int = 0,
                           zipf_s: float = 1.1, reworded_share: float = 0.3) -> list[str]:
    """A request stream: Zipf-popular questions, a share of them reworded."""
    rng = np.random.default_rng(seed)
    pool = prompts(distinct, seed)
    weights = 1.0 / np.arange(1, distinct + 1) ** zipf_s
    picks = rng.choice(distinct, size=requests, p=weights / weights.sum())
    flips = rng.random(requests) < reworded_share
    return [reworded(pool[i]) if f else pool[i] for i, f in zip(picks, flips, strict=True)]
