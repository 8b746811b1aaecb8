"""Synthetic multi-turn chat corpus for reprise-tiny (pure Python 3.10+, no dependencies).

A conversation is a list of {"role", "content"} messages (system / user / assistant), rendered with
ChatML: `<|im_start|>{role}\n{content}<|im_end|>\n`. It teaches:
  * recall  - the user states facts (name, age, city, colour, number, date, pet, job, codes, ...)
              early; many turns of other talk follow; a question about one fact is answered exactly;
  * arithmetic - two-digit addition and subtraction, always answered as "47 + 38 = 85.";
  * system prompts - persona name, user facts given by the system, UPPERCASE replies, sign-offs;
  * small talk - greetings, moods, jokes, stories, little essays, thanks, goodbyes.

Held-out split (for evaluation): separate phrasing templates (the second element of every bank) and
separate entities (`pools.is_heldout`), plus 10% of the two-digit operand pairs (`pair_heldout`).
Everything is driven by an explicit `random.Random`, so a seed fixes the output.

CLI (local smoke test):  python3 tools/model/data.py --show 2 --speed 200
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

try:
    from . import phrasing as PH  # type: ignore
    from . import pools as P  # type: ignore
except ImportError:  # run as a script
    import phrasing as PH  # type: ignore
    import pools as P  # type: ignore

TRAIN, EVAL = "train", "eval"


# ----------------------------------------------------------------------------- entity sampling
def pick(rng: random.Random, items: list[str], split: str) -> str:
    want = split == EVAL
    for _ in range(1000):
        x = rng.choice(items)
        if P.is_heldout(x) == want:
            return x
    raise RuntimeError("no entity for split")


def syllable_word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(P.ONSETS) + rng.choice(P.VOWELS) + rng.choice(P.CODAS) for _ in range(n))


_REAL_WORDS: list[str] = []


def real_word(rng: random.Random) -> str:
    """A training-split English word (words.txt). Revision 3d: stage 3c still garbled real held-out words
    ("burritos" -> "purrit"); syllable-built words do not split into tokens the way real words do."""
    if not _REAL_WORDS:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "words.txt")
        with open(path, encoding="utf-8") as f:
            _REAL_WORDS.extend(w for w in (x.strip() for x in f) if w and not w.startswith("#") and not P.is_heldout(w))
    return rng.choice(_REAL_WORDS)


def made_up(rng: random.Random, split: str, kind: str) -> str:
    if split == TRAIN and kind == "word" and rng.random() < 0.5:  # revision 3d, training only
        return real_word(rng)
    want = split == EVAL
    for _ in range(1000):
        w = syllable_word(rng, rng.choice([1, 2, 2, 3] if kind != "word" else [2, 2, 3]))
        if kind == "city":
            w = w + rng.choice(["", "", "ton", "ville", "burg", "port", "field", "ford", "mouth", "haven"])
        if kind in ("name", "city"):
            w = w.capitalize()
        if 3 <= len(w) <= 14 and P.is_heldout(w) == want:
            return w
    raise RuntimeError("no made-up entity")


def a_name(rng, split):
    return pick(rng, P.FIRST_NAMES, split) if rng.random() < 0.5 else made_up(rng, split, "name")


def a_city(rng, split):
    if split == TRAIN and rng.random() < 0.2:  # revision 3f, training only
        return multi_city(rng, split) if rng.random() < 0.6 else _cap_word(rng)
    return pick(rng, P.CITIES, split) if rng.random() < 0.6 else made_up(rng, split, "city")


def a_word(rng, split):
    return pick(rng, P.WORDS, split) if rng.random() < 0.5 else made_up(rng, split, "word")


def fix_articles(text: str) -> str:
    return re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", lambda m: m.group(1) + "n ", text)


COLOUR_MOD = ["dark", "light", "pale", "bright", "deep", "soft", "dusty", "electric", "sky", "forest", "sea", "warm"]
FOOD_MOD = ["spicy", "homemade", "grilled", "vegan", "cheesy", "baked", "fresh", "crispy", "my mum's"]
FOOD_KIND = ["stew", "pie", "soup", "curry", "salad", "noodles", "dumplings", "cake"]
JOB_MOD = ["senior", "junior", "freelance", "trainee", "head", "part-time", "chief", "self-employed"]
JOB_KIND = ["technician", "specialist", "engineer", "consultant", "inspector", "designer", "operator"]
HOBBY_FRAME = ["collecting {w}s", "playing {W}", "building {w} models", "drawing {w}s", "learning {W}", "watching {w}s"]


# Revision 3: closed pools (colours, animals, events, jobs) are small, so with held-out entities the model
# learnt to pick from the training list instead of copying. Made-up values (training only; every
# `split == TRAIN` test comes before a draw, so held-out dialogs are unchanged) force copying.
def a_colour(rng, split):
    if split == TRAIN and rng.random() < 0.2:  # revision 3f
        return multi_colour(rng, split)
    if split == TRAIN and rng.random() < 0.3:
        return rng.choice(COLOUR_MOD) + " " + pick(rng, P.COLOURS, split)
    if split == TRAIN and rng.random() < 0.4:
        return made_up(rng, split, "word")
    return pick(rng, P.COLOURS, split)


def an_animal(rng, split):
    if split == TRAIN and rng.random() < 0.4:
        return made_up(rng, split, "word")
    return pick(rng, P.ANIMALS, split)


EVENT_KIND = ["appointment", "meeting", "lesson", "class", "session", "call", "trip", "practice", "check-up"]


def an_event(rng, split):
    if split == TRAIN and rng.random() < 0.4:
        w = made_up(rng, split, "word")
        return w if rng.random() < 0.4 else w + " " + rng.choice(EVENT_KIND)
    return pick(rng, P.EVENTS, split)


def a_code_key(rng, split):
    if split == TRAIN and rng.random() < 0.3:
        return made_up(rng, split, "word") + " " + rng.choice(["code", "number", "PIN", "ID"])
    return pick(rng, P.CODE_KEYS, split)


def a_food(rng, split):
    if split == TRAIN and rng.random() < 0.25:  # revision 3f
        return multi_food(rng, split)
    r = rng.random()
    if split == TRAIN and r < 0.3:
        return rng.choice(FOOD_MOD) + " " + pick(rng, P.FOODS, split)
    if split == TRAIN and r < 0.5:
        return made_up(rng, split, "word") + " " + rng.choice(FOOD_KIND)
    return pick(rng, P.FOODS, split)


def a_job(rng, split):
    r = rng.random()
    if split == TRAIN and r < 0.2:
        return rng.choice(JOB_MOD) + " " + pick(rng, P.JOBS, split)
    if split == TRAIN and r < 0.35:
        return made_up(rng, split, "word") + " " + rng.choice(JOB_KIND)
    if split == TRAIN and r < 0.5:
        return made_up(rng, split, "word") + rng.choice(["ist", "er", "ian", ""])
    return pick(rng, P.JOBS, split)


# revision 3f (training only): multi-word values of every kind, so that a value is copied to its end. Stage 3d cut
# held-out hobbies after their first word ("making" for a two-word hobby). A composed value that happens to be
# a held-out entity (crc32 rule) is drawn again.
HOBBY_VERB = ["making", "baking", "restoring", "building", "fixing", "growing", "collecting", "painting", "carving",
              "knitting", "sewing", "brewing", "writing", "reading", "playing", "watching", "learning", "repairing",
              "drawing", "sketching", "photographing", "training", "racing", "flying", "designing", "cooking", "sorting",
              "decorating", "polishing", "folding", "studying", "feeding", "planting", "printing", "recording", "mending"]
HOBBY_ADJ = ["old", "tiny", "wooden", "vintage", "homemade", "model", "little", "rare", "paper", "giant", "antique",
             "small", "fancy", "broken", "wild", "local", "clay", "toy", "glass", "silly"]
CITY_FRAME = ["New {X}", "Port {X}", "San {X}", "{X} Bay", "{X} City", "Saint {X}", "{X} Springs", "Lake {X}",
              "{X} Falls", "Upper {X}", "{X} Heights", "Fort {X}", "{X} Beach", "North {X}", "East {X}", "Little {X}",
              "{X} Harbour", "{X} upon {Y}", "{X}-on-{Y}", "Mount {X}", "{X} Valley", "Las {X}", "El {X}", "{X} del {Y}"]
PET_TITLE = ["Mister", "Mrs", "Captain", "Sir", "Lady", "Lord", "Doctor", "Professor", "Little", "Big", "Baby", "Queen",
             "King", "Princess", "Uncle", "Auntie"]


def _plural(w: str) -> str:
    if w.endswith(("s", "ed", "ing", "'s")):
        return w
    if w.endswith(("x", "sh", "ch")):
        return w + "es"
    if w.endswith("y") and len(w) > 2 and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    return w + "s"


_HELD_POOL = {e for pool in (P.FIRST_NAMES, P.CITIES, P.COLOURS, P.ANIMALS, P.JOBS, P.FOODS, P.HOBBIES, P.WORDS)
              for e in pool if P.is_heldout(e)}


def _cap_word(rng) -> str:
    """A capitalised training word that is not a held-out pool entity ("Wade" and "Piers" are held-out names).
    Added after the stage-3f run: that run could draw these two as parts of city and pet names."""
    while True:
        w = real_word(rng).capitalize()
        if w not in _HELD_POOL:
            return w


def _a_word_any(rng, split):
    r = rng.random()
    if r < 0.45:
        return real_word(rng) if split == TRAIN else made_up(rng, split, "word")
    if r < 0.75:
        return pick(rng, P.WORDS, split)
    return made_up(rng, split, "word")


def _multi(rng, split, make):
    for _ in range(100):
        v = make()
        if split != TRAIN or not P.is_heldout(v):
            return v
    return v


def multi_hobby(rng, split):
    def make():
        w = _a_word_any(rng, split)
        r = rng.random()
        obj = _plural(w) if rng.random() < 0.6 else w
        if r < 0.45:
            return rng.choice(HOBBY_VERB) + " " + obj
        if r < 0.8:
            return rng.choice(HOBBY_VERB) + " " + rng.choice(HOBBY_ADJ) + " " + obj
        w2 = _a_word_any(rng, split)
        return rng.choice(HOBBY_VERB) + " " + rng.choice([w + " " + _plural(w2), obj + " and " + _plural(w2), obj + " with friends",
                                                          obj + " at home", obj + " in the park"])
    return _multi(rng, split, make)


def multi_food(rng, split):
    def make():
        a, b = pick(rng, P.FOODS, split), _a_word_any(rng, split)
        r = rng.random()
        if r < 0.3:
            return a + " and " + pick(rng, P.FOODS, split)
        if r < 0.55:
            return a + " with " + b
        if r < 0.8:
            return b + " " + rng.choice(FOOD_KIND + ["pie", "tart", "bread", "pasta", "rice", "jam", "cake"])
        return rng.choice(FOOD_MOD) + " " + b + " " + rng.choice(FOOD_KIND)
    return _multi(rng, split, make)


def multi_city(rng, split):
    def make():
        def part():
            r = rng.random()
            return (made_up(rng, split, "city") if r < 0.5 else _cap_word(rng) if r < 0.8
                    else pick(rng, P.CITIES, split))
        return rng.choice(CITY_FRAME).replace("{X}", part()).replace("{Y}", part())
    return _multi(rng, split, make)


def multi_colour(rng, split):
    def make():
        r = rng.random()
        if r < 0.4:
            return _a_word_any(rng, split) + " " + pick(rng, P.COLOURS, split)
        if r < 0.7:
            return rng.choice(COLOUR_MOD) + " " + _a_word_any(rng, split)
        return pick(rng, P.COLOURS, split) + "-" + pick(rng, P.COLOURS, split)
    return _multi(rng, split, make)


def a_pet_name(rng, split):
    if split == TRAIN and rng.random() < 0.25:  # revision 3f, training only
        return _multi(rng, split, lambda: rng.choice(PET_TITLE) + " " + (a_name(rng, split) if rng.random() < 0.6
                                                                         else _cap_word(rng)))
    return a_name(rng, split)


def a_hobby(rng, split):
    if split == TRAIN and rng.random() < 0.3:  # revision 3f
        return multi_hobby(rng, split)
    if split == TRAIN and rng.random() < 0.45:
        w = made_up(rng, split, "word") if rng.random() < 0.5 else pick(rng, P.WORDS, split)
        return rng.choice(HOBBY_FRAME).replace("{w}", w).replace("{W}", w.capitalize())
    return pick(rng, P.HOBBIES, split)


def a_signoff(rng, split):
    if split == TRAIN and rng.random() < 0.5:
        w = made_up(rng, split, "word") if rng.random() < 0.5 else pick(rng, P.WORDS, split)
        return rng.choice(["{W}!", "{W} forever!", "Stay {w}!", "Go {w}!", "Long live the {w}!", "{W} time!"]).replace(
            "{w}", w).replace("{W}", w.capitalize())
    return pick(rng, P.SIGNOFFS, split)


def article(noun: str) -> str:
    return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


def a_number(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        return str(rng.randint(0, 99))
    if r < 0.8:
        return str(rng.randint(100, 999))
    return str(rng.randint(1000, 99999))


def a_code(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return str(rng.randint(1, 9999))
    if r < 0.75:
        return rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + str(rng.randint(1, 999))
    if r < 0.9:
        return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + str(rng.randint(10, 9999))
    return str(rng.randint(10, 99)) + rng.choice("ABCDEFGH")


def a_date(rng: random.Random) -> str:
    m, d = rng.choice(P.MONTHS), rng.randint(1, 28 if rng.random() < 0.5 else 31)
    r = rng.random()
    if r < 0.55:
        return f"{m} {d}"
    if r < 0.85:
        return f"{d} {m}"
    suf = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{m} {d}{suf}"


def a_time(rng: random.Random) -> str:
    h = rng.randint(1, 12)
    mm = rng.choice(["", "", ":00", ":15", ":30", ":45", ":10", ":20", ":40", ":50"])
    return f"{h}{mm} {rng.choice(['am', 'pm'])}" if mm != "" or rng.random() < 0.7 else f"{h} o'clock"


# ----------------------------------------------------------------------------- facts
@dataclass
class FactType:
    key: str
    make: Callable[[random.Random, str], dict]  # -> slots, must include "v" (the exact answer span)
    statements: tuple[list[str], list[str]]
    questions: tuple[list[str], list[str]]
    answers: list[str]
    unknown: str  # noun phrase for "You haven't told me {unknown} yet."
    system: str = ""  # how a system prompt states it (third person), "" = never in system prompts


def _mk(**slots):
    return slots


FACTS: list[FactType] = [
    FactType(
        "name",
        lambda r, s: _mk(v=a_name(r, s)),
        ([
            "My name is {v}.", "I'm {v}.", "Call me {v}.", "You can call me {v}.", "I am {v}.",
            "The name's {v}.", "My name's {v}.", "People call me {v}.", "{v} here.", "This is {v}.",
            "Hi, I'm {v}.", "Name's {v}.", "My friends call me {v}.", "Most people know me as {v}.",
            "I usually go by {v}.", "Let me introduce myself, I'm {v}.", "I should introduce myself: my name is {v}.",
            "Nice to meet you, I'm {v}.", "My first name is {v}.", "Oh, and I'm {v}, by the way.",
            "Just so you know, my name is {v}.", "I'm called {v}.",
        ], [
            "Everyone knows me as {v}.", "I go by {v}.", "Allow me to introduce myself: I am {v}.",
            "Pleased to meet you, my name is {v}.",
        ]),
        ([
            "What is my name?", "What's my name?", "Do you remember my name?", "Who am I?",
            "Can you tell me my name?", "What did I say my name was?", "Remind me, what's my name?",
            "Do you know my name?", "What name did I give you?", "What's my name again?",
            "Sorry, what was my name?", "Tell me my name.", "What am I called?", "What do people call me?",
            "Do you remember what I'm called?", "Can you say my name?", "What did I tell you my name is?",
            "Repeat my name, please.", "Who did I say I am?", "Do you still know my name?",
        ], [
            "Remember what my name is?", "Say my name.", "Quick test: what is my name?", "What name do I go by?",
        ]),
        ["Your name is {v}.", "You told me your name is {v}.", "You're {v}.", "Your name is {v}!",
         "You said your name is {v}.", "You are {v}."],
        "your name", "The user's name is {v}.",
    ),
    FactType(
        "age",
        lambda r, s: _mk(v=str(r.randint(6, 99))),
        ([
            "I'm {v} years old.", "I am {v} years old.", "I just turned {v}.", "My age is {v}.",
            "I'm {v} now.", "I turned {v} last month.", "I'm {v} years of age.", "I'll be honest, I'm {v}.",
            "I recently turned {v}.", "I'm {v}, if you're wondering about my age.", "As for my age, I'm {v}.",
            "I'm {v} years old, believe it or not.",
        ], [
            "I turned {v} this year.", "I'm {v} years old now.", "My age? I'm {v}.",
        ]),
        ([
            "How old am I?", "What is my age?", "Do you remember how old I am?", "What age did I tell you?",
            "How old did I say I was?", "What's my age?", "Tell me my age.", "Remind me how old I am.",
            "Do you know my age?", "What age am I?", "Can you recall how old I am?", "How many years old did I say I am?",
        ], [
            "How many years old am I?", "Remind me of my age.", "Can you recall my age?",
        ]),
        ["You are {v} years old.", "You're {v}.", "You told me you're {v} years old.", "You're {v} years old."],
        "your age", "The user is {v} years old.",
    ),
    FactType(
        "city",
        lambda r, s: _mk(v=a_city(r, s)),
        ([
            "I live in {v}.", "I live in {v} now.", "My home is in {v}.", "These days I live in {v}.",
            "I've been living in {v} for a few years.", "I moved to {v} recently.", "I'm living in {v}.",
            "My flat is in {v}.", "Right now I live in {v}.", "I live in {v}, actually.", "I'm based in {v}.",
            "Home is {v} for me.", "I currently live in {v}.", "My house is in {v}.", "I reside in {v}.",
        ], [
            "Home for me is {v}.", "I'm currently based in {v}.", "At the moment I live in {v}.",
        ]),
        ([
            "Where do I live?", "Which city do I live in?", "What city do I live in?",
            "Do you remember where I live?", "Where is my home?", "Where do I live again?",
            "Can you tell me where I live?", "What city am I based in?", "Where is my house?",
            "Where did I tell you I live?", "In which city do I live?", "Which city is my home?",
        ], [
            "In which city am I living?", "Where did I say I live?", "What's the city I live in?",
        ]),
        ["You live in {v}.", "You told me you live in {v}.", "Your home is in {v}.", "You live in {v}!"],
        "where you live", "The user lives in {v}.",
    ),
    FactType(
        "hometown",
        lambda r, s: _mk(v=a_city(r, s)),
        ([
            "I was born in {v}.", "I grew up in {v}.", "My hometown is {v}.", "I'm originally from {v}.",
            "I come from {v}.", "I was born and raised in {v}.", "I was raised in {v}.", "Originally, I come from {v}.",
            "My home town is {v}.", "I spent my childhood in {v}.",
        ], [
            "{v} is where I was born.", "I was born and grew up in {v}.", "My roots are in {v}, where I was born.",
        ]),
        ([
            "Where was I born?", "What is my hometown?", "Where did I grow up?", "Which city am I originally from?",
            "Where am I from originally?", "What's my hometown?", "What's my home town?", "Where do I come from?",
            "Which city was I born in?", "Where was I raised?", "Do you remember where I was born?",
        ], [
            "Where do I come from originally?", "What's the name of my home town?", "In which city was I born?",
        ]),
        ["You were born in {v}.", "Your hometown is {v}.", "You're originally from {v}.", "You come from {v}."],
        "where you were born", "The user was born in {v}.",
    ),
    FactType(
        "colour",
        lambda r, s: _mk(v=a_colour(r, s)),
        ([
            "My favourite colour is {v}.", "My favorite color is {v}.", "I love the colour {v}.",
            "I really like {v}, it's my favourite colour.", "My favourite color is {v}.",
            "The colour I love most is {v}.", "I adore the color {v}.", "I'm a big fan of {v}, it's my favourite colour.",
            "The colour I like best is {v}.", "My favourite colour has always been {v}.", "My best colour is {v}.",
        ], [
            "Nothing beats {v} for me, it's my favourite colour.", "If I had to pick a favourite colour, it would be {v}.",
            "The color I love most is {v}.",
        ]),
        ([
            "What's my favourite colour?", "What is my favorite color?", "Which colour do I like best?",
            "Do you remember my favourite colour?", "What colour do I love?", "What's my favorite color?",
            "Which color do I love?", "Which colour did I say is my favourite?", "Tell me my favourite colour.",
            "What colour do I like most?",
        ], [
            "Which color did I say I love?", "What colour is my favourite?", "Name my favourite colour.",
        ]),
        ["Your favourite colour is {v}.", "You said your favourite colour is {v}.", "You love {v}.",
         "Your favorite color is {v}."],
        "your favourite colour", "The user's favourite colour is {v}.",
    ),
    FactType(
        "number",
        lambda r, s: _mk(v=a_number(r)),
        ([
            "My lucky number is {v}.", "My lucky number has always been {v}.", "{v} is my lucky number.",
            "I consider {v} my lucky number.", "My lucky number? It's {v}.", "For me, the lucky number is {v}.",
            "The number that brings me luck is {v}.", "{v} brings me luck, it's my lucky number.",
        ], [
            "My lucky number happens to be {v}.", "The number {v} is my lucky number.",
        ]),
        ([
            "What's my lucky number?", "What is my lucky number?", "Do you remember my lucky number?",
            "Which number is my lucky number?", "What was my lucky number?", "Tell me my lucky number.",
            "Which number brings me luck?", "What number did I say brings me luck?",
        ], [
            "Recall my lucky number, please.", "Which is my lucky number?", "My lucky number, what was it?",
        ]),
        ["Your lucky number is {v}.", "It's {v}.", "You told me your lucky number is {v}.", "Your lucky number is {v}!"],
        "your lucky number", "The user's lucky number is {v}.",
    ),
    FactType(
        "code",
        lambda r, s: _mk(k=a_code_key(r, s), v=a_code(r)),
        ([
            "My {k} is {v}.", "Please remember that my {k} is {v}.", "Note this down: my {k} is {v}.",
            "Just so you know, my {k} is {v}.", "My {k} is {v}, don't forget it.", "I need you to remember my {k}: {v}.",
            "Keep this in mind, my {k} is {v}.", "The {k} I got is {v}.",
        ], [
            "For the record, my {k} is {v}.", "Remember my {k}, it's {v}.",
        ]),
        ([
            "What's my {k}?", "What is my {k}?", "Do you remember my {k}?", "Can you tell me my {k}?",
            "What did I say my {k} was?", "Remind me of my {k}.", "I forgot my {k}, what was it?",
            "Which {k} did I give you?", "What {k} did I tell you?",
        ], [
            "Could you repeat my {k}?", "What was my {k} again?", "Tell me my {k}.",
        ]),
        ["Your {k} is {v}.", "You told me your {k} is {v}.", "It's {v}.", "Your {k} is {v}!"],
        "your {k}", "The user's {k} is {v}.",
    ),
    FactType(
        "birthday",
        lambda r, s: _mk(v=a_date(r)),
        ([
            "My birthday is on {v}.", "My birthday is {v}.", "I was born on {v}.",
            "I celebrate my birthday on {v}.", "My birthday's on {v}.", "My birthday falls on {v}.",
            "{v} is my birthday.", "Mark {v} down as my birthday.",
        ], [
            "I always celebrate my birthday on {v}.", "My birthday? It's on {v}.",
        ]),
        ([
            "When is my birthday?", "What's my birthday?", "Do you remember when my birthday is?",
            "What date is my birthday?", "When's my birthday?", "When do I celebrate my birthday?",
            "What day is my birthday on?", "When was I born?",
        ], [
            "On what day is my birthday?", "Which date did I say is my birthday?", "My birthday, when is it?",
        ]),
        ["Your birthday is on {v}.", "It's on {v}.", "You told me your birthday is on {v}.", "Your birthday is {v}."],
        "your birthday", "The user's birthday is on {v}.",
    ),
    FactType(
        "pet",
        lambda r, s: _mk(a=an_animal(r, s), v=a_pet_name(r, s)),
        ([
            "I have a {a} named {v}.", "My {a} is called {v}.", "I've got a {a} called {v}.",
            "My pet {a}'s name is {v}.", "I have a pet {a}, her name is {v}.", "I have a pet {a}, his name is {v}.",
            "Our {a} is named {v}.", "We adopted a {a} and named it {v}.", "{v} is the name of my {a}.",
        ], [
            "My little {a} is called {v}.", "I named my {a} {v}.",
        ]),
        ([
            "What's my pet's name?", "What is my {a} called?", "What's the name of my pet?",
            "Do you remember my pet's name?", "What's my {a}'s name?", "What did I say my {a} was called?",
            "What did I name my {a}?", "What is my pet called?", "Who is my {a}?",
        ], [
            "Remind me what my pet is called.", "What name did I give my {a}?", "My {a}, what's it called?",
        ]),
        ["Your {a} is called {v}.", "Your pet's name is {v}.", "Your {a}'s name is {v}.", "Your {a} is named {v}."],
        "your pet's name", "",
    ),
    FactType(
        "pettype",
        lambda r, s: _mk(v=an_animal(r, s)),
        ([
            "I have a pet {v}.", "I own a {v}.", "I've got a pet {v} at home.", "I keep a {v} as a pet.",
            "My pet is a {v}.", "There's a pet {v} living with me.",
        ], [
            "At home I look after my pet, a {v}.", "I own a pet {v}.",
        ]),
        ([
            "What kind of pet do I have?", "What animal is my pet?", "What pet do I have?",
            "Do you remember what pet I have?", "Which animal do I own?", "What sort of pet do I own?",
        ], [
            "What animal do I keep as a pet?", "Which kind of animal is my pet?",
        ]),
        ["You have a pet {v}.", "Your pet is a {v}.", "You have a {v}."],
        "what pet you have", "The user has a pet {v}.",
    ),
    FactType(
        "job",
        lambda r, s: _mk(v=a_job(r, s)),
        ([
            "I work as a {v}.", "I'm a {v}.", "I am a {v} by profession.", "My job? I'm a {v}.",
            "I've worked as a {v} for years.", "For a living, I'm a {v}.", "I'm a {v} at a small company.",
            "By trade I'm a {v}.", "My job is {v}.", "I earn my living as a {v}.", "My profession is {v}.",
        ], [
            "I make a living as a {v}.", "Professionally, I work as a {v}.",
        ]),
        ([
            "What do I do for a living?", "What's my job?", "What is my profession?", "Do you remember my job?",
            "What do I work as?", "What's my job again?", "What work do I do?", "How do I earn a living?",
            "What did I tell you about my job?",
        ], [
            "What did I say my job was?", "What's my profession?", "Remind me what I do for work.",
        ]),
        ["You work as a {v}.", "You're a {v}.", "You are a {v}.", "Your job is {v}."],
        "your job", "The user works as a {v}.",
    ),
    FactType(
        "food",
        lambda r, s: _mk(v=a_food(r, s)),
        ([
            "My favourite food is {v}.", "I love eating {v}.", "I could eat {v} every day.",
            "My favorite food is {v}.", "Nothing beats {v}, it's my favourite food.", "I'm crazy about {v}.",
            "The food I like most is {v}.", "My favourite dish is {v}.", "Give me {v} any day, it's my favourite food.",
        ], [
            "Nothing makes me happier than a plate of {v}, my favourite food.", "The dish I love most is {v}.",
        ]),
        ([
            "What's my favourite food?", "What food do I love?", "What do I like to eat most?",
            "What is my favorite food?", "Do you remember my favourite food?", "Which dish is my favourite?",
            "What's my favourite dish?", "What food did I say I love?",
        ], [
            "Name my favourite food.", "Which food do I love most?", "What dish did I say I love?",
        ]),
        ["Your favourite food is {v}.", "You love {v}.", "You said your favourite food is {v}.",
         "Your favorite food is {v}."],
        "your favourite food", "The user's favourite food is {v}.",
    ),
    FactType(
        "relation",
        lambda r, s: _mk(k=r.choice(P.RELATIONS), v=a_name(r, s)),
        ([
            "My {k}'s name is {v}.", "My {k} is called {v}.", "I have a {k} named {v}.",
            "My {k}, {v}, is visiting soon.", "You should know my {k} is {v}.", "{v} is my {k}.",
        ], [
            "My {k} goes by {v}.", "I have a {k} called {v}.",
        ]),
        ([
            "What's my {k}'s name?", "What is my {k} called?", "Who is my {k}?", "Do you remember my {k}'s name?",
            "What's the name of my {k}?", "What did I say my {k} is called?",
        ], [
            "Can you recall my {k}'s name?", "What name does my {k} have?",
        ]),
        ["Your {k}'s name is {v}.", "Your {k} is called {v}.", "Your {k} is {v}."],
        "your {k}'s name", "The user's {k} is called {v}.",
    ),
    FactType(
        "hobby",
        lambda r, s: _mk(v=a_hobby(r, s)),
        ([
            "My hobby is {v}.", "I enjoy {v} in my free time.", "In my spare time I like {v}.",
            "I'm really into {v}.", "My favourite hobby is {v}.", "I spend my weekends {v}.",
            "For fun, I love {v}.", "My favourite pastime is {v}.", "When I have time off, I love {v}.",
        ], [
            "What I do for fun is {v}.", "In my free time, my hobby is {v}.",
        ]),
        ([
            "What's my hobby?", "What do I do in my free time?", "What do I enjoy doing?",
            "What is my favourite hobby?", "Do you remember my hobby?", "What do I do for fun?",
            "How do I spend my spare time?", "What's my favourite pastime?",
        ], [
            "How do I like to spend my free time?", "What did I say I do for fun?", "Which hobby did I mention?",
        ]),
        ["Your hobby is {v}.", "You enjoy {v}.", "You like {v} in your free time."],
        "your hobby", "The user's hobby is {v}.",
    ),
    FactType(
        "appointment",
        lambda r, s: _mk(k=an_event(r, s), v=f"{r.choice(P.DAYS)} at {a_time(r)}"),
        ([
            "I have a {k} on {v}.", "My {k} is on {v}.", "Don't let me forget my {k} on {v}.",
            "I've got a {k} on {v}.", "Remember, my {k} is on {v}.", "My {k} is booked for {v}.",
        ], [
            "Please note my {k} on {v}.", "There's a {k} in my calendar on {v}.",
        ]),
        ([
            "When is my {k}?", "What time is my {k}?", "When did I say my {k} was?", "Do you remember when my {k} is?",
            "Remind me, when is my {k}?", "At what time is my {k}?",
        ], [
            "Remind me when my {k} is.", "When's my {k} again?",
        ]),
        ["Your {k} is on {v}.", "It's on {v}.", "You have a {k} on {v}."],
        "when your {k} is", "",
    ),
    FactType(
        "word",
        lambda r, s: _mk(v=a_word(r, s)),
        ([
            "The secret word is {v}.", "Remember this word for me: {v}.", "Our secret word is {v}.",
            "Please remember the word {v}.", "Here's a word to remember: {v}.", "Keep this word in mind: {v}.",
            "Memorise this word: {v}.", "The password for today is {v}.",
        ], [
            "I want you to remember the word {v}.", "Today's secret word is {v}.",
        ]),
        ([
            "What's the secret word?", "What word did I ask you to remember?", "What was the secret word?",
            "Do you remember the word I gave you?", "Which word did I tell you to remember?",
            "Can you repeat the word from earlier?", "What's the password?",
        ], [
            "Tell me the word I asked you to remember.", "Which secret word did I give you?",
        ]),
        ["The secret word is {v}.", "The word is {v}.", "You asked me to remember {v}.", "It's {v}."],
        "a secret word", "The secret word is {v}.",
    ),
]
GEN_S = ["My {key} is {v}.", "{v} is my {key}.", "My {key}? It's {v}.", "My {key} has always been {v}.",
         "I'd say my {key} is {v}.", "Oh, and my {key} is {v}.", "For the record, my {key} is {v}.",
         "If you ask me, my {key} is {v}.", "You should know that my {key} is {v}.", "Remember that my {key} is {v}.",
         "My {key} happens to be {v}.", "I want you to know my {key} is {v}.", "Fun fact: my {key} is {v}.",
         "Write this down: my {key} is {v}.", "Let me tell you my {key}: {v}.", "Just so you know, my {key} is {v}.",
         "Please remember my {key}: {v}.", "Here's something about me: my {key} is {v}."]
GEN_Q = ["What is my {key}?", "What's my {key}?", "Do you remember my {key}?", "Tell me my {key}.", "Remind me of my {key}.",
         "What did I say my {key} was?", "What was my {key} again?", "Can you recall my {key}?", "My {key}, what was it?",
         "I forgot my {key}. What was it?", "Which {key} did I mention?", "Do you know my {key}?", "What {key} did I tell you?",
         "Could you repeat my {key}?", "Say my {key}, please.", "Remind me, what's my {key}?", "Do you still know my {key}?",
         "What did I tell you my {key} is?", "Which {key} did I give you?", "Remember my {key}?", "Quick test: what's my {key}?"]
GEN_KEYS_S = {
    "name": ["name", "first name"], "age": ["age"], "city": ["home city", "current city", "city of residence"],
    "hometown": ["hometown", "home town", "birthplace", "place of birth"],
    "colour": ["favourite colour", "favorite color", "favourite color", "best colour", "preferred colour", "top colour"],
    "number": ["lucky number"], "code": ["{k}"], "birthday": ["birthday", "date of birth"],
    "pet": ["{a}'s name", "pet's name", "pet {a}'s name"], "food": ["favourite food", "favorite food", "favourite dish",
    "favorite dish", "favourite meal", "preferred food"], "relation": ["{k}'s name"],
    "hobby": ["hobby", "favourite hobby", "favourite pastime", "pastime"], "word": ["secret word", "password", "special word"],
}
GEN_KEYS_Q = dict(GEN_KEYS_S, city=["home city", "city", "current city"], pettype=["pet", "kind of pet", "pet animal"],
                  job=["job", "profession", "occupation", "line of work"], age=["age"])


def _add_generic():
    held = {t.lower() for f in FACTS for t in f.statements[1] + f.questions[1]}
    # a composed template must not contain a held-out sentence (minus its final punctuation) either
    cores = [t.rstrip(".?!") for t in held]
    gen = ((GEN_S + PH.STATE_FRAMES, GEN_KEYS_S, 0), (GEN_Q + PH.QUESTION_FRAMES, GEN_KEYS_Q, 1))
    for f in FACTS:
        extra = PH.EXTRA.get(f.key, ([], []))
        comp = PH.composed(f.key)
        for frames, keys, which in gen:
            bank = (f.statements, f.questions)[which][0]
            have = {t.lower() for t in bank}
            cand = [fr.replace("{key}", key) for key in keys.get(f.key, []) for fr in frames] + extra[which]
            for t in cand + [c for c in comp[which] if not any(h in c.lower() for h in cores)]:
                if t.lower() not in held and t.lower() not in have:
                    bank.append(t)
                    have.add(t.lower())


_add_generic()
FACT_BY_KEY = {f.key: f for f in FACTS}


def _build_3f() -> dict[str, list[str]]:
    """Revision 3f's statement templates per fact (phrasing.composed_3f), training split only: a template that
    equals or contains a held-out statement (minus its final punctuation) is dropped."""
    held = {t.lower() for f in FACTS for t in f.statements[1] + f.questions[1]}
    cores = [t.rstrip(".?!") for t in held]
    out = {}
    for f in FACTS:
        out[f.key] = [t for t in PH.composed_3f(f.key) if t.lower() not in held and not any(h in t.lower() for h in cores)]
    return out


STATE_3F = _build_3f()
# 'pettype' and 'pet' would contradict each other in one conversation; 'pet' also answers "what pet".
EXCLUSIVE = {("pet", "pettype")}


def fill(t: str, slots: dict) -> str:
    out = t
    for k, v in slots.items():
        out = out.replace("{" + k + "}", v)
    # a/an: "a {v}" where {v} starts with a vowel
    for noun_key in ("a", "v", "k"):
        if noun_key in slots:
            val = slots[noun_key]
            if val and val[0].lower() in "aeiou":
                out = out.replace("a " + val, "an " + val).replace("A " + val, "An " + val)
                out = out.replace("pet an " + val, "pet " + val)
    return out


def fill_plain(t: str, slots: dict) -> str:
    return fill(t, slots)


# ----------------------------------------------------------------------------- arithmetic
ADD_Q = ([
    "What is {a} + {b}?", "What's {a} plus {b}?", "{a} + {b} = ?", "Can you add {a} and {b}?",
    "Calculate {a} + {b}.", "How much is {a} plus {b}?", "{a}+{b}?", "Please compute {a} + {b}.",
    "What do you get if you add {a} and {b}?", "Quick maths: {a} + {b}?", "what is {a} plus {b}",
    "{a} plus {b}?", "Add {a} and {b}.", "What is the sum of {a} and {b}?", "Solve {a} + {b}.",
    "And {a} + {b}?", "What does {a} + {b} make?", "Can you help me with {a} + {b}?", "Work out {a} + {b}.",
    "I need the answer to {a} + {b}.", "{a} + {b}", "What's {a} and {b} added together?", "Compute {a}+{b}, please.",
    "How much is {a} + {b}?", "Could you calculate {a} plus {b}?", "Sum {a} and {b} for me.", "{a} + {b} equals what?",
    "Do you know what {a} + {b} is?", "Help me add {a} and {b}.",
], [
    "Help me with {a} + {b}, please.", "Could you work out {a} + {b} for me?", "What's the sum of {a} and {b}?",
    "I need {a} plus {b}.",
])
SUB_Q = ([
    "What is {a} - {b}?", "What's {a} minus {b}?", "{a} - {b} = ?", "Calculate {a} - {b}.",
    "How much is {a} minus {b}?", "{a}-{b}?", "Subtract {b} from {a}.", "Please compute {a} - {b}.",
    "What do you get if you take {b} away from {a}?", "Quick maths: {a} - {b}?", "what is {a} minus {b}",
    "{a} minus {b}?", "Solve {a} - {b}.", "And {a} - {b}?", "What is {b} subtracted from {a}?",
    "What does {a} - {b} make?", "Can you help me with {a} - {b}?", "Work out {a} - {b}.",
    "I need the answer to {a} - {b}.", "{a} - {b}", "What is {a} take away {b}?",
    "Compute {a}-{b}, please.", "How much is {a} - {b}?", "Could you calculate {a} minus {b}?", "Take {b} away from {a}.",
    "{a} - {b} equals what?", "Do you know what {a} - {b} is?", "Take {b} from {a}.", "If I have {a} and take away {b}, what is left?",
], [
    "Help me with {a} - {b}, please.", "Could you work out {a} - {b} for me?", "Take {b} from {a}, what's left?",
    "I need {a} minus {b}.",
])
ARITH_PREFIX = ["", "", "", "", "", "Sure! ", "That's easy: ", "Let me see. ", "Of course. ", "Okay: "]
ARITH_SUFFIX = ["", "", "", "", "", " Anything else?", " Happy to help.", " Easy one!"]
MUL_Q = ["What is {a} times {b}?", "What's {a} x {b}?", "Can you multiply {a} by {b}?", "What is {a} divided by {b}?",
         "What's the square root of {a}?"]
MUL_A = ["Sorry, I can only add and subtract numbers so far.", "I'm afraid I only know how to add and subtract.",
         "That's beyond me, I can only do addition and subtraction."]


def pair_heldout(a: int, op: str, b: int) -> bool:
    """10% of two-digit operand pairs are reserved for evaluation."""
    return 10 <= a <= 99 and 10 <= b <= 99 and zlib.crc32(f"{a}{op}{b}".encode()) % 10 == 0


def arith_pair(rng: random.Random, split: str, op: str) -> tuple[int, int]:
    while True:
        if split == EVAL or rng.random() < 0.8:
            a, b = rng.randint(10, 99), rng.randint(10, 99)
        else:
            a, b = rng.randint(0, 99), rng.randint(0, 99)
        if op == "-" and split == TRAIN and a < b and rng.random() < 0.6:
            a, b = b, a  # ~75% of subtractions have a non-negative result
        if pair_heldout(a, op, b) == (split == EVAL):
            return a, b


def arith_answer(a: int, op: str, b: int) -> str:
    c = a + b if op == "+" else a - b
    return f"{a} {op} {b} = {c}"


# ----------------------------------------------------------------------------- small talk
GREET_U = ([
    "Hi", "Hello!", "Hey there", "Good morning!", "Hiya", "Hello", "hi!", "Hey!", "Good evening.",
    "Good afternoon!", "Hi there!", "Yo!", "Hey, how's it going?", "Morning!", "hello there",
    "Greetings!", "Hi, hope you're well.",
], ["Howdy!", "Well hello!", "Hey hey!", "Heya."])
GREET_A = ["Hello! How can I help you today?", "Hi there! What's on your mind?", "Hey! Nice to hear from you.",
           "Hello! What would you like to talk about?", "Hi! How are you doing today?",
           "Good to see you! How can I help?", "Hello! I'm here and ready to chat.",
           "Hi! What can I do for you?", "Hey there! How is your day going?"]
HOWRU_U = ([
    "How are you?", "How are you doing?", "How's it going?", "How are you today?", "how are u",
    "Are you doing okay?", "How do you feel today?", "How's your day been?", "What's up?", "How have you been lately?",
    "How are things?", "Are you alright?", "How is everything with you?",
], ["How have you been?", "How are things with you?", "You doing alright?"])
HOWRU_A = ["I'm doing well, thank you for asking! How about you?", "I'm great, thanks! How are you?",
           "All good here, thanks. What about you?", "I'm fine, thank you! How is your day going?",
           "Pretty good, thanks for asking. How can I help?", "I'm doing nicely. How are things with you?"]
THANKS_U = ([
    "Thanks!", "Thank you!", "Thanks a lot.", "thank you so much", "Cheers!", "Great, thanks.",
    "Perfect, thank you.", "That's helpful, thanks!", "Thanks, that's great.", "Much appreciated.",
    "Thanks so much!", "I really appreciate your help.", "Thank you kindly.",
], ["Many thanks!", "Thanks a bunch!", "I appreciate it."])
THANKS_A = ["You're welcome!", "You're very welcome!", "Happy to help!", "Any time!", "No problem at all.",
            "Glad I could help!", "My pleasure!", "You're welcome. Anything else?"]
BYE_U = ([
    "Bye!", "Goodbye!", "See you later.", "Talk to you soon!", "I have to go now.", "Good night!",
    "See you!", "Catch you later.", "bye for now", "I'm off, bye!", "Farewell for now.", "Time to go, see you soon.",
], ["Farewell!", "Gotta run, see you.", "Until next time!"])
BYE_A = ["Goodbye! Have a great day.", "See you later! Take care.", "Bye! It was nice chatting with you.",
         "Good night! Sleep well.", "Take care, talk soon!", "Goodbye! Come back any time."]
WHO_U = ([
    "Who are you?", "What are you?", "What can you do?", "What's your name?", "What is your name?",
    "Tell me about yourself.", "Are you a robot?", "what's ur name", "Do you have a name?",
    "Who am I talking to?", "What should I call you?", "Can you introduce yourself?", "What do people call you?",
    "Can I ask who you are?", "Please introduce yourself.", "What's your name, assistant?", "Tell me your name.",
    "How should I call you?", "Could you tell me your name?", "What are you usually called?", "Can I ask your name?",
], ["Introduce yourself.", "What are you called?", "May I ask your name?"])
WHO_A_DEFAULT = ["I'm Reprise, a small assistant that runs on your computer.",
                 "My name is Reprise. I'm a small assistant that runs on your computer.",
                 "I'm Reprise! I can chat, add and subtract numbers, and remember what you tell me.",
                 "I'm Reprise, a tiny language model. I'm good at small talk, simple sums and remembering things you tell me."]
WHO_A_PERSONA = ["My name is {n}.", "I'm {n}, your assistant.", "I'm {n}! How can I help?", "You can call me {n}.",
                 "I'm {n}, a friendly assistant."]
JOKE_U = ([
    "Tell me a joke.", "Do you know any jokes?", "Make me laugh.", "Got a joke for me?", "tell me something funny",
    "I need a joke.", "Can you tell me a joke?", "Cheer me up.", "Say something funny, please.", "Know any good jokes?",
], ["Say something funny.", "Cheer me up with a joke."])
JOKES = [
    "Why did the scarecrow win an award? Because he was outstanding in his field.",
    "Why don't eggs tell jokes? They'd crack each other up.",
    "What do you call a fish with no eyes? A fsh.",
    "Why did the bicycle fall over? Because it was two tired.",
    "What do you call a bear with no teeth? A gummy bear.",
    "Why can't you trust stairs? They're always up to something.",
    "What did the ocean say to the beach? Nothing, it just waved.",
    "Why did the math book look sad? It had too many problems.",
    "What do you call cheese that isn't yours? Nacho cheese.",
    "Why did the cookie go to the doctor? Because it felt crummy.",
    "How does the moon cut his hair? Eclipse it.",
    "What do you call a sleeping dinosaur? A dino-snore.",
    "Why are frogs so happy? They eat whatever bugs them.",
    "What did one wall say to the other? I'll meet you at the corner.",
    "Why did the tomato blush? Because it saw the salad dressing.",
    "What kind of tree fits in your hand? A palm tree.",
    "Why do bees have sticky hair? Because they use honeycombs.",
    "What do clouds wear under their clothes? Thunderwear.",
    "Why was the computer cold? It left its Windows open.",
    "What do you call a lazy kangaroo? A pouch potato.",
]
JOKE_TAIL = ["", "", " I hope that made you smile!", " Want another one?", " Ha!"]
MOOD_U = ([
    ("I'm tired today.", "tired"), ("I had a long day.", "tired"), ("I'm so bored.", "bored"),
    ("I feel great today!", "happy"), ("I'm a bit sad.", "sad"), ("I'm stressed about work.", "stressed"),
    ("I just got a promotion!", "happy"), ("I can't sleep.", "tired"), ("I'm nervous about tomorrow.", "stressed"),
    ("It's been a good day.", "happy"), ("I feel lonely.", "sad"), ("I'm hungry.", "hungry"),
    ("I'm excited about the weekend!", "happy"), ("Work was awful today.", "stressed"), ("I had a rough week.", "sad"),
    ("I'm completely exhausted.", "tired"), ("I'm in a good mood today.", "happy"), ("Today was rough.", "sad"),
    ("I feel worn out.", "tired"), ("I'm feeling down.", "sad"), ("My day has been great!", "happy"),
], [("Today has been rough.", "sad"), ("I'm in a great mood!", "happy"), ("I'm exhausted.", "tired")])
MOOD_A = {
    "tired": ["I'm sorry to hear that. Maybe a good rest would help.", "That sounds exhausting. Try to take it easy tonight.",
              "Rest is important. I hope you get some sleep soon."],
    "bored": ["How about learning something new? I could tell you about {t}.", "Maybe a walk or a good book would help.",
              "We could chat for a while. Want to hear a joke?"],
    "happy": ["That's wonderful! I'm glad to hear it.", "Great news! Enjoy the moment.", "That's lovely to hear!",
              "Fantastic! It sounds like a good day."],
    "sad": ["I'm sorry you feel that way. I'm here if you want to talk.", "That sounds hard. Be gentle with yourself today.",
            "I'm sorry. Sometimes talking about it helps."],
    "stressed": ["That sounds stressful. Take a deep breath, one step at a time.", "I'm sorry. Try to take a short break if you can.",
                 "It will be okay. Maybe make a small plan for tomorrow."],
    "hungry": ["Maybe it's time for a snack! How about some {f}?", "Time to eat something then. {F} sounds nice.",
               "You should grab something to eat. {F}, perhaps?"],
}
WEATHER_U = ([
    "It's raining here.", "The weather is lovely today.", "It's so cold outside.", "It's really hot today.",
    "It's snowing!", "What a windy day.", "The sun is finally out.", "It's foggy this morning.",
    "There's a storm outside.", "It's freezing cold out there.", "A big storm is on its way.", "It's so sunny today!",
], ["Looks like a storm is coming.", "It's freezing today."])
WEATHER_A = ["Sounds like a good day for a cup of tea.", "I hope you can enjoy it!", "Stay warm and dry out there.",
             "Weather can really change the mood of a day.", "That sounds lovely. Maybe go for a walk?",
             "Make sure to dress for it!"]
OPINION_U = ([
    "What's your favourite colour?", "Do you have a favourite food?", "Which city would you like to visit?",
    "What's your favourite animal?", "Do you like music?", "What's your favourite season?",
], ["Which colour do you like?", "Where would you travel if you could?"])
FEELINGS_U = ([
    "Do you have feelings?", "Are you happy?", "Do you ever sleep?", "Are you real?", "Do you get bored?",
], ["Do you dream?"])
FEELINGS_A = ["I'm just a small program, but I enjoy our chats in my own way.",
              "I don't sleep or dream, but I'm always here when you want to talk.",
              "I'm a tiny language model, so no real feelings, but I like being helpful."]
ABOUT_U = ([
    "Tell me about {t}.", "What do you know about {t}?", "Can you tell me something about {t}?",
    "Describe {t} for me.", "Say something about {t}.", "I'd like to hear about {t}.", "Talk to me about {t}.",
    "tell me about {t}", "Write a few words about {t}.", "Share your thoughts on {t}.", "A few words about {t}, please.",
], ["Could you share some thoughts on {t}?", "Give me a few words about {t}."])
STORY_U = ([
    "Tell me a story.", "Can you tell me a short story?", "Tell me a bedtime story.", "I want to hear a story.",
    "Make up a story for me.", "Tell me a story about {a}.", "Tell me a tale.", "Can you invent a story?",
    "Invent a little story for me.", "I'd love a short tale.",
], ["Could you invent a little tale?", "Spin me a story."])
RECO_U = ([
    "Can you recommend a hobby?", "What should I cook tonight?", "Where should I travel?", "Any ideas for the weekend?",
    "What should I do today?", "Suggest a colour for my room.",
], ["Give me an idea for dinner.", "Recommend something to do this evening."])
DAY_OPEN = ["Let me tell you about my day.", "So, today was interesting.", "Guess what happened today.",
            "I had quite a day.", "Here's what I did today.", "Long story, but here goes.", "You won't believe my day."]
DAY_A = ["That sounds like a full day!", "What a day! Thanks for sharing it with me.", "Sounds like you kept busy.",
         "That's quite a story. How do you feel about it?", "Thanks for telling me. It sounds eventful!",
         "Wow, a lot happened! I hope you can relax now."]
ACKS = ["Nice to meet you!", "Got it, I'll remember that.", "Thanks for telling me.", "Noted!", "Good to know.",
        "Okay, I'll keep that in mind.", "Thanks for sharing!", "Got it.", "I'll remember that.", "Great, thanks for letting me know."]
ACK_ECHO = {
    "name": ["Nice to meet you, {v}!", "Hello, {v}! Nice to meet you.", "Great to meet you, {v}."],
    "city": ["{v} sounds like a lovely place.", "Oh, {v}! I'll remember that."],
    "hometown": ["{v}, how nice!"],
    "colour": ["{V} is a beautiful colour.", "Ah, {v}, lovely choice."],
    "food": ["Yum, {v} is delicious!", "{V} is a great choice."],
    "pet": ["{v} sounds adorable!", "What a lovely name, {v}!"],
    "job": ["Being a {v} sounds interesting!"],
    "hobby": ["{V} sounds like fun!"],
    "number": ["{v}, noted!"],
    "word": ["Okay, the word is {v}. Got it."],
}
FOLLOWUPS = ["", "", "", " How can I help you today?", " What would you like to talk about?", " Anything else?",
             " Tell me more!", " What's on your mind?"]

# sentence banks for little essays; {c} city, {n} name, {col} colour, {f} food, {an} animal, {num} number
ESSAY = [
    "{T} has fascinated people for a very long time.", "Many people find {t} calming and beautiful.",
    "There is always something new to learn about {t}.", "Some say {t} is best enjoyed slowly.",
    "In {c}, people talk about {t} all the time.", "A friend of mine named {n} loves {t}.",
    "Artists have painted {t} in shades of {col} and gold.", "If you visit {c}, you may see why {t} matters.",
    "{T} can teach us patience.", "Children often ask lots of questions about {t}.",
    "Scientists still study {t} today.", "Around {num} books have been written about {t} in {c} alone.",
    "On a quiet evening, thinking about {t} can be very relaxing.", "Many poems mention {t}.",
    "People in {c} celebrate {t} with music and {f}.", "Even a {an} seems curious about {t}.",
    "The best thing about {t} is that everyone can enjoy it.", "{T} can change with the seasons.",
    "My favourite fact is that {t} can look different every single day.", "Some people travel far just to experience {t}.",
    "Writers from {c} describe {t} as both simple and mysterious.", "It is worth learning a little about {t}.",
    "Old stories from {c} often begin with {t}.", "There is a small museum about {t} in {c}.",
]
STORY_OPEN = ["Once upon a time, in {c}, there lived a {an} named {n}.",
              "Long ago, a {an} called {n} lived near the river in {c}.",
              "There was once a curious {an} named {n} who lived in {c}."]
STORY_MID = ["Every morning, {n} walked to the market to buy {f}.", "One day, {n} found a {col} key under a stone.",
             "{n} dreamed of travelling to {c2}.", "A wise old owl told {n} a secret about the forest.",
             "{n} met a friend named {n2}, and they became inseparable.", "The two of them counted {num} stars one night.",
             "When winter came, {n} built a small house out of sticks.", "{n} learned to sing a {col} song.",
             "They shared a big plate of {f} and laughed for hours.", "A storm came, but {n} was brave and kept going."]
STORY_END = ["In the end, {n} was happy and never felt lonely again. The end.",
             "And from that day on, {n} always remembered to be kind. The end.",
             "{n} finally reached {c2} and found a new home there. The end.",
             "And that is why {an}s in {c} still tell this story. The end."]
DAY_SENT = ["This morning I went to {c} to see a friend called {n}.", "For lunch I had {f} with my colleague {n}.",
            "I saw a {col} car parked outside my office.", "A {an} ran across the street in front of me.",
            "My train was {num} minutes late.", "I finally finished a book about {c}.",
            "In the afternoon I bought a {col} scarf.", "I met someone named {n} who works as a {j}.",
            "We walked around the old town of {c} for hours.", "I cooked {f} for dinner and it turned out great.",
            "A stranger named {n} asked me for directions to {c}.", "I paid {num} for a ticket to a concert.",
            "The bus number {num} was completely full.", "I watched a documentary about a {an}.",
            "My colleague {n} told me about a trip to {c}."]


# ----------------------------------------------------------------------------- builder
@dataclass
class Conv:
    messages: list[dict] = field(default_factory=list)
    n: int = 0

    def add(self, role: str, content: str):
        self.messages.append({"role": role, "content": content})
        self.n += len(content) + len(role) + 4

    def chars(self) -> int:
        return self.n


class Builder:
    """Builds one conversation. split=TRAIN uses train templates/entities, EVAL the held-out ones."""

    def __init__(self, rng: random.Random, split: str = TRAIN):
        self.rng = rng
        self.split = split
        self.t = 0 if split == TRAIN else 1  # template bank index

    # --- helpers
    def bank(self, pair):
        return pair[self.t] if self.rng.random() < 0.97 or self.split == EVAL else pair[0]

    def ent(self):
        r, s = self.rng, self.split
        return {"c": a_city(r, s), "c2": a_city(r, s), "n": a_name(r, s), "n2": a_name(r, s),
                "col": pick(r, P.COLOURS, s), "f": pick(r, P.FOODS, s), "an": an_animal(r, s),
                "num": str(r.randint(2, 500)), "j": pick(r, P.JOBS, s)}

    def casual(self, text: str) -> str:
        r = self.rng.random()
        if r < 0.08:
            text = text[0].lower() + text[1:]
        elif r < 0.14 and text.endswith((".", "?", "!")) and len(text) > 3:
            text = text[:-1]
        return text

    # --- turns
    def greeting(self) -> tuple[str, str]:
        return self.rng.choice(self.bank(GREET_U)), self.rng.choice(GREET_A)

    def smalltalk(self, persona: str | None) -> tuple[str, str]:
        r = self.rng
        kind = r.choices(["howru", "thanks", "who", "joke", "mood", "weather", "opinion", "feelings", "reco", "greet"],
                         [10, 8, 6, 8, 10, 7, 6, 3, 5, 2])[0]
        if kind == "howru":
            return r.choice(self.bank(HOWRU_U)), r.choice(HOWRU_A)
        if kind == "thanks":
            return r.choice(self.bank(THANKS_U)), r.choice(THANKS_A)
        if kind == "greet":
            return self.greeting()
        if kind == "who":
            u = r.choice(self.bank(WHO_U))
            if persona:
                return u, r.choice(WHO_A_PERSONA).replace("{n}", persona)
            return u, r.choice(WHO_A_DEFAULT)
        if kind == "joke":
            return r.choice(self.bank(JOKE_U)), r.choice(JOKES) + r.choice(JOKE_TAIL)
        if kind == "mood":
            u, m = r.choice(self.bank(MOOD_U))
            e = self.ent()
            a = r.choice(MOOD_A[m]).replace("{t}", r.choice(P.TOPICS)).replace("{f}", e["f"]).replace("{F}", e["f"].capitalize())
            return u, a
        if kind == "weather":
            return r.choice(self.bank(WEATHER_U)), r.choice(WEATHER_A)
        if kind == "opinion":
            e = self.ent()
            u = r.choice(self.bank(OPINION_U))
            a = r.choice([f"I don't really have favourites, but {e['col']} is a lovely colour.",
                          f"I'd love to see {e['c']} one day, it sounds wonderful.",
                          f"Hard to choose! Maybe {e['f']}, it sounds delicious.",
                          f"I think the {e['an']} is a wonderful animal.",
                          "I like all of them in different ways.",
                          f"Autumn, maybe. The colours are beautiful, especially {e['col']}."])
            return u, a
        if kind == "feelings":
            return r.choice(self.bank(FEELINGS_U)), r.choice(FEELINGS_A)
        e = self.ent()
        u = r.choice(self.bank(RECO_U))
        a = r.choice([f"How about {e['f']}? It's easy to make and very tasty.", f"You could try {pick(r, P.HOBBIES, self.split)}, it's a lot of fun.",
                      f"{e['c']} is a great place to visit.", f"A {e['col']} wall would look lovely.",
                      f"Maybe go for a walk and then have some {e['f']}.", "You could call a friend and catch up."])
        return u, a

    def essay(self) -> tuple[str, str]:
        r = self.rng
        t = r.choice(P.TOPICS)
        u = r.choice(self.bank(ABOUT_U)).replace("{t}", t)
        n = r.randint(3, 7)
        sents = r.sample(ESSAY, n)
        e = self.ent()
        out = []
        for s in sents:
            s = s.replace("{T}", t[0].upper() + t[1:]).replace("{t}", t)
            for k, v in e.items():
                s = s.replace("{" + k + "}", v)
            out.append(s)
        return u, fix_articles(" ".join(out))

    def story(self) -> tuple[str, str]:
        r = self.rng
        e = self.ent()
        u = r.choice(self.bank(STORY_U)).replace("{a}", article(e["an"]))
        parts = [r.choice(STORY_OPEN)] + r.sample(STORY_MID, r.randint(2, 5)) + [r.choice(STORY_END)]
        out = []
        for s in parts:
            for k in sorted(e, key=len, reverse=True):
                s = s.replace("{" + k + "}", e[k])
            out.append(s)
        return u, fix_articles(" ".join(out))

    def day(self) -> tuple[str, str]:
        r = self.rng
        sents = [r.choice(DAY_OPEN)]
        for s in r.sample(DAY_SENT, r.randint(3, 7)):
            e = self.ent()
            for k in sorted(e, key=len, reverse=True):
                s = s.replace("{" + k + "}", e[k])
            sents.append(s.replace("a " + e["an"], article(e["an"])).replace("as a " + e["j"], "as " + article(e["j"])))
        return fix_articles(" ".join(sents)), r.choice(DAY_A)

    def arithmetic(self, op: str | None = None) -> tuple[str, str, str]:
        r = self.rng
        op = op or r.choice("+-")
        if self.split == TRAIN and r.random() < 0.04:
            a, b = r.randint(2, 20), r.randint(2, 12)
            return r.choice(MUL_Q).replace("{a}", str(a)).replace("{b}", str(b)), r.choice(MUL_A), ""
        a, b = arith_pair(r, self.split, op)
        q = r.choice(self.bank(ADD_Q if op == "+" else SUB_Q)).replace("{a}", str(a)).replace("{b}", str(b))
        ans = arith_answer(a, op, b)
        full = r.choice(ARITH_PREFIX) + ans + "." + r.choice(ARITH_SUFFIX) if self.split == TRAIN else ans + "."
        return self.casual(wrap(self, q, A_PREFIX, A_SUFFIX, 0.25)), full, ans

    def echo(self) -> tuple[str, str]:
        r, s = self.rng, self.split
        w = r.choice([made_up(r, s, "word"), made_up(r, s, "name"), made_up(r, s, "city"), a_job(r, s),
                      a_food(r, s), a_hobby(r, s), pick(r, P.WORDS, s), a_colour(r, s)])
        return r.choice(PH.ECHO_Q).replace("{w}", w), r.choice(PH.ECHO_A).replace("{w}", w)

    def filler(self, persona: str | None) -> tuple[str, str]:
        r = self.rng
        # revision 3c, training only (the split test comes first: held-out dialogs draw nothing here)
        if self.split == TRAIN and r.random() < 0.05:
            return self.echo()
        kind = r.choices(["small", "arith", "essay", "story", "day"], [30, 22, 20, 10, 14])[0]
        if kind == "small":
            return self.smalltalk(persona)
        if kind == "arith":
            q, a, _ = self.arithmetic()
            return q, a
        if kind == "essay":
            return self.essay()
        if kind == "story":
            return self.story()
        return self.day()


Q_PREFIX = (["Quick question: ", "Hey, ", "Okay, ", "Sorry, ", "Hmm, ", "Let me test you. ", "One more thing: ", "So, ",
             "By the way, ", "Question: ", "Tell me, ", "Random question, ", "Right, ", "Now, ", "Test: ",
             "Memory check: ", "Hi again. ", "Oh, ", "Wait, ", "Quick test: ", "Let's see. ", "Alright. "],
            ["Okay, quick check. ", "Pop quiz: ", "Let's see if you remember. ", "Alright, "])
Q_SUFFIX = ([" Do you remember?", " Thanks!", " I forgot.", " Just checking.", " Please.", " I can't remember.",
             " Can you help?", " :)", " Tell me.", " I need to know.", " Thank you!", " Any idea?"],
            [" Thank you.", " If you remember.", " I keep forgetting."])
S_PREFIX = (["Hi! ", "By the way, ", "Oh, and ", "Also, ", "Fun fact: ", "Before I forget, ", "Okay. ", "So, ",
             "Hello! ", "Quick thing: ", "Something about me: ", "Well, "],
            ["Let me share something. ", "Oh, by the way, "])
S_SUFFIX = ([" Please remember that.", " Keep that in mind.", " Don't forget!", " :)", " Can you remember that?",
             " How are you?", " Just so you know.", " Remember it for later."],
            [" Please don't forget.", " Make a note of it."])


A_PREFIX = (["Quick question: ", "Hey, ", "Okay, ", "So, ", "Question: ", "Now, ", "Hmm, ", "Next one: ", "Maths time! ",
             "Hi again. ", "Alright. ", "One more: ", "Right, "], ["Okay, next. ", "Here's one: "])
A_SUFFIX = ([" Thanks!", " Please.", " Can you help?", " :)", " Thank you!", " Quickly, please.", " I'm curious."],
            [" Thank you.", " Cheers."])


_LOWERABLE: set[str] = set()


def lower_first(t: str) -> str:
    """Lower-case the first letter only when the first word is template text (never a value such as a name)."""
    if not _LOWERABLE:
        banks = [t for f in FACTS for pair in (f.statements, f.questions) for t in pair[0] + pair[1]]
        banks += ADD_Q[0] + ADD_Q[1] + SUB_Q[0] + SUB_Q[1]
        banks += [t for ts in STATE_3F.values() for t in ts]  # revision 3f (the eval fingerprint is unchanged)
        _LOWERABLE.update(b.split()[0] for b in banks if not b.startswith("{"))
        _LOWERABLE.discard("I")
        _LOWERABLE.difference_update(x for x in list(_LOWERABLE) if x.startswith(("I'", "I,")))
    w = t.split()[0] if t.split() else ""
    return t[0].lower() + t[1:] if w in _LOWERABLE else t


def wrap(b: Builder, text: str, pre, suf, p: float = 0.35) -> str:
    r = b.rng
    # revision 3, training only (short-circuits before drawing, so held-out dialogs are unchanged)
    if b.split == TRAIN and pre in (Q_PREFIX, S_PREFIX) and r.random() < 0.5:
        return wide_wrap(r, text, pre is Q_PREFIX)
    if r.random() < p:
        pf = r.choice(pre[b.t])
        text = pf + (lower_first(text) if pf.endswith(", ") else text)
    if r.random() < p * 0.7:
        text = text + r.choice(suf[b.t])
    return text


def wide_wrap(r: random.Random, text: str, question: bool) -> str:
    if r.random() < 0.7:
        op = PH.question_opener(r) if question else PH.statement_opener(r)
        text = op + (lower_first(text) if op.endswith(", ") else text)
    if r.random() < 0.5:
        text = text + (PH.question_closer(r) if question else PH.statement_closer(r))
    return text


def _check_parts():
    held = {x.strip().lower() for bank in (Q_PREFIX, Q_SUFFIX, S_PREFIX, S_SUFFIX) for x in bank[1]}
    clash = [x for x in PH.all_parts() if x.strip().lower() in held]
    assert not clash, f"phrasing parts equal held-out ones: {clash}"


_check_parts()


def state_sentence(b: Builder, ft: FactType, slots: dict) -> str:
    # revision 3f, training only (the split test comes first): a quarter of the statements use the new shapes
    if b.split == TRAIN and STATE_3F.get(ft.key) and b.rng.random() < 0.25:
        return fill(b.rng.choice(STATE_3F[ft.key]), slots)
    return fill(b.rng.choice(b.bank(ft.statements)), slots)


def question_sentence(b: Builder, ft: FactType, slots: dict, wrapped: bool = True) -> str:
    q = fill(b.rng.choice(b.bank(ft.questions)), slots)
    return b.casual(wrap(b, q, Q_PREFIX, Q_SUFFIX)) if wrapped else q


def answer_sentence(b: Builder, ft: FactType, slots: dict, short: bool) -> str:
    if short:
        return slots["v"] + "."
    return fill(b.rng.choice(ft.answers), slots)


def unknown_answer(b: Builder, ft: FactType, slots: dict) -> str:
    what = fill(ft.unknown, slots)
    return b.rng.choice([f"You haven't told me {what} yet.", f"I don't know {what}, you haven't mentioned it.",
                         f"You didn't tell me {what}. What is it?", f"Sorry, you haven't told me {what}."])


SYSTEM_GENERIC = ["You are a helpful assistant.", "You are Reprise, a friendly assistant running locally on this computer.",
                  "You are a helpful, concise assistant.", "Be friendly and helpful.", "You are a kind and patient assistant.",
                  "You are a chat assistant. Answer clearly.", "You are Reprise, a small local assistant."]
SYSTEM_PERSONA = (["You are {n}, a friendly assistant.", "Your name is {n}.", "You are an assistant called {n}.",
                   "You are called {n}.", "Call yourself {n}.", "Introduce yourself as {n}.", "Your name for this chat is {n}.",
                   "Pretend your name is {n}.", "You go by the name of {n}, a kind assistant.", "From now on, you are {n}.",
                   "Your name is {n}. Be helpful and kind.", "You go by {n}.", "From now on you are {n}.", "Act as {n}.",
                   "You are {n}. Introduce yourself as {n} when asked.", "Your name is {n}, and you are a helpful assistant.",
                   "You are a helpful assistant named {n}."],
                  ["You go by the name {n}.", "From now on, your name is {n}.", "Act as {n}, a helpful assistant."])
SYSTEM_UPPER = (["Always reply in capital letters.", "Answer only in uppercase.", "WRITE ALL YOUR REPLIES IN CAPITAL LETTERS.",
                 "Use only uppercase letters in your answers.", "Reply in CAPS.", "Respond using capital letters only.",
                 "Write every answer in upper case.", "All caps in every reply, please.", "Only answer in all caps.",
                 "Every reply must use capital letters."],
                ["Respond in all caps.", "Every reply must be in upper case.", "Always answer in capital letters only."])
SYSTEM_SIGNOFF = (["End every reply with '{s}'", "Always finish your answers with \"{s}\"", "Sign off every message with {s}",
                   "Finish each reply with the phrase {s}", "Close each message with '{s}'", "Every answer must end with {s}",
                   "Conclude all replies with \"{s}\"", "Add '{s}' at the end of every reply.", "Always end your replies with {s}"],
                  ["Close every answer with '{s}'", "Your replies must end with {s}", "Finish every message with \"{s}\""])


def build_conversation(rng: random.Random, target_chars: int, split: str = TRAIN) -> list[dict]:
    """A long training conversation: facts early, questions later, filler everywhere."""
    b = Builder(rng, split)
    conv = Conv()
    persona = None
    style = None
    signoff = None
    # ---- system prompt
    r = rng.random()
    facts_in_system: list[tuple[FactType, dict]] = []
    if r < 0.22:
        conv.add("system", rng.choice(SYSTEM_GENERIC))
    elif r < 0.32:
        persona = a_name(rng, split)
        conv.add("system", rng.choice(b.bank(SYSTEM_PERSONA)).replace("{n}", persona))
    elif r < 0.40:
        cand = [f for f in FACTS if f.system]
        for ft in rng.sample(cand, rng.randint(1, 3)):
            facts_in_system.append((ft, ft.make(rng, split)))
        conv.add("system", " ".join(fill(ft.system, s) for ft, s in facts_in_system))
    elif r < 0.46:
        style = "upper"
        conv.add("system", rng.choice(b.bank(SYSTEM_UPPER)))
    elif r < 0.52:
        style = "signoff"
        signoff = a_signoff(rng, split)
        conv.add("system", rng.choice(b.bank(SYSTEM_SIGNOFF)).replace("{s}", signoff))

    # ---- facts to state
    k = rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7])
    types = [f for f in FACTS if f not in [x[0] for x in facts_in_system]]
    chosen = []
    for ft in rng.sample(types, len(types)):
        if len(chosen) >= k:
            break
        if any((ft.key, c.key) in EXCLUSIVE or (c.key, ft.key) in EXCLUSIVE for c, _ in chosen):
            continue
        chosen.append((ft, ft.make(rng, split)))
    known = list(facts_in_system)  # facts the assistant can be asked about
    pending = list(chosen)
    unknown_pool = [f for f in FACTS if f not in [c for c, _ in chosen] and f not in [c for c, _ in facts_in_system]]
    short = rng.random() < 0.08

    def emit(u: str, a: str):
        if style == "upper":
            a = a.upper()
        elif style == "signoff":
            a = a + " " + signoff
        conv.add("user", u)
        conv.add("assistant", a)

    turn = 0
    if rng.random() < 0.6:
        emit(*b.greeting())
        turn += 1
    while conv.chars() < target_chars:
        turn += 1
        # state facts: mostly in the first turns, some later
        if pending and (turn <= 3 and rng.random() < 0.75 or rng.random() < 0.12):
            n = min(len(pending), rng.choice([1, 1, 2, 2, 3]))
            group, pending = pending[:n], pending[n:]
            sents = [state_sentence(b, ft, s) for ft, s in group]
            text = wrap(b, " ".join(sents), S_PREFIX, S_SUFFIX, 0.4)
            ft0, s0 = group[0]
            if ft0.key in ACK_ECHO and rng.random() < 0.45:
                ack = rng.choice(ACK_ECHO[ft0.key]).replace("{v}", s0["v"]).replace("{V}", s0["v"][0].upper() + s0["v"][1:])
            else:
                ack = rng.choice(ACKS)
            emit(text, ack + rng.choice(FOLLOWUPS))
            known.extend(group)
            continue
        # ask about a known fact
        if known and rng.random() < 0.3:
            if len(known) >= 2 and rng.random() < 0.1:
                (f1, s1), (f2, s2) = rng.sample(known, 2)
                q = question_sentence(b, f1, s1).rstrip("?.! ") + "? And " + fill(rng.choice(b.bank(f2.questions)), s2)
                q = q[:-1] + "?" if q[-1] not in "?.!" else q
                a = answer_sentence(b, f1, s1, short) + " " + answer_sentence(b, f2, s2, short)
            else:
                ft, s = rng.choice(known)
                q, a = question_sentence(b, ft, s), answer_sentence(b, ft, s, short)
            emit(q, a)
            continue
        if unknown_pool and rng.random() < 0.025:
            ft = rng.choice(unknown_pool)
            s = ft.make(rng, split)
            emit(question_sentence(b, ft, s), unknown_answer(b, ft, s))
            continue
        if persona and rng.random() < 0.08:
            emit(rng.choice(b.bank(WHO_U)), rng.choice(WHO_A_PERSONA).replace("{n}", persona))
            continue
        emit(*b.filler(persona))
    if rng.random() < 0.1:
        emit(*(rng.choice(b.bank(BYE_U)), rng.choice(BYE_A)))
    return conv.messages


# ----------------------------------------------------------------------------- eval items
def eval_recall(rng: random.Random, min_gap_chars: int) -> tuple[list[dict], str, str, int]:
    """Held-out recall dialog ending with a user question. Returns (messages, expected, fact_key, mention_idx).

    mention_idx is the index of the last message that contains the expected value (the distance in
    tokens is measured from the end of that message to the end of the prompt by the caller)."""
    b = Builder(rng, EVAL)
    conv = Conv()
    if rng.random() < 0.3:
        conv.add("system", rng.choice(SYSTEM_GENERIC))
    k = rng.randint(2, 5)
    chosen = []
    for ft in rng.sample(FACTS, len(FACTS)):
        if len(chosen) >= k:
            break
        if any((ft.key, c.key) in EXCLUSIVE or (c.key, ft.key) in EXCLUSIVE for c, _ in chosen):
            continue
        chosen.append((ft, ft.make(rng, EVAL)))
    if rng.random() < 0.5:
        conv.add("user", rng.choice(GREET_U[1]))
        conv.add("assistant", rng.choice(GREET_A))
    i = 0
    while i < len(chosen):
        n = rng.choice([1, 2])
        group = chosen[i:i + n]
        i += n
        conv.add("user", wrap(b, " ".join(fill(rng.choice(ft.statements[1]), s) for ft, s in group), S_PREFIX, S_SUFFIX, 0.4))
        conv.add("assistant", rng.choice(ACKS))
    target_ft, target = rng.choice(chosen)
    start = conv.chars()
    # filler; other facts may be asked about (never the target), so the target is the oldest mention
    while conv.chars() - start < min_gap_chars:
        if rng.random() < 0.12:
            others = [(f, s) for f, s in chosen if f is not target_ft]
            if others:
                f, s = rng.choice(others)
                conv.add("user", question_sentence(b, f, s))
                conv.add("assistant", answer_sentence(b, f, s, False))
                continue
        u, a = b.filler(None)
        conv.add("user", u)
        conv.add("assistant", a)
    mention_idx = max(j for j, m in enumerate(conv.messages) if target["v"] in m["content"])
    conv.add("user", question_sentence(b, target_ft, target))
    return conv.messages, target["v"], target_ft.key, mention_idx


def eval_arith(rng: random.Random, op: str, context_turns: int) -> tuple[list[dict], str]:
    b = Builder(rng, EVAL)
    conv = Conv()
    for _ in range(context_turns):
        u, a = b.filler(None)
        conv.add("user", u)
        conv.add("assistant", a)
    q, _, ans = b.arithmetic(op)
    conv.add("user", q)
    return conv.messages, ans


def eval_system(rng: random.Random, kind: str) -> tuple[list[dict], str, str]:
    """-> messages, expected, check"""
    b = Builder(rng, EVAL)
    if kind == "persona":
        n = a_name(rng, EVAL)
        msgs = [{"role": "system", "content": rng.choice(SYSTEM_PERSONA[1] + SYSTEM_PERSONA[0]).replace("{n}", n)}]
        if rng.random() < 0.5:
            msgs += [{"role": "user", "content": rng.choice(GREET_U[1])}, {"role": "assistant", "content": rng.choice(GREET_A)}]
        msgs.append({"role": "user", "content": rng.choice(WHO_U[1] + ["What's your name?", "Who are you?"])})
        return msgs, n, "contains"
    if kind == "userfact":
        cand = [f for f in FACTS if f.system]
        ft = rng.choice(cand)
        s = ft.make(rng, EVAL)
        msgs = [{"role": "system", "content": fill(ft.system, s)},
                {"role": "user", "content": question_sentence(b, ft, s)}]
        return msgs, s["v"], "contains"
    if kind == "upper":
        msgs = [{"role": "system", "content": rng.choice(SYSTEM_UPPER[1])},
                {"role": "user", "content": rng.choice(GREET_U[1] + HOWRU_U[1] + JOKE_U[1])}]
        return msgs, "", "uppercase"
    s = pick(rng, P.SIGNOFFS, EVAL)
    msgs = [{"role": "system", "content": rng.choice(SYSTEM_SIGNOFF[1]).replace("{s}", s)},
            {"role": "user", "content": rng.choice(GREET_U[1] + HOWRU_U[1] + THANKS_U[1])}]
    return msgs, s, "endswith"


def eval_smalltalk(rng: random.Random) -> list[dict]:
    b = Builder(rng, EVAL)
    kind = rng.choice(["greet", "howru", "thanks", "bye", "who", "joke", "mood", "weather", "about", "story", "feelings"])
    bank = {"greet": GREET_U, "howru": HOWRU_U, "thanks": THANKS_U, "bye": BYE_U, "who": WHO_U, "joke": JOKE_U,
            "weather": WEATHER_U, "feelings": FEELINGS_U, "story": STORY_U}
    msgs = []
    if kind in ("thanks", "bye") or rng.random() < 0.3:
        u, a = b.filler(None)
        msgs += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    if kind == "mood":
        u = rng.choice(MOOD_U[1])[0]
    elif kind == "about":
        u = rng.choice(ABOUT_U[1]).replace("{t}", rng.choice(P.TOPICS))
    else:
        u = rng.choice(bank[kind][1])
    msgs.append({"role": "user", "content": u})
    return msgs


def eval_unknown(rng: random.Random) -> tuple[list[dict], list[str]]:
    b = Builder(rng, EVAL)
    ft_known = rng.choice(FACTS)
    s_known = ft_known.make(rng, EVAL)
    msgs = [{"role": "user", "content": fill(rng.choice(ft_known.statements[1]), s_known)},
            {"role": "assistant", "content": rng.choice(ACKS)}]
    for _ in range(rng.randint(1, 4)):
        u, a = b.filler(None)
        msgs += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    others = [f for f in FACTS if f.key not in (ft_known.key, "pet", "pettype")]
    ft = rng.choice(others)
    s = ft.make(rng, EVAL)
    msgs.append({"role": "user", "content": question_sentence(b, ft, s)})
    return msgs, ["haven't told", "haven't mentioned", "didn't tell", "don't know"]


# ----------------------------------------------------------------------------- CLI
def render(messages: list[dict]) -> str:
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", type=int, default=1)
    ap.add_argument("--speed", type=int, default=0)
    ap.add_argument("--chars", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    for _ in range(args.show):
        print(render(build_conversation(rng, args.chars)))
        print("=" * 100)
    if args.eval:
        m, v, k, idx = eval_recall(rng, 2400)
        print(render(m), "EXPECT", v, k, idx)
        print(render(eval_arith(rng, "-", 2)[0]))
        for kind in ("persona", "userfact", "upper", "signoff"):
            print(eval_system(rng, kind))
        print(eval_smalltalk(rng))
        print(eval_unknown(rng))
    if args.speed:
        t = time.time()
        n = 0
        for _ in range(args.speed):
            n += len(render(build_conversation(rng, args.chars)))
        dt = time.time() - t
        print(f"{args.speed / dt:.0f} conv/s, {n / dt / 1e6:.2f} MB/s, {n / args.speed:.0f} chars/conv")


if __name__ == "__main__":
    main()
