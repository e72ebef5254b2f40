"""What the world fine-tune learns from besides Fashion-MNIST, as lists of (what, class, group).

Classes are Fashion-MNIST's 0..9, or OUTLIER (-1): "none of the ten", pushed towards a uniform
softmax (Outlier Exposure). The label tables are CSV files in data/world/, sorted by eye:
- clothing_labels.csv: the clothing-photo folder's labels -> a class, "outlier", "skip" or "by photo";
- clothing_shoes.csv: every photo labelled Shoes -> Sneaker / Sandal / Ankle boot / none;
- icon_labels.csv: garment icons (set, icon, licence, class), the rest of a set may serve as outliers.
Validation splits are fixed: photos by the person who took them (sender_id), icons by icon set.
"""
import csv
import hashlib
import re
from pathlib import Path

from nin.core.data import CLASS_NAMES
from nin.world import icons

TABLES = Path(__file__).resolve().parent.parent.parent / "data" / "world"
OUTLIER = -1
VAL_SHARE = 0.15  # of senders / icon sets, chosen by a hash of their name: fixed, whatever the order
# Icon sets held out for validation: whole sets, so a style seen in training is not what we measure on.
VAL_ICON_SETS = ("fluent-emoji-flat", "iconoir", "mingcute", "icons8", "streamline-plump", "noto-v1")
# Icons whose names say clothing of any kind never become outliers (a sock or a hat is too near).
CLOTHING_WORDS = re.compile(
    r"shirt|dress|shoe|boot|bag|coat|jacket|pant|trouser|jean|sock|hat|cap|glove|mitten|scarf|tie|cloth|wear|"
    r"short|skirt|bikini|swim|hanger|laundry|fashion|sandal|sneaker|sweater|hoodie|purse|wallet|pack|luggage|"
    r"suitcase|case|kimono|sari|vest|apron|uniform|polo|top|robe|gown|suit|heel|slipper|footwear|bra|brief|"
    r"underwear|lingerie|costume|outfit|wardrobe|closet|store|shop|tag|mannequin|jersey|hood|boot|trainer|"
    r"running|mall|tote|pouch|clutch|basket|cart|gift|kit")
OUTLIERS_PER_SET = 200
# Things people draw when they try a drawing demo (animals, food, vehicles, plants, household things,
# buildings, tools, instruments, faces): icons named so come first among a set's outliers, before
# interface glyphs (arrows, batteries, play buttons) that nobody doodles. Whole name parts only.
THINGS = frozenset("""
ant bear bee beetle bird butterfly camel cat chicken cow crab crocodile deer dog dolphin dove dragon duck
eagle elephant fish fox frog giraffe goat gorilla hedgehog hippo horse kangaroo koala lion lizard lobster
monkey mouse octopus owl panda parrot penguin pig rabbit rat rhino rooster shark sheep shrimp snail snake
spider squirrel swan tiger turtle whale wolf zebra unicorn dinosaur bat bug worm paw
apple avocado banana bread broccoli burger cake candy carrot cheese cherry chili coconut cookie corn croissant
cupcake donut egg eggplant grapes hamburger hotdog icecream lemon lollipop mango melon mushroom onion orange
pancake pear pepper pineapple pizza popcorn potato pumpkin sandwich strawberry sushi taco tomato watermelon
cup mug teapot kettle bottle glass wine beer coffee tea fork knife spoon bowl plate pan pot
airplane plane bicycle bike boat bus car helicopter motorcycle rocket sailboat ship scooter submarine taxi
tractor train truck ambulance firetruck van tram canoe kayak ufo
cactus clover flower leaf maple mushroom palm rose seedling sunflower tree tulip plant herb
cloud moon rain rainbow snowflake snowman star sun tornado umbrella volcano wave mountain fire lightning
bed bench bathtub bucket candle chair clock couch door fan lamp lightbulb bulb mirror sofa toilet
broom scissors hammer wrench screwdriver saw axe shovel key lock magnet pencil pen brush paintbrush ruler
book books envelope camera phone telephone television tv radio computer laptop headphones microphone
guitar piano violin drum trumpet saxophone bell
ball football basketball baseball soccer tennis trophy medal kite balloon dice puzzle robot teddy
house home castle church tent lighthouse barn bridge tower hospital school building factory igloo windmill
face smile heart skull ghost alien eye hand foot tooth brain anchor crown diamond gem sword
""".split())
# ... unless the name also says it is an interface glyph (a cloud with a download arrow, a locked key).
GLYPH_WORDS = frozenset("""
add alert arrow arrows ban cancel check circle columns delete disabled download edit error filled
issue minus network off outline plus question remove search settings slash square sync upload warning x
""".split())


class DataError(ValueError):
    """One sentence naming the folder or file that cannot be used; raised before training starts."""


def in_validation(name):
    """Fixed split by a hash of the group's name (sender id, icon set)."""
    return int(hashlib.sha1(str(name).encode()).hexdigest(), 16) % 1000 < VAL_SHARE * 1000


def _read_csv(path, columns):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        raise DataError(f"The label table {path} is missing.") from None
    if rows and not set(columns) <= set(rows[0]):
        raise DataError(f"The label table {path} lacks the columns {', '.join(columns)}.")
    return rows


def _class_index(name, where):
    if name == "outlier":
        return OUTLIER
    if name not in CLASS_NAMES:
        raise DataError(f"{where}: {name!r} is not one of the ten classes.")
    return CLASS_NAMES.index(name)


def clothing_photos(folder, tables=TABLES):
    """[(photo path, class, sender_id)] from a clothing-dataset folder (images.csv + images/)."""
    folder = Path(folder)
    index = folder / "images.csv"
    if not index.is_file() or not (folder / "images").is_dir():
        raise DataError(f"{folder} is not a clothing-photo folder (it needs images.csv and images/).")
    by_label = {r["label"]: r["class"] for r in _read_csv(tables / "clothing_labels.csv", ("label", "class"))}
    shoes = {r["image"]: r["class"] for r in _read_csv(tables / "clothing_shoes.csv", ("image", "class"))}
    out = []
    for r in _read_csv(index, ("image", "sender_id", "label")):
        target = by_label.get(r["label"], "skip")
        if target == "by photo":
            target = shoes.get(r["image"], "none")
        if target in ("skip", "none"):
            continue
        path = folder / "images" / f"{r['image']}.jpg"
        if path.is_file():
            out.append((path, _class_index(target, "clothing_labels.csv"), r["sender_id"]))
    if not out:
        raise DataError(f"No labelled photos found in {folder}.")
    return out


def garment_icons(root=icons.DEFAULT_ROOT, tables=TABLES):
    """[((set, icon), class, set)] for the icons sorted by eye into the ten classes (or as outliers)."""
    rows = _read_csv(tables / "icon_labels.csv", ("set", "icon", "license", "class"))
    installed = set(icons.installed_sets(root))
    out = []
    for r in rows:
        if r["class"] == "drop" or r["set"] not in installed:
            continue
        out.append(((r["set"], r["icon"]), _class_index(r["class"], "icon_labels.csv"), r["set"]))
    return out


def is_a_thing(icon_name):
    """Whether an icon's name names a thing people draw (THINGS), e.g. "cat-face" or "hot-air-balloon"."""
    parts = re.split(r"[-_]", icon_name.lower())
    return (any(part in THINGS or part.rstrip("s") in THINGS for part in parts)
            and not any(part in GLYPH_WORDS for part in parts))


def outlier_icons(root=icons.DEFAULT_ROOT, tables=TABLES, per_set=OUTLIERS_PER_SET):
    """[((set, icon), OUTLIER, set)]: per set, icons whose names say nothing of clothing, things people
    draw first (is_a_thing), each group in the order of a hash of its names."""
    sorted_ones = {(r["set"], r["icon"]) for r in _read_csv(tables / "icon_labels.csv", ("set", "icon"))}
    out = []
    for name in icons.installed_sets(root):
        try:
            bodies, _ = icons.read_set(root, name)
        except icons.IconError as e:
            print(e)
            continue
        names = [n for n in bodies if (name, n) not in sorted_ones and not CLOTHING_WORDS.search(n)
                 and not re.search(r"-(12|16|20|28|32|48)-", n)]  # one size of each multi-size icon
        names.sort(key=lambda n: (not is_a_thing(n), hashlib.sha1(f"{name}/{n}".encode()).hexdigest()))
        out += [((name, n), OUTLIER, name) for n in names[:per_set]]
    return out
