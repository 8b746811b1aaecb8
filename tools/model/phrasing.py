"""Revision 3 of the generator: a wider, train-only phrasing grammar for recall.

Stage 2 failed held-out recall mostly on wording, not distance: held-out statements whose value comes
first or sits inside an unusual frame were not recognised as facts, and questions wrapped in an unseen
opener or closer were taken for small talk. The cure is breadth, not the held-out sentences themselves:
many generic frames over each fact's key phrases, and openers/closers built from parts (meta phrases,
fillers, bits of chatter), so that the model learns to find the key phrase and skip the rest.

Everything here is used only for the training split. `data._add_generic` drops any sentence that equals
a held-out one (case-insensitive), and the held-out openers/closers are removed from the parts below, so
the evaluation set (generated from the held-out banks alone) is unchanged by this revision.
"""
from __future__ import annotations

import random

# ---- statements: {key} = a noun phrase for the fact ("favourite colour"), {v} = the value
STATE_FRAMES = [
    "My {key} is {v}, by the way.", "My {key}: {v}.", "{v}, that's my {key}.", "{v} would be my {key}.",
    "As for my {key}, it's {v}.", "When it comes to my {key}, it's {v}.", "My {key} is definitely {v}.",
    "Here's my {key}: {v}.", "I'd say {v} is my {key}.", "If you ask for my {key}, it's {v}.",
    "My {key}, in case you need it, is {v}.", "I'll tell you my {key}: it's {v}.", "{v}. That is my {key}.",
    "The answer is {v} if you ever want my {key}.", "So my {key} is {v}.", "Oh, my {key} is {v}.",
    "Did I mention my {key}? It's {v}.", "Let me add that my {key} is {v}.", "One fact about me: my {key} is {v}.",
    "My {key} is {v}, and that won't change.", "Without a doubt, my {key} is {v}.", "My {key} would have to be {v}.",
    "I think my {key} is {v}.", "My {key} is simply {v}.", "You might like to know my {key}: {v}.",
    "{v} is what my {key} is.", "{v}, if you want to know my {key}.", "Speaking of me, my {key} is {v}.",
    "Honestly, my {key} is {v}.", "My {key}... it's {v}.", "In case you wondered, my {key} is {v}.",
    "Store this: my {key} is {v}.", "Important: my {key} is {v}.", "Note that my {key} is {v}.",
    "my {key} is {v}", "My {key} = {v}.", "{v} - my {key}.", "I have {v} as my {key}.",
]
# ---- questions about a {key}
QUESTION_FRAMES = [
    "Any idea what my {key} is?", "What would my {key} be?", "Can you remind me of my {key}?",
    "I need my {key}. What is it?", "Do you recall my {key}?", "What did I tell you about my {key}?",
    "Could you tell me my {key}?", "You know my {key}, right?", "And my {key}?", "My {key} is what, again?",
    "So what's my {key}?", "Name my {key}.", "State my {key}.", "Give me my {key}.", "Repeat my {key}.",
    "What was it I said about my {key}?", "Which {key} do I have?", "Tell me again: what's my {key}?",
    "what is my {key}", "whats my {key}", "My {key}?", "Remember my {key}? What is it?",
    "What's my {key}, do you know?", "Do you have my {key}?", "Can you say what my {key} is?",
    "I told you my {key} earlier. What was it?", "Earlier I mentioned my {key}. What is it?",
    "What {key} did I mention earlier?", "Tell me what my {key} is.", "Remind me: my {key}?",
    "Which one is my {key}?", "Try to remember my {key}.", "What's my {key} once more?",
]

# ---- openers and closers, built from parts
_META_Q = ["Quiz time", "Test time", "Memory test", "Small test", "Question for you", "Let's test your memory",
           "Brain check", "Here's a question", "Quick one", "Test question", "Memory game", "Check this",
           "Time for a question", "Try this", "Recall test", "Little quiz", "Exam time", "One question",
           "Here's a test", "Think back", "Going back to earlier", "From earlier", "Just curious",
           "Now for something else", "Something different", "Back to me", "About me"]
_PUNCT = [": ", ". ", "! ", ", ", " - "]
_LEAD = ["Okay", "Alright then", "Right", "Well", "So", "Now then", "Hey there", "Hmm", "Oh", "Wait", "Listen",
         "Ok", "Yes", "Good", "Cool", "Anyway", "Sorry", "Um", "Actually", "Hi", "Right then", "OK so", "Well then"]
_CLOSE_Q = ["I can't recall.", "It slipped my mind.", "My memory is terrible.", "I've forgotten.", "No rush.",
            "Thanks a lot.", "Cheers!", "If you know.", "If you can.", "Be precise.", "Please tell me.",
            "Thanks in advance.", "Go on.", "Try your best.", "I always forget.", "I forget these things.",
            "Help me out.", "Do you know?", "I'm testing you.", "Let's see.", "Be honest.", "Quick!",
            "I wrote it down somewhere.", "It's on the tip of my tongue.", "Thank you so much.", "Thanks.",
            "I'm curious.", "You should know this.", "I told you before.", "Can you?", "Please!", "OK?",
            "Haha.", ":D", "I keep losing track.", "I need it now.", "Remember?", "No pressure.", "If you still know."]
_CLOSE_S = ["Please keep it in mind.", "Write that down.", "Remember that, okay?", "Note it.", "Don't lose it.",
            "That's important.", "Store that.", "Keep it safe.", "I might ask later.", "I'll quiz you later.",
            "Got it?", "Okay?", "Thanks.", "Remember it.", "Please note that.", "Just so you know!",
            "Worth remembering.", "Keep a note.", "File that away.", "Don't forget it, please.", "Cool, right?"]
_INTRO_S = ["Let me tell you something", "Something you should know", "Here's a fact about me", "Just to let you know",
            "A little about me", "For your information", "Note", "Info about me", "Here's something",
            "A quick fact", "Something personal", "Listen", "Let me say this", "Before we go on", "One thing"]
CHATTER = ["I'm so tired today.", "The weather is nice today.", "I just made some tea.", "It's been a long week.",
           "I'm back.", "Sorry for the wait.", "I had a busy morning.", "My coffee is cold again.",
           "I'm sitting in the garden.", "I just got home.", "Work was crazy.", "I'm in a good mood.",
           "It's raining here.", "I finally finished my chores.", "Long day.", "I'm bored.", "Good morning!",
           "Evening!", "I was thinking about something.", "Random thought.", "Let's change the topic.",
           "That was fun.", "Ha, nice.", "Okay, moving on.", "Interesting.", "I'm eating lunch."]


def question_opener(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return rng.choice(_META_Q) + rng.choice(_PUNCT)
    if r < 0.55:
        return rng.choice(_LEAD) + ", " + rng.choice(_META_Q).lower() + rng.choice([": ", ". "])
    if r < 0.75:
        return rng.choice(_LEAD) + rng.choice([", ", ". ", "! "])
    return rng.choice(CHATTER) + " " + (rng.choice(["Anyway, ", "So, ", "Okay, ", ""]) if rng.random() < 0.6 else "")


def question_closer(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return " " + rng.choice(CHATTER)
    return " " + rng.choice(_CLOSE_Q)


def statement_opener(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return rng.choice(_INTRO_S) + rng.choice([": ", ". ", " - "])
    if r < 0.7:
        return rng.choice(_LEAD) + rng.choice([", ", ". ", "! "])
    return rng.choice(CHATTER) + " "


def statement_closer(rng: random.Random) -> str:
    return " " + (rng.choice(CHATTER) if rng.random() < 0.25 else rng.choice(_CLOSE_S))


def all_parts() -> list[str]:
    """Every opener/closer part, for data.py's check that none equals a held-out one."""
    return _META_Q + _LEAD + _CLOSE_Q + _CLOSE_S + _INTRO_S + CHATTER


# ---- fact-specific statement/question frames (slots as in data.FACTS)
EXTRA: dict[str, tuple[list[str], list[str]]] = {
    "name": (["Everyone calls me {v}.", "{v} is my name.", "The name is {v}.", "My name? {v}.", "Hello, {v} here.",
              "I'm {v}, nice to meet you.", "You can address me as {v}.", "Folks call me {v}."],
             ["Who am I, again?", "What do you call me?", "How should you address me?", "What's the name I gave?"]),
    "age": (["I am {v}.", "I'm aged {v}.", "{v} years old, that's me.", "I've just had my {v}th year... I mean I'm {v}."],
            ["What age am I again?", "How old am I again?", "My age, do you know it?", "How many years do I have?"]),
    "city": (["I'm living over in {v}.", "{v} is where I live.", "I've made {v} my home.", "My address is in {v}.",
              "I stay in {v} these days."],
             ["Where am I living?", "Which town do I live in?", "Where's my home?", "Where am I based?"]),
    "hometown": (["{v} is my birthplace.", "{v} is the city where I grew up.", "I'm a native of {v}.",
                  "My family comes from {v}, where I was born.", "I was born over in {v}.", "I'm from {v} originally."],
                 ["Where am I originally from?", "Which town was I born in?", "Where's my birthplace?",
                  "Where did I spend my childhood?"]),
    "colour": (["{v} is the colour I like most.", "I like {v} more than any other colour.", "No colour beats {v}.",
                "I'd always choose {v} as a colour.", "My colour is {v}.", "{v} is my colour, I love it."],
               ["Which colour do I prefer?", "What colour did I say I like?", "My favourite colour is what?",
                "Which colour is my favourite?", "What's the colour I love?"]),
    "food": (["I'd eat {v} every day if I could.", "{v} is the best food ever.", "My top dish is {v}.",
              "A plate of {v} makes my day.", "Nothing tastes better than {v}.", "I love {v} more than any food."],
             ["What dish do I like best?", "Which food is my favourite?", "What do I love to eat?",
              "What's the food I like most?"]),
    "hobby": (["I spend my free time {v}.", "{v} is how I relax.", "My weekends are for {v}.", "I love {v}, it's my hobby.",
               "Whenever I'm free, I'm {v}.", "For fun I do {v}."],
              ["What's my pastime?", "What do I like doing for fun?", "Which hobby do I have?",
               "How do I relax?", "What did I say my hobby is?"]),
    "pet": (["I call my {a} {v}.", "My {a}'s called {v}.", "The {a} I own is named {v}.", "Meet {v}, my {a}.",
             "{v} is my {a}'s name.", "My {a} answers to {v}.", "We call our {a} {v}.", "My {a}? Her name is {v}.",
             "His name is {v}, my {a}."],
            ["What do I call my {a}?", "What's my {a} called?", "What name does my {a} have?", "My {a}'s name?",
             "How is my {a} called?"]),
    "pettype": (["I have a {v} at home.", "My pet? A {v}.", "A {v} lives with me.", "I look after a pet {v}."],
                ["Which pet do I have?", "What animal do I have?", "My pet is what kind of animal?"]),
    "appointment": (["I've got my {k} on {v}.", "My calendar says {k} on {v}.", "{v} is when my {k} is.",
                     "The {k} is on {v}.", "I'm due for a {k} on {v}.", "My {k} is scheduled for {v}.",
                     "I have to go to my {k} on {v}.", "Mark my {k}: {v}.", "There's my {k} on {v} coming up."],
                    ["When's my {k}?", "What day is my {k}?", "When do I have my {k}?", "Remind me about my {k}. When is it?",
                     "When is the {k}?", "What time's my {k}?", "My {k} is when?"]),
    "job": (["I'm employed as a {v}.", "My work? I'm a {v}.", "I earn money as a {v}.", "My job title is {v}."],
            ["What's my work?", "What job do I have?", "What am I by profession?", "What's my occupation?"]),
    "word": (["Remember the word {v}.", "The word to remember is {v}.", "Secret word: {v}.", "Here is the word: {v}."],
             ["What's the word?", "Which word was it?", "What word should you remember?", "The secret word was?"]),
    "birthday": (["{v} is my birthday, by the way.", "My birthday comes on {v}.", "I was born on {v}, that's my birthday."],
                 ["When's my birthday again?", "Which day is my birthday?", "What's the date of my birthday?"]),
    "code": (["My {k}? {v}.", "Here's my {k}: {v}.", "{v} is my {k}.", "The {k} is {v}."],
             ["What's the {k}?", "My {k}, what is it?", "Which {k} do I have?"]),
    "relation": (["My {k} goes by the name {v}.", "{v} is what my {k} is called.", "I have a {k}, {v}."],
                 ["What's my {k} called?", "Who's my {k}?", "What name does my {k} go by?"]),
    "number": (["I always pick {v}, my lucky number.", "Lucky number: {v}.", "{v} brings me luck."],
               ["Which number is lucky for me?", "What's my lucky number again?"]),
}


# ---- revision 3c: cue composition. Stage 3b still missed facts whose sentence puts the value first or
# names the fact with a clause instead of a noun ("the town I grew up in"). Each fact gets cues - noun
# phrases (NP) and wh-clauses (CL) - that the frames below place before or after the value, so the model
# learns to find the cue anywhere. data._add_generic rejects any composed template that contains a
# held-out sentence, and the cues avoid the held-out sentences' own wording.
CUES: dict[str, tuple[list[str], list[str]]] = {
    "name": (["the name I use", "the name on my passport", "my given name"],
             ["what people call me", "what you should call me", "how I'd like to be addressed"]),
    "age": (["the number of years I've lived"], ["how old I am", "how many years I've been alive"]),
    "city": (["the city I live in now", "the place I call home", "the town where my flat is"],
             ["where I live these days", "where my home is"]),
    "hometown": (["the town of my birth", "the city I grew up in", "the place where my life began", "my place of origin"],
                 ["where I grew up", "where I spent my childhood", "where I'm from"]),
    "colour": (["the colour I like best", "my colour of choice", "the shade I'm fondest of", "the colour I'd always go for"],
               ["which colour I like most", "what colour I adore"]),
    "number": (["the number that brings me luck", "my lucky digit", "the number I trust most"],
               ["which number is lucky for me"]),
    "code": (["the {k} I was given", "my current {k}"], ["what my {k} is"]),
    "birthday": (["the date of my birthday", "my special day each year"],
                 ["when my birthday is", "when I celebrate my birthday"]),
    "pet": (["the name of my {a}", "my {a}'s name"], ["what I call my {a}", "what my {a} answers to", "what my {a} is called"]),
    "pettype": (["the animal I keep at home", "the kind of pet I have"], ["what pet lives with me", "which animal I keep"]),
    "job": (["my line of work", "the job I do", "my profession"], ["what I do for a living", "how I earn my money"]),
    "food": (["the food I like most", "my favourite thing to eat", "the meal I'd pick every time"],
             ["what I love to eat", "which food I like best"]),
    "relation": (["the name of my {k}", "my {k}'s name"], ["what my {k} is called"]),
    "hobby": (["my favourite way to relax", "the hobby I enjoy", "my pastime of choice"],
              ["how I spend my weekends", "what I like doing in my spare time"]),
    "appointment": (["the date of my {k}", "the day of my {k}"], ["when my {k} is", "when I have my {k}"]),
    "word": (["the word to remember", "the special word", "my magic word"], ["which word you should keep"]),
}
_S_NP = ["{Cue} is {v}.", "{Cue}? {v}.", "{Cue}: {v}.", "As for {cue}, it's {v}.", "{v} is {cue}.",
         "{v} - that's {cue}.", "In case it matters, {cue} is {v}.", "If you ever need {cue}, it's {v}.",
         "{v} happens to be {cue}.", "{v} has always been {cue}.", "Talking of {cue}, it's {v}.", "{Cue} would be {v}.",
         "I'd tell anyone that {cue} is {v}.", "{v}, which is {cue}.", "Oh, {cue}? That's {v}."]
_S_CL = ["{v} is {cue}.", "{Cue} is {v}.", "In case you wonder {cue}: {v}.", "If you ever want to know {cue}, it's {v}.",
         "I can tell you {cue}: {v}.", "Let me tell you {cue}. It's {v}.", "{v} - that's {cue}.", "Here's {cue}: {v}.",
         "So you know {cue}: {v}.", "{v}. That's {cue}."]
_Q_NP = ["What is {cue}?", "What's {cue}?", "Do you remember {cue}?", "Tell me {cue}.", "Remind me of {cue}.",
         "{Cue} - what is it?", "Can you recall {cue}?", "What was {cue} again?", "Do you still know {cue}?", "Which is {cue}?"]
_Q_CL = ["Do you remember {cue}?", "Tell me {cue}.", "Can you say {cue}?", "Do you know {cue}?", "Remind me {cue}.",
         "Any idea {cue}?", "I forgot {cue}. Do you know?", "Can you tell me {cue}?"]


def composed(key: str) -> tuple[list[str], list[str]]:
    """(statement templates, question templates) built from a fact's cues; [] for facts without cues."""
    nps, cls = CUES.get(key, ([], []))

    def fill(frames: list[str], cues: list[str]) -> list[str]:
        return [f.replace("{cue}", c).replace("{Cue}", c[0].upper() + c[1:]) for c in cues for f in frames]

    return fill(_S_NP, nps) + fill(_S_CL, cls), fill(_Q_NP, nps) + fill(_Q_CL, cls)


# ---- revision 3c: copying. Stage 3b garbled rare held-out words it had to copy ("scigs" for "scientist");
# echo turns (training only) practise copying arbitrary words and made-up names exactly.
ECHO_Q = ["Can you repeat this word: {w}", "Say {w}.", "Please write {w} back to me.", "Repeat after me: {w}",
          "Copy this exactly: {w}", "Type the word {w}.", "Write \"{w}\" for me.", "Echo this: {w}", "Say '{w}' please.",
          "How do you write {w}?", "Repeat: {w}"]
ECHO_A = ["{w}", "{w}.", "Sure: {w}.", "Here it is: {w}.", "{w}!", "Okay: {w}."]


# ---- revision 3f (training split only): broader statement shapes for every fact. Stage 3d still read three
# kinds of held-out statements as no fact at all: a hypothetical frame, a naming verb with the value after
# an object, and a value-first relative clause. Instead of those sentences, this adds families of shapes:
# conditional/hypothetical frames, value-first sentences with relative clauses and naming/calling verbs
# (for the facts that are names), over more cues per fact. data.py samples them for a quarter of the
# training statements and drops every template that contains a held-out sentence (as for 3c).
CUES_3F: dict[str, tuple[list[str], list[str]]] = {
    # NP cues (noun phrases, often with a relative clause), CL cues (wh-clauses)
    "name": (["the name my parents gave me", "the name that I answer to", "the name you should use for me"],
             ["what my friends call me", "what I'm called", "who I am"]),
    "age": (["the age I turned on my last birthday", "the number of birthdays I've had"], ["how old I turned", "what age I am"]),
    "city": (["the city that I live in", "the town in which I live", "the place where I rent my flat", "my current home town"],
             ["where I've settled", "where I live right now", "where you'd find my house"]),
    "hometown": (["the city in which I was born", "the town that I was born in", "the place of my birth",
                  "the city where my parents raised me", "the town I come from"],
                 ["where I came into the world", "where my life started", "where I was raised", "where I was a child"]),
    "colour": (["the colour that I love most", "the shade I pick every time", "the colour I'd wear every day",
                "the colour that makes me happy", "my all-time favourite colour"],
               ["which colour I'd choose", "what colour I like the most", "which shade I prefer"]),
    "number": (["the number that I find lucky", "my number for luck", "the digit that brings me luck"],
               ["which number I think is lucky", "what number I bet on"]),
    "code": (["the {k} that I was given", "the {k} on my card"], ["what my {k} is", "which {k} I have"]),
    "birthday": (["the day I was born on", "the day I celebrate each year", "the date I get a year older"],
                 ["when I was born", "when I have my birthday", "when I turn a year older"]),
    "pet": (["the name that my {a} has", "the name I gave my {a}", "my {a}'s name"],
            ["what I called my {a}", "what my {a} is named", "what we call our {a}"]),
    "pettype": (["the animal that lives with me", "the pet that I keep", "my kind of pet"],
                ["what animal I keep at home", "which pet I own"]),
    "job": (["the job that pays my bills", "the work I do every day", "my job title"],
            ["what I work as", "what my job is", "what I do at work"]),
    "food": (["the dish that I love most", "the food I could eat every day", "my all-time favourite food",
              "the meal I'd choose every time"],
             ["what I'd eat every day", "which dish I'd always order", "what food I love most"]),
    "relation": (["the name that my {k} has", "the name of my {k}"], ["what my {k} is called", "who my {k} is"]),
    "hobby": (["the hobby that I love", "the thing I do in my free time", "my favourite thing to do",
               "the pastime I enjoy most"],
              ["what I do to relax", "how I like to spend my free time", "what I do at weekends"]),
    "appointment": (["the time of my {k}", "the day and time of my {k}"], ["when my {k} is", "when I'm due at my {k}"]),
    "word": (["the word I want you to keep", "the word that I gave you", "today's special word"],
             ["which word I picked", "what the word is"]),
}
# nouns for "if I could only choose one {noun}" frames (preference facts only)
CHOICE_NOUN = {"colour": ["colour", "color", "shade"], "food": ["food", "dish", "meal"], "hobby": ["hobby", "pastime"],
               "number": ["number"], "word": ["word"], "city": ["city to live in", "place to live"],
               "job": ["job", "career"], "pettype": ["pet", "animal"]}
_S_NP_3F = [
    # conditional / hypothetical
    "If someone asked me for {cue}, I'd tell them {v}.", "Should you ever need {cue}, it's {v}.",
    "If anyone asks about {cue}, the answer is {v}.", "Were you to ask about {cue}, I'd say {v}.",
    "If I were asked for {cue}, I would answer {v}.", "If you need {cue} later, remember {v}.",
    "Suppose you have to remember {cue}: it's {v}.", "In case anyone wants {cue}, it would be {v}.",
    # value first, relative clauses
    "{v} is {cue}, just so you know.", "{v}, that is {cue}.", "{v} would be {cue}.", "{v} remains {cue}.",
    "{v} has been {cue} for years.", "{v} - and that's {cue}.", "{v} is the answer if you want {cue}.",
    "{v}, which happens to be {cue}.", "It's {v}, {cue}.", "{Cue}, which I should mention, is {v}.",
    "{Cue}, by the way, is {v}.", "Well, {cue} is {v}.", "{Cue} has to be {v}.", "{Cue} is, and always was, {v}.",
]
_S_CL_3F = [
    "If you ever wonder {cue}, it's {v}.", "If someone asks you {cue}, say {v}.", "Should anyone ask {cue}, tell them {v}.",
    "If you need to know {cue}, the answer is {v}.", "Were you to wonder {cue}, it would be {v}.",
    "{v} is {cue}.", "{v} - that is {cue}.", "{v} is exactly {cue}.", "{v}, in case you wonder {cue}.",
    "{v} is the answer to {cue}.", "{v}: that's {cue}.", "{v} would be {cue}.", "Do you know {cue}? {v}.",
    "You asked {cue} once, I think. It's {v}.", "I'll say {cue}: {v}.",
]
_S_CHOICE_3F = [
    "If I could only choose one {noun}, I'd go with {v}.", "If you made me choose a {noun}, I'd say {v}.",
    "Given the choice of any {noun}, I'd take {v}.", "If I were forced to choose a {noun}, it'd be {v}.",
    "Were I to choose one {noun}, I'd pick {v}.", "Ask me to pick a {noun} and I'll say {v}.",
    "If there were only one {noun} left, I'd want {v}.", "Of every {noun} there is, I'd pick {v}.",
    "Choosing a {noun} is easy for me: {v}.", "If it were up to me, my {noun} would always be {v}.",
    "The one {noun} I'd never give up is {v}.", "Out of all of them, {v} is the {noun} for me.",
    "If I could keep just one {noun}, it would have to be {v}.", "{v} wins every time when I choose a {noun}.",
    "No {noun} comes close to {v} for me.", "I'd choose {v} over any other {noun}.",
]
# naming / calling verbs: subject, possessive, verb (past tense)
_NAMERS = [("I", "my"), ("We", "our"), ("My kids", "our"), ("My family", "our"), ("My partner and I", "our"),
           ("My brother", "my")]
_NAME_VERBS = ["called", "named", "christened", "dubbed", "nicknamed"]
_NAME_SHAPES = {
    "pet": ["{S} {verb} {p} {a} {v}.", "{S} {verb} {p} {a} {v} when we got {pr}.", "When {p} {a} arrived, {s} {verb} {pr} {v}.",
            "{v} is what {s} {verb} {p} {a}.", "{S} {verb} the {a} {v}, and the name stuck.", "{P} {a}? {S} {verb} {pr} {v}.",
            "{S} gave {p} {a} the name {v}.", "{P} {a} got the name {v} from {o}.", "{S} decided to call {p} {a} {v}.",
            "The {a} that {s} {verb} {v} is {p} pet."],
    "relation": ["{S} {verb} {p} {k} {v} years ago.", "{v} is what everyone calls my {k}.", "My {k} got the name {v} at birth.",
                 "My {k}, whom we call {v}, is lovely.", "We all call my {k} {v}.", "My parents named my {k} {v}."],
    "name": ["My parents {verb} me {v}.", "I was {verb} {v} at birth.", "They {verb} me {v} after my grandmother.",
             "{v} is what my parents {verb} me.", "The name my family gave me is {v}.", "Everyone ended up calling me {v}.",
             "At school they {verb} me {v}, and I kept it."],
    "word": ["Let's call the secret word {v}.", "I've {verb} today's word {v}.", "{v} is what I've {verb} our secret word."],
    "city": ["I call {v} home.", "These days I call {v} my home.", "{v} is the place I call home now."],
    "hometown": ["I was born in a town called {v}.", "The place I was born in is called {v}.",
                 "{v} is the town in which I was born.", "{v} is the city that I was born in.", "My birth certificate says {v}."],
}


def _pronoun_rows():
    out = []
    for (S, p) in _NAMERS:
        s = S if S == "I" else S[0].lower() + S[1:]
        o = "me" if S == "I" else ("us" if p == "our" else "him")
        out.append((S, s, p, o))
    return out


def composed_3f(key: str) -> list[str]:
    """Revision 3f statement templates for one fact (before the held-out filter in data.py)."""
    nps, cls = CUES_3F.get(key, ([], []))
    nps = nps + CUES.get(key, ([], []))[0]
    cls = cls + CUES.get(key, ([], []))[1]

    def fill(frames: list[str], cues: list[str]) -> list[str]:
        return [f.replace("{cue}", c).replace("{Cue}", c[0].upper() + c[1:]) for c in cues for f in frames]

    out = fill(_S_NP_3F, nps) + fill(_S_CL_3F, cls)
    for noun in CHOICE_NOUN.get(key, []):
        out += [f.replace("{noun}", noun) for f in _S_CHOICE_3F]
    for shape in _NAME_SHAPES.get(key, []):
        verbs = _NAME_VERBS if "{verb}" in shape else [""]
        rows = _pronoun_rows() if "{S}" in shape or "{s}" in shape or "{p}" in shape or "{P}" in shape else [("", "", "", "")]
        for verb in verbs:
            for (S, s, p, o) in rows:
                for pr in (["her", "him", "it"] if "{pr}" in shape else [""]):
                    t = (shape.replace("{verb}", verb).replace("{S}", S).replace("{s}", s).replace("{P}", p.capitalize() if p else p)
                         .replace("{p}", p).replace("{o}", o).replace("{pr}", pr))
                    if t not in out:
                        out.append(t)
    return out
