"""Does the world file beat nin_modern where people are? Decides the app's default weights.

    python -m nin.ship.compare --dev ../shared/realworld [--world weights/nin_world.weights.h5]

Both files through the app's own runtime and pipeline on the development folder's photos and
doodles drawn on the Draw tab (nin.measure.realworld). The world file wins when it is better on both and
its Fashion-MNIST test top-1 is at least MIN_TEST; the verdict and the figures go into its
metadata ("versus_modern"), which nin.core.weights reads to choose the default and the card prints.
"""
import argparse
import json

from nin.core.weights import MODERN_WEIGHTS, WORLD_WEIGHTS, atomic_write, metadata_path, read_metadata

MIN_TEST = 0.93
SETS = ("photos", "doodles drawn")


def figures(weights_path, dev):
    from nin.measure import realworld
    from nin.serve.inference import app_classifier

    r = realworld.evaluate_folder(app_classifier(str(weights_path)), dev, progress=False)
    return {s: {"n": r[s]["n"], "top1": round(r[s]["top1"], 4), "top3": round(r[s]["top3"], 4)} for s in SETS}


def verdict(world, modern, world_test):
    better = all(world[s]["top1"] > modern[s]["top1"] for s in SETS)
    return bool(better and world_test >= MIN_TEST)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dev", required=True, help="development folder laid out like shared/realworld")
    p.add_argument("--world", default=str(WORLD_WEIGHTS))
    p.add_argument("--modern", default=str(MODERN_WEIGHTS))
    args = p.parse_args(argv)
    world_meta = read_metadata(args.world)
    world, modern = figures(args.world, args.dev), figures(args.modern, args.dev)
    won = verdict(world, modern, world_meta["test_accuracy"])
    for s in SETS:
        print(f"{s:<16} world {world[s]['top1']:.3f} / {world[s]['top3']:.3f}   modern {modern[s]['top1']:.3f} / "
              f"{modern[s]['top3']:.3f}  (top-1 / top-3, n {world[s]['n']})")
    print(f"test top-1: world {world_meta['test_accuracy']:.4f} (needs >= {MIN_TEST}); "
          f"the default is {'the world file' if won else 'nin_modern'}")
    world_meta["versus_modern"] = {"won": won, "world": world, "modern": modern, "min_test": MIN_TEST,
                                   "measured_on": "the development folder through the app's runtime (int8)"}
    atomic_write(metadata_path(args.world), lambda tmp: open(tmp, "w").write(json.dumps(world_meta, indent=1)))
    return won


if __name__ == "__main__":
    main()
