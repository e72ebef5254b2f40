"""Icon sets from the npm registry (Iconify's `@iconify-json/*`), read and rendered for training.

The sets are installed by `bash scripts/setup_training.sh` (pinned in data/icons/package.json) into
~/.cache/nin/icon-sets; the app never needs them. Only sets whose licence allows training and
shipping the weights are read (LICENCES_OK); ShareAlike and GPL sets are refused by name.
"""
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

DEFAULT_ROOT = Path.home() / ".cache" / "nin" / "icon-sets" / "node_modules" / "@iconify-json"
LICENCES_OK = ("MIT", "Apache-2.0", "ISC", "CC0-1.0", "CC-BY-3.0", "CC-BY-4.0")  # no SA, no GPL
RENDER_PX = 256  # rendered side; the pipeline reduces it to 28 px anyway


class IconError(ValueError):
    """One sentence naming the icon set or icon that could not be used."""


def read_set(root, name):
    """(icons: name -> body, width, height, licence SPDX id) of one installed Iconify set."""
    folder = Path(root) / name
    try:
        info = json.loads((folder / "info.json").read_text())
        icons = json.loads((folder / "icons.json").read_text())
    except (OSError, ValueError) as e:
        raise IconError(f"Icon set {name!r} is missing or malformed in {root} ({type(e).__name__}); "
                        f"run `bash scripts/setup_training.sh`.") from None
    licence = info.get("license", {}).get("spdx", "unknown")
    if licence not in LICENCES_OK:
        raise IconError(f"Icon set {name!r} has licence {licence}, which training may not use.")
    w, h = icons.get("width", 16), icons.get("height", 16)
    bodies = {k: (v["body"], v.get("width", w), v.get("height", h)) for k, v in icons["icons"].items()}
    return bodies, licence


def installed_sets(root=DEFAULT_ROOT):
    """Names of the installed sets (folders with an icons.json)."""
    root = Path(root)
    if not root.is_dir():
        raise IconError(f"No icon sets in {root}; run `bash scripts/setup_training.sh` or pass --icons.")
    return sorted(p.name for p in root.iterdir() if (p / "icons.json").is_file())


def render(body, width, height, px=RENDER_PX):
    """An icon's SVG body -> RGBA uint8 [px, px] (dark ink where it uses currentColor), aspect kept."""
    import cairosvg  # only training renders icons

    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'viewBox="0 0 {width} {height}" width="{px}" height="{px}" color="#111111">{body}</svg>')
    try:
        png = cairosvg.svg2png(bytestring=svg.encode())
        rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    except Exception as e:  # cairosvg raises many kinds on odd SVG
        raise IconError(f"The icon does not render ({type(e).__name__}: {str(e)[:80]}).") from None
    if rgba[..., 3].max() < 32:
        raise IconError("The icon renders empty.")
    return rgba


def on_white(rgba):
    """RGBA -> RGB uint8 on a white page: how a downloaded icon looks when uploaded."""
    a = rgba[..., 3:4].astype(np.float32) / 255
    return (rgba[..., :3] * a + 255 * (1 - a)).astype(np.uint8)


def credit(root, name):
    """{"licence", "version", "author", "url"} of an installed set, for the model card."""
    folder = Path(root) / name
    info = json.loads((folder / "info.json").read_text())
    version = json.loads((folder / "package.json").read_text()).get("version") if (folder / "package.json").is_file() else None
    author = info.get("author", {})
    return {"name": info.get("name", name), "licence": info.get("license", {}).get("spdx"), "version": version,
            "author": author.get("name"), "url": author.get("url")}
