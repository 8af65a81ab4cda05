"""Directory matcher benchmark: quality on the labelled utterances, then speed at scale.

Prints, for the demo directory (benchmarks/data/demo_directory.json) and its labelled
utterances (directory_utterances.jsonl, plus the held-out directory_utterances_holdout.jsonl):
accuracy, wrong transfers (a match that differs from the label, the number that must stay at
zero), how often the agent would ask again, and resolve latency (p50, p95, max). Then the same
for a synthetic 500-entry directory generated from a seeded RNG, with the index build time.
Figures only; nothing here asserts on time.

    .venv/bin/python benchmarks/directory_matcher.py [--entries 500] [--seed 7] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import os
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smartalex.domain.directory import DirectoryEntry, Resolution  # noqa: E402
from smartalex.domain.matching import Matcher  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"

FIRST_NAMES = """James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David
Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa
Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna
Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald
Rebecca Edward Sharon Jason Laura Jeffrey Cynthia Ryan Kathleen Jacob Amy Gary Angela Nicholas
Shirley Eric Anna Jonathan Brenda Stephen Pamela Larry Emma Justin Nicole Scott Helen Brandon
Samantha Aoife Niamh Siobhan Ciaran Padraig Saoirse Oisin Priya Rahul Wei Mei Yusuf Fatima
Olumide Chiara Lukas Ingrid Mateo Sofia""".split()
SURNAMES = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Murphy Kelly
OBrien Byrne Ryan OConnor Walsh McCarthy Gallagher Doherty Kennedy Lynch Murray Quinn Moore
McLoughlin Fitzgerald Fitzpatrick Brennan Chen Wang Patel Singh Khan Okafor Rossi Muller Novak
Larsen Silva""".split()
DEPARTMENTS = [
    ("Reception", ("front desk", "operator")), ("Accounts", ("billing", "finance")),
    ("Support", ("tech support", "help desk")), ("Sales", ("new business",)),
    ("Warehouse", ("deliveries", "dispatch")), ("Human Resources", ("HR",)),
    ("Payroll", ()), ("Customer Care", ("complaints",)), ("Legal", ("contracts",)),
    ("Marketing", ("press",)), ("Facilities", ("maintenance",)),
    ("Conference Room A", ()), ("Conference Room B", ()), ("Boardroom", ()),
    ("Night Line", ("out of hours",)), ("Quality Assurance", ("QA",)),
    ("Training", ("learning",)), ("Procurement", ("purchasing", "suppliers")),
    ("Security Desk", ("security",)), ("Research Lab", ("research",)),
]
PARAPHRASES = {"Accounts": "I have a question about my invoice", "Support": "my internet is down",
               "Sales": "I'd like a quote", "Warehouse": "my parcel hasn't arrived",
               "Human Resources": "I'm calling about a job vacancy",
               "Payroll": "there's a mistake on my payslip",
               "Customer Care": "I want to make a complaint", "Reception": "a real person please",
               "Legal": "I need to talk to your lawyer", "Marketing": "I'm a journalist"}
DIGITS = "zero one two three four five six seven eight nine".split()


def load_demo() -> tuple[list[DirectoryEntry], list[dict], list[dict]]:
    raw = json.loads((DATA / "demo_directory.json").read_text())
    entries = [DirectoryEntry(e["extension"], e["display_name"], tuple(e["aliases"]))
               for e in raw["entries"]]
    return entries, _jsonl(DATA / "directory_utterances.jsonl"), _jsonl(
        DATA / "directory_utterances_holdout.jsonl")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def synthetic_directory(size: int, rng: random.Random) -> list[DirectoryEntry]:
    """`size` entries: the departments above, then people with random (sometimes shared)
    first names and surnames on extensions 1000 upwards."""
    entries = [DirectoryEntry(str(2000 + k), name, aliases)
               for k, (name, aliases) in enumerate(DEPARTMENTS[:size])]
    for k in range(size - len(entries)):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        entries.append(DirectoryEntry(str(1000 + k), name))
    return entries


def misspell(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    k = rng.randrange(1, len(word) - 1)
    return rng.choice([word[:k] + word[k + 1:], word[:k] + word[k] + word[k:],
                       word[:k] + word[k + 1] + word[k] + word[k + 2:]])


def synthetic_utterances(entries: list[DirectoryEntry], count: int,
                         rng: random.Random) -> list[dict]:
    """The labelled set's shapes, aimed at random entries; `expected` is the entry aimed at."""
    shapes = []
    for _ in range(count):
        e = rng.choice(entries)
        words_ext = " ".join(DIGITS[int(d)] for d in e.extension)
        options = {"full name": f"put me through to {e.display_name} please",
                   "digits": f"extension {e.extension}", "words": words_ext}
        if int(e.extension) < 2000:     # a person
            first, last = e.display_name.split()
            options |= {"first name": f"can I speak to {first}", "surname": f"{last} please",
                        "misspelt": f"{misspell(first, rng)} {misspell(last, rng)}"}
        if e.aliases:
            options["alias"] = f"the {rng.choice(e.aliases)} department please"
        if e.display_name in PARAPHRASES:
            options["paraphrase"] = PARAPHRASES[e.display_name]
        shape = rng.choice(sorted(options))
        shapes.append({"text": options[shape], "expected": e.extension, "category": shape})
    return shapes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def evaluate(matcher: Matcher, rows: list[dict], verbose: bool = False) -> dict:
    """Wall-clock latency, and the thread's CPU time (what the matcher costs when the machine
    is shared: wall-clock tails on a loaded box are mostly waiting for a core)."""
    latencies, cpu, outcomes, by_category = [], [], Counter(), defaultdict(Counter)
    for row in rows:
        started, started_cpu = time.perf_counter(), time.thread_time()
        resolution: Resolution = matcher.resolve(row["text"])
        cpu.append((time.thread_time() - started_cpu) * 1000)
        latencies.append((time.perf_counter() - started) * 1000)
        got = resolution.match.extension if resolution.match else None
        outcome = "right" if got == row["expected"] else "asked" if got is None else "wrong"
        outcomes[outcome] += 1
        by_category[row.get("category", "-")][outcome] += 1
        if verbose and outcome != "right":
            print(f"    {outcome:5} {row['text']!r} expected {row['expected']} got {got} "
                  f"({resolution.verdict.value}: "
                  f"{[(c.extension, c.confidence) for c in resolution.candidates]})")
    return {"n": len(rows), **outcomes, "latencies": latencies, "cpu": cpu,
            "by_category": by_category}


def report(title: str, result: dict) -> None:
    n, lat = result["n"], result["latencies"]
    print(f"{title}: {n} utterances")
    print(f"  accuracy        {result.get('right', 0) / n:.3f} ({result.get('right', 0)}/{n})")
    print(f"  wrong transfers {result.get('wrong', 0)}")
    print(f"  asked again     {result.get('asked', 0)}")
    for name, values in (("wall", lat), ("cpu ", result["cpu"])):
        print(f"  resolve {name}    p50 {percentile(values, 0.5):.3f} ms, "
              f"p95 {percentile(values, 0.95):.3f} ms, max {max(values):.3f} ms")
    print("  by category     " + ", ".join(
        f"{name} {c['right']}/{sum(c.values())}" + (f" (wrong {c['wrong']})" if c["wrong"] else "")
        for name, c in sorted(result["by_category"].items())))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--utterances", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    entries, labelled, holdout = load_demo()
    matcher = Matcher(entries)
    matcher.resolve("warm up")
    report("Demo directory (12 entries), labelled set",
           evaluate(matcher, labelled, args.verbose))
    report("Demo directory, held-out set (written after tuning; its one miss led to a fix)",
           evaluate(matcher, holdout, args.verbose))

    rng = random.Random(args.seed)
    big = synthetic_directory(args.entries, rng)
    builds = []
    for _ in range(5):
        started = time.perf_counter()
        matcher = Matcher(big)
        builds.append((time.perf_counter() - started) * 1000)
    rows = synthetic_utterances(big, args.utterances, rng)
    result = evaluate(matcher, rows)
    report(f"Synthetic directory ({len(big)} entries, seed {args.seed}), cold cache", result)
    report("Same utterances again, warm word cache", evaluate(matcher, rows))
    people = Counter(e.display_name.split()[0] for e in big[len(DEPARTMENTS):])
    print(f"  index build     first {builds[0]:.1f} ms, then median "
          f"{statistics.median(builds[1:]):.1f} ms (word keys cached) for {len(big)} entries; "
          f"{sum(1 for c in people.values() if c > 1)} first names shared")
    print("  (synthetic labels are the entry aimed at; a first name or surname shared by several "
          "people, or a duplicate full name, is meant to be asked about)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
