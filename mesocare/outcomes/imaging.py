"""Photo ingest: validate by content, normalise orientation, strip every byte of metadata.

The stored image is rebuilt from its pixels alone (`Image.frombytes`), so no EXIF, GPS, XMP,
ICC or PNG text chunk can survive, whatever the camera wrote. HEIC/HEIF and AVIF are accepted
when the installed Pillow can open them and are stored as JPEG.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 60_000_000
THUMB_SIZE = (480, 480)
# Pillow format → stored format. HEIF needs a plugin (pillow-heif); AVIF is built in.
ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "MPO": "JPEG", "HEIF": "JPEG", "AVIF": "JPEG"}
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
            image = ImageOps.exif_transpose(image)  # orientation applied to the pixels
            image.load()
    except ImageRejected:
        raise
    except _UNREADABLE as exc:
        raise ImageRejected("The file is not a readable image.") from exc
    fmt = ACCEPTED[source_format]
    if fmt == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    # Pixels only: a new image carries none of the original's info, EXIF or text chunks.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    stored = _encode(clean, fmt)
    thumb = clean.convert("RGB")
    thumb.thumbnail(THUMB_SIZE)
    return ProcessedImage(
        data=stored,
        thumbnail=_encode(thumb, "JPEG"),
        content_type=CONTENT_TYPES[fmt],
        extension="jpg" if fmt == "JPEG" else "png",
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(stored).hexdigest(),
    )
