"""Write agents/receptionist/data/common_words.txt: the most frequent English words of the
general language model inside the pocketsphinx wheel, most frequent first.

The receptionist's recogniser uses them as its "anything else" vocabulary (agents/receptionist/
lm.py, OTHER): a caller asking for someone not in the directory, or saying something else
entirely, is then heard as everyday words rather than forced onto the nearest directory name.
Run it again only if the pocketsphinx version changes (a few seconds):

    .venv/bin/python scripts/receptionist_common_words.py [--count 2000]
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "agents" / "receptionist" / "data" / \
    "common_words.txt"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    import pocketsphinx

    # NGramModel.write() crashes on this model (pocketsphinx 5.0), so the unigram probability
    # of every word of the bundled dictionary is asked one by one (about 2 s).
    model_dir = os.path.join(pocketsphinx.get_model_path(), "en-us")
    general = pocketsphinx.NGramModel.readfile(os.path.join(model_dir, "en-us.lm.bin"))
    unigrams: list[tuple[float, str]] = []
    with open(os.path.join(model_dir, "cmudict-en-us.dict"), encoding="utf-8") as f:
        for line in f:
            word = line.split(maxsplit=1)[0]
            if re.fullmatch(r"[a-z]+", word):
                unigrams.append((general.prob([word]), word))
    unigrams.sort(key=lambda pw: -pw[0])
    words = [w for _, w in unigrams[:args.count]]
    OUT.write_text("# Most frequent words of pocketsphinx's general English model, most frequent "
                   "first\n# (scripts/receptionist_common_words.py).\n" + "\n".join(words) + "\n")
    print(f"{len(words)} words -> {OUT}")


if __name__ == "__main__":
    main()
