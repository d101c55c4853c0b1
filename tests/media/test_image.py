"""read_image (upright, RGB), write_image (no metadata at all), image_metadata, bombs refused early."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from media import bad_inputs
from wardsafe.errors import InputError
from wardsafe.media.image import MAX_IMAGE_PIXELS, image_metadata, read_image, write_image

# Strings planted in the fixtures' EXIF/XMP/PNG text by make_fixtures.py: none may survive a write.
PLANTED = [b"iPhone", b"Apple", b"F2LXK0QJN7", b"2024:05:01", b"GPS", b"51,29", b"J. Smith", b"Linac", b"Ward 4"]


def test_read_image_applies_exif_orientation(fixtures: Path, truth: dict) -> None:
    upright = read_image(fixtures / "photo_exif.jpg")
    assert upright.shape == (360, 480, 3) and upright.dtype == np.uint8
    with Image.open(fixtures / "photo_exif.jpg") as stored:
        assert stored.size == (360, 480)  # stored sideways
        raw = np.asarray(stored.convert("RGB"))
    # Orientation 6 means "turn 90 degrees clockwise to display": np.rot90 with k=-1.
    assert np.array_equal(upright, np.rot90(raw, k=-1))


@pytest.mark.parametrize("name", ["photo_exif.jpg", "photo.png", "photo.heic"])
def test_read_image_faces_where_truth_says(fixtures: Path, truth: dict, name: str) -> None:
    upright = read_image(fixtures / name)
    # Faces sit where the truth (display coordinates) says: each differs from the plain wall around
    # them, and it would not if the picture came out turned.
    wall = upright[2:12, 2:12].reshape(-1, 3).mean(axis=0)
    for x, y, w, h in truth[name]["boxes"]:
        face = upright[y : y + h, x : x + w].reshape(-1, 3)
        assert np.abs(face - wall).mean() > 35, (name, x, y)


def test_read_image_heic_orientation(fixtures: Path) -> None:
    # The HEIC is stored sideways with a rotation transform; it must come out upright exactly once.
    assert read_image(fixtures / "photo.heic").shape == (240, 320, 3)


@pytest.mark.parametrize("name", ["photo.png", "photo.heic"])
def test_read_image_png_and_heic(fixtures: Path, truth: dict, name: str) -> None:
    pixels = read_image(fixtures / name)
    width, height = truth[name]["size"]
    assert pixels.shape == (height, width, 3) and pixels.dtype == np.uint8
    assert pixels.flags.writeable


@pytest.mark.parametrize("orientation", range(1, 9))
def test_read_image_every_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    from PIL import ImageOps

    stored = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(tmp_path / "o.png", exif=exif)
    with Image.open(tmp_path / "o.png") as image:
        expected = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    got = read_image(tmp_path / "o.png")
    assert np.array_equal(got, expected)
    assert got.flags.writeable and got.flags.c_contiguous


def test_read_image_mirrored_orientation(tmp_path: Path) -> None:
    # Orientation 2 is a horizontal mirror: the pixel on the stored left ends up on the right.
    stored = np.zeros((4, 6, 3), np.uint8)
    stored[:, 0] = 255
    exif = Image.Exif()
    exif[0x0112] = 2
    Image.fromarray(stored).save(tmp_path / "m.png", exif=exif)
    upright = read_image(tmp_path / "m.png")
    assert upright[:, -1].min() == 255 and upright[:, 0].max() == 0


def test_read_image_converts_modes(tmp_path: Path) -> None:
    Image.new("RGBA", (8, 6), (10, 20, 30, 0)).save(tmp_path / "rgba.png")
    Image.new("L", (8, 6), 77).save(tmp_path / "grey.png")
    Image.new("I;16", (8, 6), 65535).save(tmp_path / "deep.png")
    assert read_image(tmp_path / "rgba.png")[0, 0].tolist() == [10, 20, 30]
    assert read_image(tmp_path / "grey.png")[0, 0].tolist() == [77, 77, 77]
    assert read_image(tmp_path / "deep.png")[0, 0].tolist() == [255, 255, 255]


def test_read_image_truncated_is_input_error(tmp_path: Path, fixtures: Path) -> None:
    with pytest.raises(InputError, match="damaged or truncated"):
        read_image(bad_inputs.truncated_jpeg(tmp_path))
    with pytest.raises(InputError, match="damaged or truncated"):
        read_image(bad_inputs.truncated_copy(tmp_path, fixtures / "photo.png", 0.5, "cut.png"))
    with pytest.raises(InputError, match="truncated"):
        read_image(bad_inputs.truncated_copy(tmp_path, fixtures / "photo.heic", 0.6, "cut.heic"))


def test_unrecognised_photo_data(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(InputError, match="x.png: cannot read the PNG image") as caught:
        read_image(tmp_path / "x.png")
    assert str(tmp_path) not in str(caught.value)


@pytest.mark.parametrize("make", [bad_inputs.png_bomb, bad_inputs.jpeg_bomb])
def test_read_image_refuses_bomb(tmp_path: Path, make) -> None:
    with pytest.raises(InputError, match="too large"):
        read_image(make(tmp_path))


@pytest.mark.skipif(sys.platform == "win32", reason="the resource module is Unix-only")
def test_bomb_refused_without_allocating_pixels(tmp_path: Path) -> None:
    # Decoding this valid 30000x30000 PNG would need 900 MB (2.7 GB as RGB). Refusing it in a fresh
    # process must keep that process's peak memory far below that: the pixels were never allocated.
    bomb = bad_inputs.png_bomb(tmp_path)
    # Linux carries the parent's peak (pytest's) into a child, so the child reports its peak on
    # entry and after refusing; only growth between the two counts.
    script = (
        "import resource, sys\n"
        "print('start_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        "from wardsafe.errors import InputError\n"
        "from wardsafe.media.image import read_image\n"
        "try:\n    read_image(sys.argv[1])\nexcept InputError as exc:\n    print('refused:', exc)\n"
        "print('peak_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(bomb)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "refused:" in out.stdout and "too large" in out.stdout
    start = int(out.stdout.split("start_kb")[1].split()[0])
    peak = int(out.stdout.split("peak_kb")[1])
    unit = 1024 * 1024 if sys.platform == "darwin" else 1024  # macOS reports bytes
    grown_mb = (peak - start) / unit
    assert grown_mb < 400, f"memory grew by {grown_mb:.0f} MB"


def test_limit_is_documented_value() -> None:
    assert MAX_IMAGE_PIXELS == 100_000_000


@pytest.mark.parametrize("source", ["photo_exif.jpg", "photo.png", "photo.heic"])
@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".png", ".heic"])
def test_write_image_strips_all_metadata(tmp_path: Path, fixtures: Path, source: str, suffix: str) -> None:
    assert image_metadata(fixtures / source)  # the input carries plenty
    pixels = read_image(fixtures / source)
    out = tmp_path / f"out{suffix}"
    write_image(pixels, out)
    assert image_metadata(out) == {}
    with Image.open(out) as written:
        assert not written.getexif()
        assert not written.info.get("exif") and not written.info.get("xmp") and not written.info.get("icc_profile")
        assert written.size == (pixels.shape[1], pixels.shape[0])
    raw = out.read_bytes()
    for planted in PLANTED:
        assert planted not in raw, planted
    if suffix == ".heic":  # also ask libheif itself: no EXIF/XMP blocks, thumbnails or depth images
        heif = pillow_heif.open_heif(out)
        assert len(heif) == 1 and not heif.info.get("exif") and not heif.info.get("xmp")
        assert not heif.info.get("thumbnails") and not heif.info.get("depth_images") and not heif.info.get("metadata")


def test_write_image_round_trip(tmp_path: Path, fixtures: Path) -> None:
    pixels = read_image(fixtures / "photo_exif.jpg")
    write_image(pixels, tmp_path / "same.png")
    assert np.array_equal(read_image(tmp_path / "same.png"), pixels)  # PNG is lossless
    write_image(pixels, tmp_path / "same.jpg")
    error = np.abs(read_image(tmp_path / "same.jpg").astype(int) - pixels).mean()
    assert error < 3  # JPEG quality 92
    write_image(pixels, tmp_path / "same.heic")
    assert read_image(tmp_path / "same.heic").shape == pixels.shape


def test_write_image_format_follows_suffix(tmp_path: Path) -> None:
    pixels = np.full((10, 12, 3), 128, np.uint8)
    for suffix, image_format in [(".jpg", "JPEG"), (".JPEG", "JPEG"), (".png", "PNG"), (".heif", "HEIF")]:
        write_image(pixels, tmp_path / f"a{suffix}")
        with Image.open(tmp_path / f"a{suffix}") as written:
            assert written.format == image_format


def test_write_image_rejects_other_suffixes_and_shapes(tmp_path: Path) -> None:
    pixels = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(InputError, match="cannot write a photo as .gif"):
        write_image(pixels, tmp_path / "a.gif")
    assert not (tmp_path / "a.gif").exists()
    with pytest.raises(ValueError):
        write_image(np.zeros((4, 4), np.uint8), tmp_path / "a.png")
    with pytest.raises(ValueError):
        write_image(np.zeros((4, 4, 3), np.float32), tmp_path / "a.png")


def test_image_metadata_reports_what_phones_write(fixtures: Path) -> None:
    found = image_metadata(fixtures / "photo_exif.jpg")
    assert found["exif"]["Make"] == "Apple" and found["exif"]["Model"] == "iPhone 13"
    assert found["exif"]["Orientation"] == 6 and found["exif"]["BodySerialNumber"] == "F2LXK0QJN7"
    assert found["gps"]["GPSLatitudeRef"] == "N" and found["gps"]["GPSLatitude"] == [51.0, 29.0, 55.68]
    assert "GPSLatitude" in found["xmp"] and found["comment"] == "Ward 4 bay 2"
    assert "APP1:Exif" in found["app_segments"]
    png = image_metadata(fixtures / "photo.png")
    assert png["text"] == {"Author": "J. Smith", "Location": "Radiotherapy, Linac 3"} and png["gps"]
    heic = image_metadata(fixtures / "photo.heic")
    assert heic["exif"]["Model"] == "iPhone 13" and heic["gps"] and "xmp" in heic


def test_image_metadata_sees_icc_and_iptc(tmp_path: Path) -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    # IPTC-IIM inside a Photoshop APP13 segment: record 2, dataset 80 (by-line) = "J. Smith".
    iim = b"\x1c\x02\x50\x00\x08J. Smith"
    block = b"8BIM\x04\x04\x00\x00" + len(iim).to_bytes(4, "big") + iim
    Image.new("RGB", (8, 8)).save(tmp_path / "a.jpg", icc_profile=icc)
    data = (tmp_path / "a.jpg").read_bytes()
    app13 = b"Photoshop 3.0\x00" + block
    data = data[:2] + b"\xff\xed" + (len(app13) + 2).to_bytes(2, "big") + app13 + data[2:]
    (tmp_path / "a.jpg").write_bytes(data)
    found = image_metadata(tmp_path / "a.jpg")
    assert found["icc_profile"] == len(icc)
    assert found["iptc"]["2:80"] == "J. Smith"


def test_jpeg_with_secondary_pictures(tmp_path: Path) -> None:
    # Phones append MPF pictures (depth or gain maps, even a second full image) to a JPEG: they are
    # reported, and a written output holds only the one redacted picture.
    exif = Image.Exif()
    exif[0x010F] = "samsung"
    Image.new("RGB", (64, 48), "red").save(tmp_path / "multi.jpg", format="MPO", save_all=True,
                                           append_images=[Image.new("RGB", (32, 24), "blue")], exif=exif)
    found = image_metadata(tmp_path / "multi.jpg")
    assert found["extra_images"] == 1 and any(name.startswith("APP2:MP") for name in found["app_segments"])
    assert found["exif"]["Make"] == "samsung"
    pixels = read_image(tmp_path / "multi.jpg")
    assert pixels.shape == (48, 64, 3) and pixels[..., 0].mean() > 200  # the main (red) picture
    write_image(pixels, tmp_path / "out.jpg")
    assert image_metadata(tmp_path / "out.jpg") == {}


# Display P3 primaries adapted to D50 (as in Apple's profile) and sRGB's, as XYZ columns.
_P3_D50 = np.array([[0.515121, 0.291977, 0.157104], [0.241196, 0.692245, 0.066574], [-0.001053, 0.041885, 0.784073]])
_SRGB_D50 = np.array([[0.4360747, 0.3850649, 0.1430804], [0.2225045, 0.7168786, 0.0606169],
                      [0.0139322, 0.0971045, 0.7141733]])


def _p3_like_icc(gamma: float = 2.2) -> bytes:
    """A minimal ICC v2 display profile: Display P3 primaries, a plain gamma curve, D50 white."""
    import struct

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \x00\x00\x00\x00" + s15(x) + s15(y) + s15(z)

    text = b"WardSafe test P3\x00"
    desc = b"desc\x00\x00\x00\x00" + struct.pack(">I", len(text)) + text + b"\x00" * 8 + b"\x00\x00\x00" + b"\x00" * 67
    curve = b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00"
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249))]
    tags += [(sig, xyz(*_P3_D50[:, i])) for i, sig in enumerate((b"rXYZ", b"gXYZ", b"bXYZ"))]
    tags += [(sig, curve) for sig in (b"rTRC", b"gTRC", b"bTRC")]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\x00" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I4sI4s4s4s", size, b"\x00" * 4, 0x02100000, b"mntr", b"RGB ", b"XYZ ") + b"\x00" * 12
    header += b"acsp" + b"\x00" * 24 + b"\x00" * 4 + s15(0.9642) + s15(1.0) + s15(0.8249)
    header += b"\x00" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


def test_read_image_converts_wide_gamut_to_srgb(tmp_path: Path) -> None:
    # Outputs carry no profile and are shown as sRGB, so a Display P3 photo's colours are converted on read.
    colour = np.array([200, 100, 50])
    Image.new("RGB", (8, 8), tuple(colour)).save(tmp_path / "p3.png", icc_profile=_p3_like_icc())
    got = read_image(tmp_path / "p3.png")[4, 4].astype(float)
    linear = (colour / 255) ** 2.2
    srgb_linear = np.clip(np.linalg.solve(_SRGB_D50, _P3_D50 @ linear), 0, 1)
    expected = np.where(srgb_linear <= 0.0031308, 12.92 * srgb_linear, 1.055 * srgb_linear ** (1 / 2.4) - 0.055) * 255
    assert np.abs(got - expected).max() < 4, (got, expected)
    assert got[0] > colour[0] and got[2] < colour[2]  # P3 is more saturated than sRGB
