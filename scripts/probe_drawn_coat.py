"""What makes a coat drawn from memory read as a coat? Draw the from-memory coat template
(nin.robustness.SCRATCH_TEMPLATES) with parts added or removed, 100 drawings each, and print
what the shipped weights answer.

    PYTHONPATH=. python scripts/probe_drawn_coat.py [--weights W] [--n 100]
"""
import argparse
import collections

import numpy as np

from nin import robustness as R
from nin.data import CLASS_NAMES
from nin.drawings import COAT
from nin.inference import Classifier
from nin.preprocess import prepare_sketch
from nin.weights import DEFAULT_WEIGHTS

SLEEVES, COLLAR, FRONT = R._LONG_SLEEVES, R._COLLAR_V, [(.5, .18), (.5, 1)]
FRONT_FROM_NECK = [(.5, .07), (.5, 1)]
POCKETS = [[(.28, .65), (.4, .65)], [(.6, .65), (.72, .65)]]
# arms held against the body, as every Fashion-MNIST coat has them
BLOCK = R._closed((.32, 0), (.12, .05), (0, .88), (.2, .9), (.2, 1), (.8, 1), (.8, .9), (1, .88), (.88, .05),
                  (.68, 0), (.6, .07), (.4, .07))
VARIANTS = {
    "sleeves + collar + front line": [SLEEVES, COLLAR, FRONT],
    "sleeves + front line from the neck": [SLEEVES, FRONT_FROM_NECK],
    "sleeves + collar + front line + pockets": [SLEEVES, COLLAR, FRONT] + POCKETS,
    "arms against body + front line": [BLOCK, FRONT_FROM_NECK],
    "arms against body + collar + front line": [BLOCK, COLLAR, FRONT],
    "arms against body + front line + pockets": [BLOCK, FRONT_FROM_NECK] + POCKETS,
    "sleeves + round neck (a pullover)": [SLEEVES, R._NECK],
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    p.add_argument("--n", type=int, default=100)
    args = p.parse_args(argv)
    classifier = Classifier(args.weights)
    for name, lines in VARIANTS.items():
        rng = np.random.default_rng(0)
        batch = np.stack([prepare_sketch(R.as_scratch_drawing(COAT, rng, templates=[(0.85, lines)]))
                          for _ in range(args.n)])
        answers = collections.Counter(CLASS_NAMES[i] for i in classifier.predict(batch).argmax(1))
        print(f"{name:<42}" + ", ".join(f"{c} {k}" for c, k in answers.most_common(3)))


if __name__ == "__main__":
    main()
