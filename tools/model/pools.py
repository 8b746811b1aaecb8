"""Entity pools and phrase banks for the synthetic chat corpus (pure Python, no dependencies).

Every entity is either *train* or *held-out*: an entity is held out iff crc32(entity) % 5 == 0
(see `is_heldout`). Training conversations never contain a held-out entity; evaluation dialogs use
only held-out ones. Templates are split explicitly: each bank is a (train, heldout) pair.
"""
from __future__ import annotations

import zlib


def is_heldout(entity: str) -> bool:
    return zlib.crc32(entity.encode("utf-8")) % 5 == 0


FIRST_NAMES = """
Alice Bob Charlie Diana Edward Fiona George Hannah Ian Julia Kevin Laura Michael Nina Oliver Paula
Quentin Rachel Samuel Tina Umar Valerie William Xena Yusuf Zoe Aaron Bella Caleb Daisy Ethan Freya
Gabriel Harriet Isaac Jasmine Kai Lily Marcus Naomi Oscar Priya Rafael Sophie Theo Ursula Victor Wendy
Amir Beatrice Carlos Delia Elias Farah Gustavo Helena Ivan Jade Kofi Leila Mateo Nadia Omar Petra
Raj Sara Tomas Uma Vera Wei Yara Zain Anya Bruno Clara Dmitri Elena Felix Greta Hugo Ingrid Jonas
Kira Lucas Maya Nikolai Olga Pablo Rosa Stefan Tara Anton Bianca Cyrus Dora Emil Flora Gideon Hazel
Igor Juno Kenji Luna Milo Nora Otto Pia Reza Selma Tobias Ada Basil Celine Dante Esme Finn Gemma
Hector Iris Jasper Keira Leon Mabel Nico Opal Percy Quinn Rhea Silas Thea Ulric Vivian Wade Yvonne
Zara Arjun Bea Cosmo Dalia Ezra Fatima Goran Hana Imran Jorge Kamala Lorenzo Mei Nasser Orla Pedro
Ruby Sven Tamsin Alba Benji Cora Dev Edith Fabio Gia Harvey Ines Jude Kemal Lola Moritz Nell Ozzy
Penny Rowan Saoirse Teo Agnes Boris Carmen Declan Eliza Frank Gwen Henrik Isla Joel Kasia Linus
Marta Ned Odette Piers Rosalind Sami Tilly Aiko Bram Chiara Duncan Elsa Florian Grace Hamid Ilse
Jakob Kit Lars Mina Noel Orson Phoebe Rolf Sasha Tristan Amara Bastian Chloe Dario Enzo Fern Gus
Hilde Ivo Jana Kian Lotte Magnus Nuria Olive Paolo Remy Stella Ty Ayla Bodhi Cleo Dorian Ember
""".split()

# Syllables for made-up names, cities and words (so the model learns to copy arbitrary spans).
ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr kl pl tr st sh ch th".split()
VOWELS = "a e i o u a e o ai ou ea ia".split()
CODAS = ["", "", "", "n", "r", "l", "s", "th", "m", "x", "nd", "rk", "ll", "t"]

def _cities() -> list[str]:
    raw = """Lisbon|Paris|Berlin|Madrid|Rome|Vienna|Prague|Budapest|Warsaw|Dublin|Edinburgh|London|
    Manchester|Amsterdam|Brussels|Copenhagen|Oslo|Stockholm|Helsinki|Reykjavik|Athens|Istanbul|Cairo|
    Nairobi|Lagos|Accra|Casablanca|Tunis|Johannesburg|Cape Town|Mumbai|Delhi|Bangalore|Chennai|Kolkata|
    Dhaka|Karachi|Lahore|Tehran|Dubai|Doha|Riyadh|Beirut|Amman|Tokyo|Osaka|Kyoto|Seoul|Busan|Beijing|
    Shanghai|Shenzhen|Hong Kong|Taipei|Manila|Hanoi|Bangkok|Singapore|Jakarta|Kuala Lumpur|Sydney|
    Melbourne|Brisbane|Perth|Auckland|Wellington|Toronto|Montreal|Vancouver|Ottawa|Calgary|Boston|
    Chicago|Denver|Seattle|Portland|Austin|Dallas|Houston|Miami|Atlanta|Phoenix|Detroit|Nashville|
    Mexico City|Guadalajara|Bogota|Lima|Quito|Santiago|Buenos Aires|Montevideo|Sao Paulo|
    Rio de Janeiro|Havana|Kingston|Zurich|Geneva|Munich|Hamburg|Cologne|Frankfurt|Lyon|Marseille|Nice|
    Porto|Seville|Valencia|Barcelona|Bilbao|Milan|Naples|Florence|Venice|Turin|Krakow|Gdansk|Riga|
    Tallinn|Vilnius|Kyiv|Odesa|Bucharest|Sofia|Belgrade|Zagreb|Ljubljana|Sarajevo|Tbilisi|Yerevan|Baku|
    Almaty|Tashkent|Ulaanbaatar|Kathmandu|Colombo|Glasgow|Cardiff|Belfast|Bristol|Leeds|York|Oxford|
    Cambridge|Bordeaux|Toulouse|Salzburg|Graz|Antwerp|Ghent|Utrecht|Rotterdam|Bergen|Aarhus|Malmo|
    Gothenburg|Tampere|Marrakesh|San Diego|New Orleans|Quebec City|Halifax|Winnipeg|Adelaide|Hobart"""
    return [c.strip() for c in raw.replace("\n", "").split("|") if c.strip()]


CITIES = _cities()

COLOURS = """red blue green yellow orange purple pink brown black white grey teal turquoise navy maroon
crimson scarlet violet lilac lavender indigo cyan magenta beige cream gold silver bronze olive lime
mint emerald jade coral peach salmon amber ochre charcoal ivory burgundy cobalt azure mustard plum
sapphire ruby rose tan khaki aqua""".split()

ANIMALS = """dog cat parrot rabbit hamster goldfish turtle horse lizard snake ferret canary hedgehog
tortoise budgie chinchilla gecko pony goat cockatiel iguana mouse rat duck chicken pig donkey
alpaca axolotl frog""".split() + ["guinea pig", "bearded dragon"]

JOBS = """nurse teacher doctor dentist pilot chef baker plumber electrician carpenter architect
engineer lawyer accountant journalist photographer designer librarian firefighter farmer gardener
pharmacist mechanic painter musician programmer scientist translator vet waiter barista cashier
butcher tailor optician surgeon paramedic lecturer economist geologist biologist chemist
physicist astronomer florist jeweller locksmith potter sculptor editor novelist actor dancer
hairdresser""".split() + ["software engineer", "bus driver", "taxi driver", "data analyst",
    "graphic designer", "web developer", "civil engineer", "social worker", "police officer",
    "flight attendant", "real estate agent", "personal trainer", "museum curator", "sound engineer",
    "game designer", "marine biologist", "primary school teacher", "truck driver", "nurse practitioner"]

FOODS = """pizza sushi pasta lasagna curry tacos burritos ramen dumplings paella risotto pancakes
waffles falafel hummus noodles soup salad steak burgers chocolate cheesecake ice cream
porridge omelettes croissants bagels kebabs gnocchi ravioli goulash moussaka couscous tagine
biryani pho laksa gyoza tempura nachos enchiladas quesadillas churros tiramisu brownies""".split() + [
    "fish and chips", "apple pie", "mac and cheese", "pad thai", "fried rice", "chicken soup",
    "banana bread", "shepherd's pie", "chili con carne", "grilled cheese", "carrot cake",
    "spring rolls", "mushroom risotto", "lemon tart", "beef stew", "veggie burgers"]

HOBBIES = """painting drawing reading hiking cycling swimming running knitting gardening cooking
baking fishing photography chess dancing singing climbing skating surfing sailing rowing
birdwatching camping juggling pottery sewing woodworking yoga archery fencing kayaking skiing
snowboarding origami calligraphy astronomy""".split() + ["playing guitar", "playing the piano",
    "playing football", "playing tennis", "rock climbing", "board games", "video games",
    "writing poetry", "learning languages", "collecting stamps", "playing the violin",
    "watching films", "doing puzzles", "bird photography", "playing basketball", "trail running",
    "making jam", "restoring old bikes", "building model trains", "playing the drums"]

RELATIONS = """sister brother cousin son daughter wife husband partner boss neighbour flatmate
grandmother grandfather uncle aunt niece nephew""".split()

EVENTS = ["dentist appointment", "job interview", "meeting with my boss", "yoga class", "piano lesson",
    "doctor's appointment", "haircut", "flight", "team meeting", "driving lesson", "exam",
    "dinner reservation", "guitar lesson", "vet appointment", "train", "swimming class",
    "book club", "parent-teacher meeting", "eye test", "massage", "tennis match", "concert",
    "cooking class", "football practice", "video call with my parents"]

CODE_KEYS = ["locker number", "room number", "order number", "table number", "seat number",
    "bus number", "apartment number", "ticket number", "booking reference", "parking space",
    "gate number", "platform number", "membership number", "flight number", "desk number",
    "house number", "PIN hint", "student number"]

WORDS = """apple river lantern marble pepper velvet thunder harbor meadow falcon biscuit canyon
orbit pebble quartz saddle tulip violin walnut zephyr anchor blossom candle dolphin ember feather
glacier hammock igloo jigsaw kettle lemon mango nectar olive pickle quiver raven sapphire tiger
umbrella vortex whistle yogurt zebra acorn banjo cactus dragon eclipse fjord gravel hazel island
jasmine koala lagoon magnet nutmeg oyster puzzle quill rocket sunset timber unicorn vanilla willow
crystal bramble cobalt domino ferry goblet honey ivory jungle kiwi lobster mustard noodle otter
parsnip radish saffron tornado trumpet walrus""".split()

MONTHS = "January February March April May June July August September October November December".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()

SIGNOFFS = ["Cheers!", "Have a nice day!", "Stay curious!", "Ahoy!", "Take care!", "Peace!",
    "Onwards!", "Keep smiling!", "Happy days!", "Godspeed!", "Stay cool!", "Be well!", "Ciao!",
    "Toodle-oo!", "Over and out!", "Bon voyage!", "Hooray!", "All the best!", "Until next time!",
    "Keep it up!", "Good vibes!", "Carry on!", "Stay safe!", "Live long!"]

TOPICS = ["the ocean", "space", "autumn", "winter", "spring", "summer", "trains", "mountains",
    "coffee", "tea", "bread", "gardening", "music", "rain", "forests", "bees", "the moon",
    "volcanoes", "deserts", "bicycles", "libraries", "clouds", "owls", "whales", "rivers",
    "chess", "honey", "islands", "lighthouses", "snow", "markets", "bridges", "kites", "penguins",
    "camping", "museums", "castles", "elephants", "thunderstorms", "cheese", "maps", "dinosaurs",
    "rainbows", "sailing", "tomatoes", "butterflies", "the stars", "cats", "dogs", "horses"]
