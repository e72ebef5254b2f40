"""Top-k predictions for image files, through the same pipeline as the app.

    python -m nin.predict IMAGE [IMAGE ...] [--top-k 3] [--sketch] [--weights PATH]
"""
import argparse
import sys

from nin.preprocess import PreprocessError, prepare_sketch, prepare_upload


def main(argv=None):
    from nin.inference import Classifier, top_k
    from nin.weights import DEFAULT_WEIGHTS, WeightsError

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
            x = (prepare_sketch if args.sketch else prepare_upload)(path)
        except PreprocessError as e:
            print(f"{path}: error: {e}")
            failed += 1
            continue
        guesses = top_k(clf.predict(x[None])[0], args.top_k)
        print(f"{path}: " + ", ".join(f"{name} {p:.1%}" for name, p in guesses.items()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
