"""Decode, check, resize and re-encode one picture — run as a child process with resource limits.

``python -m backend.social.imaging <src> <dst> <kind>`` prints ``{"width":…, "height":…}`` or exits
with status 2 and an error key. Untrusted images are never decoded inside a worker: a decoder bug or
a decompression bomb costs this process only.
"""

from __future__ import annotations

import json
import sys

# Longest edge / exact box per kind. Square kinds are cropped to the centre.
SIZES: dict[str, tuple[int, int, bool]] = {
    # kind: (width, height, crop)
    "avatar": (400, 400, True),
    "logo": (400, 400, False),
    "banner": (1600, 400, True),
    "artwork": (1200, 1200, True),
    "press": (2000, 2000, False),
}
FORMATS = ("PNG", "JPEG", "WEBP")
MAX_PIXELS = 40_000_000


def process(src: str, dst: str, kind: str) -> dict[str, int]:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    width, height, crop = SIZES[kind]
    with Image.open(src) as opened:
        if opened.format not in FORMATS:
            raise ValueError("social.errors.image_type")
        opened.load()
        image = ImageOps.exif_transpose(opened)
    keep_alpha = kind == "logo" and image.mode in ("RGBA", "LA", "P")
    image = image.convert("RGBA" if keep_alpha else "RGB")
    if crop:
        image = ImageOps.fit(image, (width, height), method=Image.Resampling.LANCZOS)
    else:
        image.thumbnail((width, height), Image.Resampling.LANCZOS)
    if keep_alpha:
        image.save(dst, format="PNG", optimize=True)
    else:
        image.save(dst, format="JPEG", quality=85, optimize=True, progressive=True)
    return {"width": image.width, "height": image.height}


def main(argv: list[str]) -> int:
    src, dst, kind = argv
    try:
        print(json.dumps(process(src, dst, kind)))
        return 0
    except ValueError as exc:
        key = str(exc) if str(exc).startswith("social.") else "social.errors.image_unreadable"
        print(json.dumps({"error": key}))
        return 2
    except Exception:  # noqa: BLE001 - any decoder failure is an unreadable image
        print(json.dumps({"error": "social.errors.image_unreadable"}))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
