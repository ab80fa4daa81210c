"""Photo strip at the byte level, and decoding memory bounded for large images.

The stored bytes are parsed (JPEG segments, PNG chunks, WebP RIFF chunks) rather than
re-opened with Pillow, because Pillow silently skips segments it does not understand.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap

import pytest
from PIL import Image, ImageCms, features
from PIL.PngImagePlugin import PngInfo

from mesocare.outcomes.imaging import MAX_DECODED_PIXELS, process_image

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'exif:GPSLatitude="45,27.8N" tiff:Make="SecretPhone"/></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
COMMENT = b"patient at 12 Secret Street"


def exif_bytes() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretPhone"  # Make
    exif[0x0112] = 6  # Orientation
    exif[0x8825] = {1: "N", 2: (45.0, 27.0, 50.0)}  # GPS
    return exif.tobytes()


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the scan data."""
    assert data[:2] == b"\xff\xd8"
    pos, segments = 2, []
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        if marker == 0xD9:
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        pos += 2 + length
    return segments


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        kinds.append(kind)
        pos += 12 + length
    return kinds


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    pos, kinds = 12, []
    while pos < len(data):
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        kinds.append(kind)
        pos += 8 + length + (length & 1)
    return kinds


def assert_clean(data: bytes) -> None:
    if data[:2] == b"\xff\xd8":
        for marker, payload in jpeg_segments(data):
            assert marker != 0xFE, "JPEG comment survived"
            if 0xE1 <= marker <= 0xEF:  # APP1 (EXIF/XMP) … APP15; APP0 is plain JFIF
                raise AssertionError(f"APP{marker - 0xE0} segment survived: {payload[:20]!r}")
            if marker == 0xE0:
                assert payload.startswith(b"JFIF\x00"), payload[:20]
    elif data[:4] == b"\x89PNG":
        kinds = set(png_chunks(data))
        assert not kinds & {b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"eXIf", b"tIME", b"sRGB"}, kinds
    elif data[:4] == b"RIFF":
        assert not set(webp_chunks(data)) & {b"ICCP", b"EXIF", b"XMP "}
    else:
        raise AssertionError("unknown format")
    for secret in (b"SecretPhone", COMMENT, b"xmpmeta", ICC[-64:]):
        assert secret not in data


def dirty_jpeg(mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (64, 48), "white" if mode != "CMYK" else (0, 0, 0, 0)).save(
        buf, "JPEG", exif=exif_bytes(), icc_profile=ICC, comment=COMMENT, xmp=XMP
    )
    return buf.getvalue()


def dirty_png(mode: str = "RGBA") -> bytes:
    info = PngInfo()
    info.add_text("Comment", COMMENT.decode())
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Location", "SecretPhone", zip=True)  # zTXt
    buf = io.BytesIO()
    Image.new(mode, (64, 48)).save(buf, "PNG", pnginfo=info, icc_profile=ICC, exif=exif_bytes())
    return buf.getvalue()


def dirty_webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(
        buf, "WEBP", exif=exif_bytes(), icc_profile=ICC, xmp=XMP
    )
    return buf.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_every_jpeg_metadata_segment_is_gone(mode):
    source = dirty_jpeg(mode)
    markers = {marker for marker, _ in jpeg_segments(source)}
    assert {0xE1, 0xE2, 0xFE} <= markers  # the input really carries EXIF/XMP, ICC, comment
    processed = process_image(source)
    assert_clean(processed.data)
    assert_clean(processed.thumbnail)


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "P"])
def test_every_png_metadata_chunk_is_gone(mode):
    source = dirty_png(mode)
    assert {b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"eXIf"} <= set(png_chunks(source))
    processed = process_image(source)
    assert processed.content_type == "image/png"
    assert_clean(processed.data)
    assert_clean(processed.thumbnail)


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_every_webp_metadata_chunk_is_gone():
    source = dirty_webp()
    assert {b"ICCP", b"EXIF", b"XMP "} <= set(webp_chunks(source))
    processed = process_image(source)
    assert processed.content_type == "image/jpeg"
    assert_clean(processed.data)
    # The orientation was applied to the pixels: 64×48 rotated a quarter turn.
    assert (processed.width, processed.height) == (48, 64)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_images_beyond_the_pixel_budget_are_stored_downscaled_and_upright(fmt):
    image = Image.new("RGB", (4800, 3600), "white")
    image.paste((255, 0, 0), (0, 0, 1200, 3600))  # a red band on the left
    buf = io.BytesIO()
    image.save(buf, fmt, exif=exif_bytes())  # orientation 6: turn a quarter clockwise
    processed = process_image(buf.getvalue())
    assert processed.width * processed.height <= MAX_DECODED_PIXELS
    assert (processed.width, processed.height) == (1800, 2400)
    stored = Image.open(io.BytesIO(processed.data)).convert("RGB")
    r, g, b = stored.getpixel((900, 100))  # the red band is now on top
    assert r > 200 and g < 60 and b < 60


MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from mesocare.outcomes.imaging import process_image
    data = open(sys.argv[1], "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    processed = process_image(data)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_kib": after - before, "size": [processed.width, processed.height]}))
    """
)


MAKE = textwrap.dedent(
    """
    import sys
    from PIL import Image
    side, fmt, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    gray = Image.linear_gradient("L").resize((side, side))
    turned = gray.transpose(Image.Transpose.ROTATE_90)
    if fmt == "PNG":
        Image.merge("RGBA", (gray, turned, gray, gray)).save(path, "PNG", compress_level=1)
    else:
        Image.merge("RGB", (gray, turned, gray)).save(path, "JPEG", quality=70)
    """
)


@pytest.mark.parametrize(("fmt", "bound"), [("PNG", 1.45), ("JPEG", 0.8)])
def test_a_7700_pixel_image_is_processed_with_bounded_memory(tmp_path, fmt, bound):
    """A 7,700 px square RGBA PNG is 226 MiB of pixels once decoded: processing it may cost
    about that once plus the stored image (it cost 1.8 times that before the fix). A JPEG
    is decoded at a reduced scale, so it costs less than its full decoded size."""
    side = 7700
    path = tmp_path / f"big.{fmt.lower()}"
    subprocess.run([sys.executable, "-c", MAKE, str(side), fmt, str(path)], check=True)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    measured = json.loads(result.stdout)
    decoded_bytes = side * side * (4 if fmt == "PNG" else 3)
    peak = measured["peak_kib"] * 1024
    assert peak < bound * decoded_bytes, (
        f"peak {peak / 2**20:.0f} MiB for {decoded_bytes / 2**20:.0f} MiB of pixels"
    )
    width, height = measured["size"]
    assert width * height <= MAX_DECODED_PIXELS
