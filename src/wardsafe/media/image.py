"""Photos in and out: JPEG, PNG and HEIC, read upright, written without any metadata."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import SupportsFloat

import cv2
import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageFile, IptcImagePlugin, UnidentifiedImageError

from wardsafe.errors import InputError
from wardsafe.media.isobmff import missing_bytes
from wardsafe.media.kinds import check_readable_file, sniff_file

# Refuse images above 100 megapixels before decoding them. A phone photo is 12-50 MP (24 MP is
# typical), so this leaves about 4x headroom, while a 100 MP RGB array already takes 300 MB and
# redaction needs a few copies of it. Anything larger is either a camera's rare 200 MP mode (the
# user can export it smaller) or a "decompression bomb": a tiny file that declares a huge canvas
# to exhaust the server's memory.
MAX_IMAGE_PIXELS = 100_000_000

# HEIC support. Thumbnails, depth maps and auxiliary images stay listed (so image_metadata can
# report them) but are never decoded nor written: read_image decodes only the primary picture.
pillow_heif.register_heif_opener()
# The pillow-heif wheels for Linux, macOS and Windows carry libde265 (read) and x265 (write).
HEIC_WRITABLE = bool(pillow_heif.libheif_info().get("HEIF"))

# Pillow format names we accept for reading, and the ones we write per output suffix.
_READ_FORMATS = ["JPEG", "PNG", "HEIF"]
# Pillow calls a JPEG that carries MPF secondary pictures (common on Samsung and iPhone) "MPO".
_JPEG_FORMATS = ("JPEG", "MPO")
_WRITE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".heic": "HEIF", ".heif": "HEIF"}
JPEG_QUALITY = 92
HEIC_QUALITY = 90
# x265's default preset takes about 20 s for a 12 MP photo on 2 cores; "ultrafast" about 2 s.
HEIC_ENCODER_PARAMS = {"preset": "ultrafast"}
# zlib level 1: a 12 MP PNG in about 2 s instead of 4 s, for files about 10% larger.
PNG_COMPRESS_LEVEL = 1

# EXIF orientation value -> degrees clockwise to turn the stored pixels upright.
# 2, 4, 5 and 7 also mirror the image; read_image applies the mirror too.
_ORIENTATION_ROTATION = {1: 0, 2: 0, 3: 180, 4: 180, 5: 270, 6: 90, 7: 90, 8: 270}
_EXIF_ORIENTATION = 0x0112
_SRGB = ImageCms.createProfile("sRGB")


def open_image_header(path: Path) -> Image.Image:
    """Open an image file and read only its header, refusing anything that is not a safe photo.

    Raises :class:`InputError` for a missing or empty file, content that is not a JPEG/PNG/HEIC
    image, or a canvas above :data:`MAX_IMAGE_PIXELS` (checked before any pixel is decoded).
    A PNG named ``.jpg`` is accepted: the content decides how it is decoded.
    """
    path = Path(path)
    check_readable_file(path)
    content = sniff_file(path)
    if content not in ("JPEG image", "PNG image", "HEIC image"):
        raise InputError(f"{path.name}: is not a photo this tool reads (JPEG, PNG or HEIC); its content is {content}")
    if content == "HEIC image" and missing_bytes(path) > 0:
        raise InputError(f"{path.name}: file is truncated; was the copy or download interrupted?")
    with warnings.catch_warnings():
        # Pillow warns between its own limit and twice it; our limit below is the one that counts.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(path, formats=_READ_FORMATS)
        except Image.DecompressionBombError as exc:
            found = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(found.group(1)) if found else None
            raise InputError(_too_large_message(path, pixels)) from None
        except UnidentifiedImageError:
            raise InputError(f"{path.name}: cannot read the {content} (unrecognised or damaged data)") from None
        except (OSError, SyntaxError, ValueError, RuntimeError) as exc:
            raise InputError(f"{path.name}: cannot read the {content} ({_reason(exc)})") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise InputError(f"{path.name}: the image has no pixels")
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise InputError(_too_large_message(path, width * height, (width, height)))
    return image


def _too_large_message(path: Path, pixels: int | None, size: tuple[int, int] | None = None) -> str:
    shown = f"{size[0]}x{size[1]} = " if size else ""
    amount = f" ({shown}{pixels:,} pixels)" if pixels else ""
    return (
        f"{path.name}: image is too large to process safely{amount}; "
        f"the limit is {MAX_IMAGE_PIXELS:,} pixels (possible decompression bomb)"
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8) still to apply to the decoded pixels; 1 when there is none.

    For HEIC the decoder has already applied it (pillow-heif then resets the EXIF value to 1).
    """
    if image.format == "HEIF":
        return 1
    try:
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # a damaged EXIF block must not stop us reading the pixels
        return 1
    return orientation if orientation in _ORIENTATION_ROTATION else 1


def exif_rotation(image: Image.Image) -> int:
    """Degrees clockwise (0/90/180/270) that the image's orientation turns it to display upright.

    For HEIC, whose decoder has already turned the pixels, the original value is reported, so the
    number means the same for every format.
    """
    if image.format == "HEIF":
        return _ORIENTATION_ROTATION.get(image.info.get("original_orientation") or 1, 0)
    return _ORIENTATION_ROTATION[exif_orientation(image)]


def display_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) of the image as displayed, i.e. after its orientation is applied."""
    width, height = image.size
    if image.format == "HEIF":
        return width, height  # pillow-heif reports the size after its transforms
    return (height, width) if exif_rotation(image) in (90, 270) else (width, height)


def read_image(path: Path) -> np.ndarray:
    """Decode a photo into an upright HxWx3 uint8 RGB array.

    EXIF orientation is applied (so the array looks as the phone showed it), colours in an
    embedded ICC profile (e.g. Display P3) are converted to sRGB because the output carries no
    profile, and alpha is dropped. Damaged or truncated image data is an :class:`InputError`.
    """
    path = Path(path)
    image = open_image_header(path)
    try:
        with image:
            image.load()
            orientation = exif_orientation(image)
            pixels = _to_rgb_array(image)
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError, RuntimeError, Image.DecompressionBombError) as exc:
        raise InputError(f"{path.name}: image data is damaged or truncated ({_reason(exc)})") from None
    return _upright(pixels, orientation)


def _upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation to an HxWx3 array; returns a new writable C-contiguous array.

    OpenCV turns a 12 MP array in ~45 ms where Pillow's transpose plus a second conversion take
    ~120 ms: it matters inside the 2 s budget for a 12 MP photo.
    """
    if orientation == 2:
        return cv2.flip(pixels, 1)
    if orientation == 3:
        return cv2.rotate(pixels, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(pixels, 0)
    if orientation == 5:
        return cv2.transpose(pixels)
    if orientation == 6:
        return cv2.rotate(pixels, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(pixels), -1)
    if orientation == 8:
        return cv2.rotate(pixels, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return np.array(pixels, order="C", copy=True)


def _to_rgb_array(image: Image.Image) -> np.ndarray:
    """The decoded image as an HxWx3 uint8 sRGB array (possibly read-only), before orientation."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: Pillow's RGB conversion would clip, so scale down to 8 bits ourselves.
        grey = np.asarray(image).astype(np.uint32)
        peak = 65535 if image.mode.startswith("I;16") else max(int(grey.max()), 1)
        grey8 = (grey * 255 // peak).astype(np.uint8)
        return np.stack([grey8] * 3, axis=-1)
    icc = image.info.get("icc_profile")
    if image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        _convert_to_srgb(image, icc)
    return np.asarray(image)


def _convert_to_srgb(image: Image.Image, icc: bytes) -> None:
    """Convert an RGB image's colours from its embedded profile to sRGB, in place.

    Output photos carry no profile, and viewers take an untagged photo as sRGB; without this an
    iPhone's Display P3 photo would come out dull. An sRGB profile needs no work (most Android
    photos); an unusable profile leaves the values as they are.
    """
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in (ImageCms.getProfileDescription(profile) or "").lower():
            return
        transform = ImageCms.buildTransform(profile, _SRGB, "RGB", "RGB")
        ImageCms.applyTransform(image, transform, inPlace=True)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        pass


def write_image(rgb: np.ndarray, path: Path) -> None:
    """Encode an HxWx3 uint8 RGB array to ``path``, the format chosen by its suffix, with no metadata.

    ``.jpg``/``.jpeg`` are JPEG quality 92, ``.png`` is PNG, ``.heic``/``.heif`` is HEIC (via
    pillow-heif). Nothing from any input is carried over: no EXIF, GPS, XMP, IPTC, ICC profile or
    comment. Writes to ``path`` directly; wrap the call in :func:`atomic_output` for atomicity.
    """
    path = Path(path)
    image_format = _WRITE_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise InputError(f"{path.name}: cannot write a photo as {path.suffix or 'a file without extension'}; "
                         f"use one of {', '.join(sorted(_WRITE_FORMATS))}")
    if image_format == "HEIF" and not HEIC_WRITABLE:
        raise InputError(f"{path.name}: this installation has no HEIC encoder; write a .jpg or .png instead")
    array = np.asarray(rgb)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"write_image needs an HxWx3 uint8 array, got {array.dtype} {array.shape}")
    # A fresh image built from bare pixels has an empty info dict, so no metadata can leak into it.
    image = Image.fromarray(np.ascontiguousarray(array), "RGB")
    if image_format == "JPEG":
        image.save(path, format="JPEG", quality=JPEG_QUALITY)
    elif image_format == "PNG":
        image.save(path, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        image.save(path, format="HEIF", quality=HEIC_QUALITY, enc_params=HEIC_ENCODER_PARAMS)


def image_metadata(path: Path) -> dict:
    """Everything in a photo that describes it rather than shows it; an empty dict means none.

    Keys present only when the file carries them: ``exif`` (tag name -> value, including the
    Exif sub-IFD), ``gps``, ``xmp``, ``iptc``, ``icc_profile`` (its byte size), ``comment``,
    ``text`` (PNG text chunks), ``heif_metadata`` (other HEIF blocks), ``app_segments`` (JPEG APPn
    segments beyond the JFIF/Adobe headers), ``extra_images`` (how many pictures besides the main
    one: MPF secondary images, depth maps, frames). Values are strings or numbers, ready for JSON.
    """
    path = Path(path)
    image = open_image_header(path)
    found: dict = {}
    with image:
        exif = image.getexif()
        tags = {ExifTags.TAGS.get(tag, hex(tag)): _plain(value) for tag, value in exif.items()
                if tag not in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo)}
        tags.update({ExifTags.TAGS.get(tag, hex(tag)): _plain(value)
                     for tag, value in exif.get_ifd(ExifTags.IFD.Exif).items()})
        if tags:
            found["exif"] = tags
        gps = {ExifTags.GPSTAGS.get(tag, hex(tag)): _plain(value)
               for tag, value in exif.get_ifd(ExifTags.IFD.GPSInfo).items()}
        if gps:
            found["gps"] = gps
        info = image.info
        xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
        if xmp:
            found["xmp"] = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp)
        if image.format in _JPEG_FORMATS and isinstance(image, ImageFile.ImageFile):
            iptc = IptcImagePlugin.getiptcinfo(image)
            if iptc:
                found["iptc"] = {f"{key[0]}:{key[1]}": _plain(value) for key, value in iptc.items()}
            segments = [_segment_name(marker, data) for marker, data in getattr(image, "applist", [])]
            extra = [name for name in segments if name not in ("APP0:JFIF", "APP14:Adobe")]
            if extra:
                found["app_segments"] = extra
        extra_images = getattr(image, "n_frames", 1) - 1
        if image.format == "HEIF":
            extra_images += len(info.get("thumbnails") or []) + len(info.get("depth_images") or [])
            extra_images += sum(len(ids) for ids in (info.get("aux") or {}).values())
        if extra_images > 0:  # MPF secondary pictures, HEIC thumbnails/depth/aux images, animation frames
            found["extra_images"] = extra_images
        if info.get("metadata"):  # other HEIF metadata blocks (IPTC, vendor data...)
            found["heif_metadata"] = [str(block.get("type", "?")) for block in info["metadata"]]
        if info.get("icc_profile"):
            found["icc_profile"] = len(info["icc_profile"])
        if info.get("comment"):
            found["comment"] = _plain(info["comment"])
        text = {key: _plain(value) for key, value in getattr(image, "text", {}).items()
                if key != "XML:com.adobe.xmp"} if image.format == "PNG" else {}
        if text:
            found["text"] = text
    return found


def _segment_name(marker: str, data: bytes) -> str:
    # The identifier at the start of an APPn segment says what it holds ("Exif", "http://ns.adobe.com/xap/1.0/").
    ident = data.split(b"\x00", 1)[0][:40].decode("latin-1")
    return f"{marker}:{ident}"


def _plain(value: object) -> object:
    """A JSON-friendly copy of an EXIF/IPTC value."""
    if isinstance(value, bytes):
        text = value.rstrip(b"\x00")
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(value)} bytes>"
        return decoded if decoded.isprintable() else f"<{len(value)} bytes>"
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, (int, str)):
        return value
    if isinstance(value, SupportsFloat):  # IFDRational and friends
        try:
            return float(value)
        except (TypeError, ValueError, ZeroDivisionError):
            pass
    return str(value)
