"""Write the app's example images from the Fashion-MNIST test split.

    python -m nin.app.examples [--out examples]

Two test garments per class as a photo would show them (dark on white, 280 px), and six
photo-like images (tinted backgrounds, off-centre, JPEG, EXIF-rotated...) made by
nin.pipeline.imitations.as_photo. File names start with the test index and the true class.
"""
import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image

from nin.core.data import CLASS_NAMES, load_split
from nin.pipeline.imitations import as_photo


def slug(name):
    return name.lower().replace("/", "-").replace(" ", "-")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "examples"))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    x, y = load_split("test")
    for c in range(10):
        for i in np.flatnonzero(y == c)[:2]:
            Image.fromarray(255 - x[i]).resize((280, 280), Image.Resampling.BICUBIC).save(out / f"{i:04d}_{slug(CLASS_NAMES[c])}.png")
    rng = np.random.default_rng(7)
    for i in range(100, 106):
        data = as_photo(x[i] / 255.0, rng)
        ext = {"JPEG": "jpg", "PNG": "png"}[Image.open(io.BytesIO(data)).format]
        (out / f"{i:04d}_{slug(CLASS_NAMES[y[i]])}_photo.{ext}").write_bytes(data)
    print(f"wrote {len(list(out.iterdir()))} files to {out}")


if __name__ == "__main__":
    main()
