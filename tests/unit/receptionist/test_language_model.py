"""The per-directory language model: corpus, ARPA output, pronunciations."""

from __future__ import annotations

import math
import re
from collections import defaultdict

import pytest

from agents.receptionist import lexicon, lm
from agents.receptionist.bench import DEMO_DIRECTORY
from agents.receptionist.stt import ModelBuilder, Transcript, build_model, directory_key
from smartalex.domain.directory import DirectoryEntry


def parse_arpa(text: str) -> tuple[dict, dict, dict]:
    """Header counts, unigrams {w: (logp, backoff)}, bigrams {(h, w): logp}; checks layout."""
    lines = text.splitlines()
    assert lines[0] == "\\data\\" and lines[-1] == "\\end\\"
    counts = {int(m[1]): int(m[2]) for m in re.finditer(r"^ngram (\d)=(\d+)$", text, re.M)}
    unigrams, bigrams, section = {}, {}, None
    for line in lines:
        if line in ("\\1-grams:", "\\2-grams:"):
            section = line
        elif not line or line.startswith("\\") or line.startswith("ngram"):
            continue
        elif section == "\\1-grams:":
            parts = line.split()
            assert len(parts) in (2, 3), line
            unigrams[parts[1]] = (float(parts[0]), float(parts[2]) if len(parts) == 3 else 0.0)
        elif section == "\\2-grams:":
            prob, h, w = line.split()
            bigrams[(h, w)] = float(prob)
    assert counts == {1: len(unigrams), 2: len(bigrams)}
    return counts, unigrams, bigrams


EVERYDAY = {w: 1.0 for w in lm.common_words()[:60]}


@pytest.fixture(scope="module", params=["directory only", "with everyday words"])
def arpa(request) -> str:
    if request.param == "directory only":
        return lm.estimate(lm.corpus(DEMO_DIRECTORY)).to_arpa()
    return lm.estimate(lm.corpus(DEMO_DIRECTORY, other_weight=2)).expand(
        lm.OTHER, EVERYDAY).to_arpa()


def test_arpa_header_counts_match_the_sections(arpa):
    counts, unigrams, bigrams = parse_arpa(arpa)
    assert counts[1] > 50 and counts[2] > counts[1]
    assert unigrams["<s>"][0] == -99.0 and "</s>" in unigrams


def test_every_bigram_uses_known_words(arpa):
    _, unigrams, bigrams = parse_arpa(arpa)
    assert all(h in unigrams and w in unigrams for h, w in bigrams)


def test_every_history_is_a_probability_distribution(arpa):
    _, unigrams, bigrams = parse_arpa(arpa)
    successors = defaultdict(dict)
    for (h, w), p in bigrams.items():
        successors[h][w] = p
    words = [w for w in unigrams if w != "<s>"]
    for h in ["<s>", *words]:
        if h == "</s>":
            continue
        total = sum(10 ** successors[h][w] if w in successors[h]
                    else 10 ** (unigrams[h][1] + unigrams[w][0]) for w in words)
        assert math.isclose(total, 1.0, rel_tol=1e-4), (h, total)
    assert math.isclose(sum(10 ** unigrams[w][0] for w in words), 1.0, rel_tol=1e-4)


def test_requests_are_likelier_than_word_salad():
    model = lm.estimate(lm.corpus(DEMO_DIRECTORY))

    def logprob(sentence: str) -> float:
        tokens = ["<s>", *sentence.split(), "</s>"]
        return sum(math.log10(model.prob(w, h)) for h, w in zip(tokens, tokens[1:]))

    assert logprob("put me through to billing") > logprob("billing to through me put") + 5


def test_someone_not_in_the_directory_is_heard_as_everyday_words():
    with_others = lm.estimate(lm.corpus(DEMO_DIRECTORY, other_weight=3)).expand(
        lm.OTHER, dict.fromkeys(["michael", "brown", "opening", "hours"], 1.0))
    assert {"michael", "brown"} <= with_others.vocabulary and lm.OTHER not in with_others.vocabulary

    def logprob(model, sentence: str) -> float:
        tokens = ["<s>", *sentence.split(), "</s>"]
        return sum(math.log10(model.prob(w, h)) for h, w in zip(tokens, tokens[1:]))

    # with four everyday words, asking for one of them is as plausible as asking for Sarah
    assert math.isclose(logprob(with_others, "can i speak to michael"),
                        logprob(with_others, "can i speak to sarah"), abs_tol=0.5)


def test_pocketsphinx_loads_the_model(tmp_path):
    import pocketsphinx

    model = build_model(DEMO_DIRECTORY, str(tmp_path))
    decoder = pocketsphinx.Decoder(hmm=f"{pocketsphinx.get_model_path()}/en-us/en-us",
                                   lm=model.lm_path, dict=model.dict_path, loglevel="FATAL")
    assert decoder.lookup_word("murphy") is not None
    assert {"sarah", "aoife", "billing", "h", "r", "extension", "five"} <= model.vocabulary
    assert model.dropped == ()


def test_corpus_names_each_entry_in_several_ways():
    targets = lm.spoken_targets(DirectoryEntry("250", "Aoife Byrne", ("HR", "human resources")))
    assert ["aoife", "byrne"] in targets and ["aoife"] in targets and ["byrne"] in targets
    assert ["h", "r"] in targets and ["human", "resources"] in targets
    assert ["extension", "two", "five", "zero"] in targets


def test_words_spell_out_digits_and_acronyms():
    assert lm.words("IT & HR, Team 2") == ["i", "t", "and", "h", "r", "team", "two"]
    assert lm.words("James O'Connor") == ["james", "o'connor"]


def test_spoken_digits_become_numbers():
    assert lm.digits_in("extension two one five please") == "extension 215 please"
    assert lm.digits_in("extension five") == "extension 5"
    assert lm.digits_in("the first one") == "the first one"


def test_spelled_acronyms_are_joined_back():
    known = lm.acronyms(DEMO_DIRECTORY)
    assert known == {"h r": "HR", "i t": "IT"}
    assert lm.join_acronyms("h r please", known) == "HR please"
    assert lm.join_acronyms("i think so", known) == "i think so"


def test_names_missing_from_the_dictionary_get_a_pronunciation_from_espeak():
    assert not lexicon.cmudict().get("aoife"), "pick a name the bundled dictionary lacks"
    assert lexicon.pronunciations("aoife") == (("IY", "F", "AH"),)


def test_ipa_maps_to_arpabet():
    assert lexicon.ipa_to_arpabet("pɹˈɪjə") == ("P", "R", "IH", "Y", "AH")
    assert lexicon.ipa_to_arpabet("tʃˈɛn") == ("CH", "EH", "N")
    assert lexicon.ipa_to_arpabet("nˌækɐmjˈʊɹɹə")[-3:] == ("UH", "R", "AH")   # no doubled R


def test_models_are_cached_by_directory_content():
    builder = ModelBuilder()
    first = builder.build(DEMO_DIRECTORY)
    assert builder.build(tuple(reversed(DEMO_DIRECTORY))) is first
    assert directory_key(DEMO_DIRECTORY[:2]) != first.key


def test_unsure_words_are_left_out_and_a_number_goes_whole():
    heard = Transcript((("speak", 0.9), ("to", 0.3), ("aoife", 0.01), ("two", 0.9),
                        ("one", 0.1), ("five", 0.9), ("please", 0.8)), 1.0, 0.1)
    assert heard.text == "speak to aoife two one five please"
    assert heard.confident_text(0.3) == "speak to please"


def test_speech_service_builds_once_per_directory_and_decodes_in_workers(speech):
    import asyncio

    from agents.receptionist.stt import SpeechService

    async def scenario():
        service = SpeechService(processes=1, cache_size=1, keep_files=0.0)
        try:
            first, again = await asyncio.gather(service.model(DEMO_DIRECTORY),
                                                service.model(DEMO_DIRECTORY))
            assert first is again
            heard = await service.transcribe(first, speech("Michael Chen please"))
            other = await service.model(DEMO_DIRECTORY[:3])
            return first, heard, other
        finally:
            service.close()

    first, heard, other = asyncio.run(scenario())
    assert "michael chen" in heard.text
    assert other.key != first.key
    import os
    assert not os.path.exists(first.lm_path)      # evicted: past the cache size and unused
