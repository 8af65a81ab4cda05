"""Pronunciations for the recogniser's vocabulary, in the ARPAbet phones of pocketsphinx's
bundled English model.

Words come from the CMU dictionary shipped in the pocketsphinx wheel. Names it lacks ("Aoife",
"Priya") get a pronunciation from espeak-ng (`--ipa`) mapped to ARPAbet. (Acronyms never get
here as words: lm.words spells them out as letters, which the dictionary has.)
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess

from aws_lambda_powertools import Logger

logger = Logger(service="receptionist", child=True)

# IPA (as espeak-ng writes it for en-us) to ARPAbet; longest symbols first when matching.
_IPA = {
    "tʃ": "CH", "dʒ": "JH", "aɪ": "AY", "aʊ": "AW", "ɔɪ": "OY", "eɪ": "EY", "oʊ": "OW",
    "əʊ": "OW", "ɪɹ": "IH R", "ɛɹ": "EH R", "ʊɹ": "UH R", "ɑːɹ": "AA R", "ɔːɹ": "AO R",
    "iː": "IY", "uː": "UW", "ɑː": "AA", "ɔː": "AO", "ɜː": "ER", "ɪə": "IH R", "eə": "EH R",
    "ʊə": "UH R", "aɪə": "AY ER", "aʊə": "AW ER",
    "i": "IY", "ɪ": "IH", "ᵻ": "IH", "e": "EH", "ɛ": "EH", "æ": "AE", "a": "AE", "ɑ": "AA",
    "ɒ": "AA", "ɔ": "AO", "o": "OW", "ʊ": "UH", "u": "UW", "ʌ": "AH", "ə": "AH", "ɐ": "AH",
    "ɚ": "ER", "ɜ": "ER", "ɝ": "ER",
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "ɡ": "G", "f": "F", "v": "V",
    "θ": "TH", "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH", "ʒ": "ZH", "h": "HH", "x": "HH",
    "ç": "HH", "m": "M", "n": "N", "ŋ": "NG", "l": "L", "ɫ": "L", "ɬ": "L", "ɹ": "R",
    "r": "R", "ɾ": "T", "j": "Y", "w": "W", "ʍ": "W",
}
_IPA_KEYS = sorted(_IPA, key=len, reverse=True)
_IGNORED = set("ˈˌː.‿ʔ-_ ̩̃ʲ'")


def _model_dir() -> str:
    import pocketsphinx

    return os.path.join(pocketsphinx.get_model_path(), "en-us")


@functools.cache
def cmudict() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The bundled CMU dictionary: word to its pronunciations (loaded once, about 0.3 s)."""
    entries: dict[str, list[tuple[str, ...]]] = {}
    with open(os.path.join(_model_dir(), "cmudict-en-us.dict"), encoding="utf-8") as f:
        for line in f:
            word, *phones = line.split()
            if "#" in phones:  # trailing comments in some entries
                phones = phones[:phones.index("#")]
            entries.setdefault(re.sub(r"\(\d+\)$", "", word), []).append(tuple(phones))
    return {word: tuple(prons) for word, prons in entries.items()}


def ipa_to_arpabet(ipa: str) -> tuple[str, ...]:
    """Map one word's IPA (espeak-ng's) to ARPAbet; unknown symbols are skipped."""
    phones: list[str] = []
    i = 0
    while i < len(ipa):
        if ipa[i] in _IGNORED:
            i += 1
            continue
        for key in _IPA_KEYS:
            if ipa.startswith(key, i):
                phones.extend(_IPA[key].split())
                i += len(key)
                break
        else:
            i += 1
    # espeak-ng doubles some consonants across syllables ("ʊɹɹə"); say them once.
    return tuple(p for j, p in enumerate(phones) if j == 0 or p != phones[j - 1])


@functools.lru_cache(maxsize=4096)
def guess(word: str) -> tuple[str, ...]:
    """A pronunciation for a word missing from the dictionary, from espeak-ng; () if none."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return ()
    try:
        out = subprocess.run([espeak, "-q", "--ipa", "-v", "en-us", "--stdin"],
                             input=word.encode(), capture_output=True, timeout=5, check=True)
    except (subprocess.SubprocessError, OSError):
        return ()
    return ipa_to_arpabet(out.stdout.decode("utf-8", errors="replace").strip())


def pronunciations(word: str) -> tuple[tuple[str, ...], ...]:
    """Every pronunciation of a lower-case word: the dictionary's, else a guess from espeak-ng;
    () when none can be found (the word is then left out of the language model)."""
    prons = list(cmudict().get(word, ()))
    if not prons and re.fullmatch(r"[a-z']+", word):
        guessed = guess(word)
        if guessed:
            logger.debug("Guessed a pronunciation",
                         extra={"word": word, "phones": " ".join(guessed)})
            prons.append(guessed)
    return tuple(prons)
