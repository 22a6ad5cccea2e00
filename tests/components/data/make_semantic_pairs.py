"""Generate semantic_pairs.json: the labelled workload for semantic cache precision.

Run from the repository root: ``python tests/components/data/make_semantic_pairs.py``.
The output is deterministic (seeded); commit it together with this script.

Layout of the output:
  cached:     prompts stored in the cache (one phrasing per template and entity)
  paraphrases: {"query", "source", "kind"}: the query asks what ``source`` asks;
              kind "surface" (case, punctuation, filler words, a typo) or "reworded"
              (another phrasing of the same question)
  distinct:   {"query", "closest", "kind"}: the query asks something no cached prompt
              asks; ``closest`` is the cached prompt it was derived from. kind "entity"
              (same phrasing, another entity or number) or "template" (same entity,
              another question)
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SEED = 20261123
HERE = Path(__file__).parent

COUNTRIES = [
    "France",
    "Spain",
    "Italy",
    "Germany",
    "Austria",
    "Australia",
    "Canada",
    "Brazil",
    "Argentina",
    "Chile",
    "Peru",
    "Japan",
    "China",
    "India",
    "Egypt",
    "Kenya",
    "Nigeria",
    "Norway",
    "Sweden",
    "Finland",
    "Denmark",
    "Poland",
    "Greece",
    "Turkey",
    "Mexico",
    "Portugal",
    "Ireland",
    "Iceland",
    "Vietnam",
    "Thailand",
    "Morocco",
    "Ghana",
]
CITIES = [
    "Paris",
    "London",
    "Berlin",
    "Madrid",
    "Rome",
    "Tokyo",
    "Osaka",
    "Seoul",
    "Lagos",
    "Cairo",
    "Lima",
    "Bogota",
    "Toronto",
    "Vancouver",
    "Chicago",
    "Boston",
    "Denver",
    "Austin",
    "Dallas",
    "Sydney",
    "Melbourne",
    "Mumbai",
    "Delhi",
    "Dublin",
    "Oslo",
    "Vienna",
    "Prague",
    "Warsaw",
    "Lisbon",
    "Athens",
    "Munich",
    "Hamburg",
]
BOOKS = [
    "Moby Dick",
    "Pride and Prejudice",
    "War and Peace",
    "Hamlet",
    "Macbeth",
    "Ulysses",
    "Dracula",
    "Frankenstein",
    "Emma",
    "Middlemarch",
    "Beloved",
    "Dune",
    "Emma Goldman",
    "The Trial",
    "The Castle",
    "The Hobbit",
    "The Odyssey",
    "The Iliad",
    "Don Quixote",
    "Jane Eyre",
    "Wuthering Heights",
    "Great Expectations",
    "Bleak House",
    "Persuasion",
]
CONCEPTS = [
    "recursion",
    "gradient descent",
    "backpropagation",
    "photosynthesis",
    "inflation",
    "compound interest",
    "quantum entanglement",
    "blockchain",
    "public key encryption",
    "garbage collection",
    "overfitting",
    "regularization",
    "dropout",
    "entropy",
    "natural selection",
    "supply and demand",
    "plate tectonics",
    "black holes",
    "the Doppler effect",
    "dynamic programming",
    "hash tables",
    "binary search",
    "virtual memory",
    "TCP congestion control",
]
PHRASES = [
    "good morning",
    "thank you very much",
    "where is the station",
    "I am hungry",
    "see you tomorrow",
    "how much does it cost",
    "I love you",
    "happy birthday",
    "excuse me",
    "good night",
    "the bill please",
    "I am lost",
]
LANGUAGES = ["French", "Spanish", "German", "Italian", "Japanese", "Portuguese", "Dutch", "Swedish"]
UNITS = [
    ("miles", "kilometers"),
    ("kilometers", "miles"),
    ("pounds", "kilograms"),
    ("kilograms", "pounds"),
    ("feet", "meters"),
    ("inches", "centimeters"),
    ("gallons", "liters"),
    ("Fahrenheit", "Celsius"),
]
TASKS = [
    "reverse a string",
    "check if a number is prime",
    "sort a list of tuples",
    "merge two dictionaries",
    "read a CSV file",
    "compute the factorial of n",
    "flatten a nested list",
    "count words in a text",
    "remove duplicates from a list",
    "find the largest element in a list",
    "parse a JSON string",
    "validate an email address",
    "compute a moving average",
    "transpose a matrix",
    "download a web page",
    "compute the median of a list",
]
TOPICS = [
    "Rome",
    "Japan",
    "the internet",
    "jazz",
    "the printing press",
    "aviation",
    "Egypt",
    "chess",
    "the Olympic Games",
    "vaccines",
    "the telephone",
    "Mexico",
    "football",
    "photography",
    "the railway",
    "computing",
]

TEMPLATES: dict[str, tuple[list[str], list[str]]] = {
    "capital": (
        COUNTRIES,
        [
            "What is the capital of {x}?",
            "What's the capital city of {x}?",
            "Which city is the capital of {x}?",
            "Tell me the capital of {x}.",
            "Name the capital of {x}.",
        ],
    ),
    "population": (
        CITIES,
        [
            "What is the population of {x}?",
            "How many people live in {x}?",
            "What's the current population of {x}?",
            "Population of {x}?",
        ],
    ),
    "author": (
        BOOKS,
        [
            "Who wrote {x}?",
            "Who is the author of {x}?",
            "Which author wrote {x}?",
            "Who's the writer of the book {x}?",
        ],
    ),
    "explain": (
        CONCEPTS,
        [
            "Explain {x} in simple terms.",
            "Can you explain {x} simply?",
            "Explain {x} like I'm five.",
            "Give me a simple explanation of {x}.",
        ],
    ),
    "weather": (
        CITIES,
        [
            "What will the weather be in {x} tomorrow?",
            "What's tomorrow's weather forecast for {x}?",
            "What is the weather forecast for {x} tomorrow?",
        ],
    ),
    "code": (
        TASKS,
        [
            "Write a Python function to {x}.",
            "Can you write Python code to {x}?",
            "Show me a Python function to {x}.",
            "How do I {x} in Python?",
        ],
    ),
    "history": (
        TOPICS,
        [
            "Summarize the history of {x}.",
            "Give me a short summary of the history of {x}.",
            "Briefly summarize the history of {x}.",
        ],
    ),
}
FILLERS = ["Please, {p}", "{p} Please.", "Hey, {p}", "Quick question: {p}", "{p} Thanks!"]


def _pair_values(rng: random.Random) -> list[str]:
    """Values for the two-slot templates, rendered into the single {x} slot form."""
    return [f'"{p}" into {lang}' for p in PHRASES for lang in LANGUAGES]


def _surface(prompt: str, rng: random.Random) -> str:
    """A surface variant of ``prompt`` that differs from it (else it would be an exact hit)."""
    while (variant := _surface_once(prompt, rng)) == prompt:
        pass
    return variant


def _surface_once(prompt: str, rng: random.Random) -> str:
    choice = rng.randrange(5)
    if choice == 0:
        return prompt.lower()
    if choice == 1:
        return prompt.rstrip("?.!").upper() if rng.random() < 0.2 else prompt.rstrip("?.!")
    if choice == 2:
        return rng.choice(FILLERS).format(p=prompt)
    if choice == 3:
        return "  ".join(prompt.split(" "))
    words = prompt.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 3 and w.isalpha() and w.islower():
        j = rng.randrange(len(w) - 1)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _numeric(rng: random.Random) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """Arithmetic and unit prompts: a paraphrase keeps the numbers, a distinct one changes one."""
    forms_mul = ["What is {a} times {b}?", "Calculate {a} multiplied by {b}.", "What's {a} x {b}?"]
    forms_conv = ["Convert {n} {u} to {v}.", "How many {v} is {n} {u}?", "What is {n} {u} in {v}?"]
    cached, paraphrase_rows, distinct_rows = [], [], []
    for _ in range(40):
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        f, g = rng.sample(forms_mul, 2)
        src = f.format(a=a, b=b)
        cached.append(src)
        paraphrase_rows.append({"query": g.format(a=a, b=b), "source": src, "kind": "reworded"})
        paraphrase_rows.append({"query": _surface(src, rng), "source": src, "kind": "surface"})
        distinct_rows.append({"query": f.format(a=a, b=b + 1), "closest": src, "kind": "entity"})
    for _ in range(40):
        n = rng.randint(2, 500)
        u, v = rng.choice(UNITS)
        f, g = rng.sample(forms_conv, 2)
        src = f.format(n=n, u=u, v=v)
        cached.append(src)
        reworded = g.format(n=n, u=u, v=v)
        paraphrase_rows.append({"query": reworded, "source": src, "kind": "reworded"})
        paraphrase_rows.append({"query": _surface(src, rng), "source": src, "kind": "surface"})
        other = f.format(n=n * 2, u=u, v=v)
        distinct_rows.append({"query": other, "closest": src, "kind": "entity"})
    return cached, paraphrase_rows, distinct_rows  # type: ignore[return-value]


def build(seed: int = SEED) -> dict[str, object]:
    """The whole workload, deterministic for a given seed."""
    rng = random.Random(seed)
    templates = dict(TEMPLATES)
    templates["translate"] = (
        _pair_values(rng),
        ["Translate {x}.", "How do you say {x}?", "What is the translation of {x}?"],
    )
    cached: list[str] = []
    paraphrases: list[dict[str, str]] = []
    distinct: list[dict[str, str]] = []
    held_out_by_template: dict[str, list[str]] = {}
    for name, (choices, forms) in templates.items():
        values = list(choices)
        rng.shuffle(values)
        half = len(values) // 2
        kept, held = values[:half], values[half:]
        held_out_by_template[name] = held
        for value in kept:
            form, other = rng.sample(forms, 2)
            src = form.format(x=value)
            cached.append(src)
            paraphrases.append({"query": other.format(x=value), "source": src, "kind": "reworded"})
            paraphrases.append({"query": _surface(src, rng), "source": src, "kind": "surface"})
            for alt in rng.sample(held, min(2, len(held))):
                distinct.append({"query": form.format(x=alt), "closest": src, "kind": "entity"})
    # Same entity, another question: only where the other template never caches that entity.
    for src in rng.sample(cached, 60):
        for name, (values, forms) in templates.items():
            if src in {f.format(x=v) for v in values for f in forms}:
                continue
            held = held_out_by_template[name]
            shared = [v for v in held if v in src]
            if shared:
                distinct.append(
                    {
                        "query": rng.choice(forms).format(x=shared[0]),
                        "closest": src,
                        "kind": "template",
                    }
                )
                break
    num_cached, num_para, num_distinct = _numeric(rng)
    cached += num_cached
    paraphrases += num_para
    distinct += num_distinct
    cached_set = set(cached)
    distinct = [d for d in distinct if d["query"] not in cached_set]
    return {"seed": seed, "cached": cached, "paraphrases": paraphrases, "distinct": distinct}


def main() -> None:
    """Write semantic_pairs.json next to this script."""
    data = build()
    (HERE / "semantic_pairs.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(
        f"cached {len(data['cached'])}, paraphrases {len(data['paraphrases'])}, "  # type: ignore[arg-type]
        f"distinct {len(data['distinct'])}"
    )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
