"""Spoken forms as a speech recogniser writes them, normalised and matched by the shared recognisers."""

from __future__ import annotations

import pytest

from wardsafe.identifiers.spoken import Word, find_in_speech, join_phrases, normalise


def words(text: str) -> list[Word]:
    return [Word(t, float(i), i + 0.8) for i, t in enumerate(text.split())]


def hidden(text: str, **names: tuple[str, ...]) -> list[tuple[str, str]]:
    ws = words(text)
    return [(f.kind, " ".join(w.text for w in ws[f.first: f.last + 1])) for f in find_in_speech(ws, **names)]


@pytest.mark.parametrize(("said", "written"), [
    ("nine four three four seven six five nine one nine", "9434765919"),
    ("943, 476, 591, 9", "9434765919"),
    ("oh seven seven double oh nine hundred", "07700900"),
    ("the fourteenth of March nineteen sixty one", "14 March 1961"),
    ("March the 14th 1961", "14 March 1961"),
    ("2nd July '48", "2 July '48"),
    ("twenty-first of June two thousand and five", "21 June 2005"),
    ("on the first of May nineteen oh five", "on 1 May 1905"),
    ("triple three for one two", "333412"),
])
def test_spoken_forms_are_written(said: str, written: str) -> None:
    assert join_phrases(normalise(words(said)))[0] == written


def test_identifiers_in_speech_cover_their_whole_phrase() -> None:
    found = hidden("good morning mrs okafor can you confirm your date of birth the fourteenth of march "
                   "nineteen sixty one and your NHS number is 943, 476, 591, 9 thank you")
    assert found == [("NAME", "mrs okafor"),
                     ("DATE_OF_BIRTH", "the fourteenth of march nineteen sixty one"),
                     ("NHS_NUMBER", "943, 476, 591, 9")]


def test_partly_heard_numbers_and_dates_are_hidden_whole() -> None:
    # a digit misheard ("ten") still leaves a long number; a date without a year is still a date, and the
    # words said within 2 s after it go with it (a year misheard)
    assert hidden("it is four three ten one three four five five thanks") == [
        ("NUMBER", "four three ten one three four five five")]
    assert hidden("see you on the fourteenth of March then") == [("DATE", "the fourteenth of March then")]
    assert hidden("I went for one two days") == []  # three digits are not an identifier


def test_names_to_hide_and_to_keep() -> None:
    text = "Sarah Jones and doctor Patel and the nurse said hello to Sarah"
    found = hidden(text, hide_names=("Sam Patel",), keep_names=("Sarah Jones",))
    assert found == [("NAME", "doctor Patel")]


def test_a_title_word_after_the_or_your_is_a_role() -> None:
    # "the nurse looking after you" names nobody; "nurse Patel" and "Doctor Williams" do
    assert hidden("I am the nurse looking after you today") == []
    assert hidden("your doctor said so") == []
    assert hidden("ask nurse Patel and the Doctor Williams") == [("NAME", "nurse Patel"),
                                                                  ("NAME", "Doctor Williams")]


def test_misheard_forms_still_hide() -> None:
    # Whisper on synthetic speech: "no" and "low" for "oh", "on" for "of", an unknown first name
    assert hidden("is. No 7 7 double low. 9 double 1, 2, 3, 4. We will") == [
        ("PHONE", "No 7 7 double low. 9 double 1, 2, 3, 4.")]
    assert hidden("birth? Second on July 1948, lovely") == [("DATE", "Second on July 1948,")]
    assert hidden("name? Martyr Evans And your") == [("NAME", "Martyr Evans")]


def test_uncertain_words_next_to_an_identifier_are_hidden_with_it() -> None:
    # a day and month heard without a year: the next 2 s (the year, misheard) go with it
    ws = [Word(t, i * 0.5, i * 0.5 + 0.4) for i, t in enumerate(
        "born on the fourteenth of March I think the big one and then we went home".split())]
    found = find_in_speech(ws)
    assert [(f.kind, f.first, f.last) for f in found] == [("DATE", 2, 9)]  # "the fourteenth of March I think the big"
    # a word the recogniser was unsure of joins a neighbouring identifier; a common word only on the way to one
    ws = [Word("born", 0, 0.4), Word("21st", 0.5, 0.9), Word("October", 1.0, 1.4), Word("1970", 1.5, 1.9),
          Word("line.", 2.0, 2.4, 0.3), Word("and", 2.5, 2.9, 0.2), Word("home", 3.0, 3.4)]
    assert [(f.first, f.last) for f in find_in_speech(ws)] == [(1, 4)]
    sure = [Word(w.text, w.start_s, w.end_s) for w in ws]
    assert [(f.first, f.last) for f in find_in_speech(sure)] == [(1, 3)]
    ws = [Word(t, i * 0.5, i * 0.5 + 0.4, p) for i, (t, p) in enumerate(
        [("my", 0.8), ("name", 1.0), ("is", 0.6), ("Here", 0.02), ("a", 0.15), ("conference", 0.05), ("and", 0.7),
         ("one", 0.7)])]
    assert [(f.kind, f.first, f.last) for f in find_in_speech(ws)] == [("NAME", 3, 5)]


def test_a_name_answering_a_cue_is_hidden_however_it_was_heard() -> None:
    # after "name is" / "your name?" / "called", the words that follow are the name when capitalised or when
    # the recogniser was unsure of them (an unknown name comes out as odd words: "there Thompson")
    def cued(pairs: list[tuple[str, float]]) -> list[tuple[str, str]]:
        ws = [Word(t, i * 0.5, i * 0.5 + 0.4, p) for i, (t, p) in enumerate(pairs)]
        return [(f.kind, " ".join(w.text for w in ws[f.first: f.last + 1])) for f in find_in_speech(ws)]

    assert cued([("My", 0.99), ("name", 1.0), ("is", 1.0), ("there", 0.03), ("Thompson", 0.18), ("and", 0.53),
                 ("what", 0.96), ("is", 0.98), ("your", 0.97), ("date", 0.8)]) == [("NAME", "there Thompson")]
    assert cued([("check", 0.99), ("your", 0.99), ("name?", 1.0), ("Marguerite", 0.77), ("events?", 0.43),
                 ("And", 0.8), ("your", 0.94)]) == [("NAME", "Marguerite events?")]
    # ordinary words after the cue, said clearly, are left alone
    assert cued([("the", 0.9), ("name", 0.9), ("is", 0.9), ("on", 0.9), ("the", 0.9), ("letter.", 0.9)]) == []
    assert cued([("your", 0.9), ("name,", 0.9), ("please.", 0.9), ("Thank", 0.9), ("you.", 0.9)]) == []
    assert cued([("it", 0.9), ("is", 0.9), ("called", 0.9), ("the", 0.9), ("day", 0.9), ("room.", 0.9)]) == []
