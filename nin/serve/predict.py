"""Top-k predictions for image files, through the same pipeline as the app, and the garment verdict.

    python -m nin.serve.predict IMAGE [IMAGE ...] [--top-k 3] [--sketch] [--weights PATH]

Each line: the guesses (calibrated percentages), then "garment" or "NOT a garment" with the garment
score and its threshold (nin/serve/garment.py); weights never calibrated print no verdict.
"""
import argparse
import sys

from nin.pipeline.preprocess import PreprocessError, prepare


def main(argv=None):
    from nin.serve.inference import Classifier, top_k
    from nin.core.weights import DEFAULT_WEIGHTS, WeightsError

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", nargs="+")
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--sketch", action="store_true", help="treat the images as drawings (strokes on a plain background)")
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    args = p.parse_args(argv)
    try:
        clf = Classifier(args.weights)
    except WeightsError as e:
        sys.exit(f"error: {e}")
    failed = 0
    for path in args.images:
        try:
            given = prepare(path, "sketch" if args.sketch else "upload")
        except PreprocessError as e:
            print(f"{path}: error: {e}")
            failed += 1
            continue
        x = given.image
        probs, maps = clf.forward(x[None])
        guesses = top_k(probs[0], args.top_k)
        print(f"{path}: " + ", ".join(f"{name} {p:.1%}" for name, p in guesses.items()) + verdict_text(clf.assess(x, maps[0], given.path, given.extent)))
    return 1 if failed else 0


def verdict_text(found):
    """' | garment (garment score +12.30 ...)', ' | NOT a garment: why (...)', or '' without a fitted check."""
    if found is None:
        return ""
    verdict = "garment" if found["is_garment"] else f"NOT a garment: {found['reason']}"
    return f" | {verdict} (garment score {found['score']:+.2f}, 0 or more looks like a garment; {found['kind']} path)"


if __name__ == "__main__":
    sys.exit(main())
