"""video_metadata/identifying_tags: phone tags are seen in the input and absent after a clean write."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from wardsafe.errors import InputError
from wardsafe.media.metadata import identifying_tags, video_metadata

VIDEOS = ["clip.mp4", "clip_rot90.mp4", "clip_vfr.mp4", "clip_hevc.mov"]


@pytest.mark.parametrize("name", VIDEOS)
def test_fixture_videos_carry_phone_tags(fixtures: Path, name: str) -> None:
    meta = video_metadata(fixtures / name)
    tags = meta["container"]
    assert tags["location"] == "+51.4988-000.1180/"
    assert tags["com.apple.quicktime.location.ISO6709"].startswith("+51.4988")
    assert tags["make"] == "Apple" and tags["model"] == "iPhone 13"
    assert tags["creation_time"].startswith("2024-05-01")
    assert [s["type"] for s in meta["streams"]] == ["video", "audio"]
    assert meta["streams"][0]["tags"]["creation_time"].startswith("2024-05-01")
    found = identifying_tags(meta)
    for key in ("container:location", "container:make", "container:model", "container:creation_time",
                "container:com.apple.quicktime.software", "stream0:creation_time"):
        assert key in found, key
    assert "container:major_brand" not in found and "container:encoder" not in found


def test_a_clean_remux_has_no_identifying_tags(tmp_path: Path, fixtures: Path) -> None:
    # What a careful writer does: copy the streams, set no tags. Proves the check can pass.
    out = tmp_path / "clean.mp4"
    with av.open(str(fixtures / "clip.mp4")) as src, av.open(str(out), "w") as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux(list(src.streams)):
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            dst.mux(packet)
    assert identifying_tags(video_metadata(out)) == {}


def test_identifying_tags_fail_closed() -> None:
    meta = {"container": {"major_brand": "isom", "encoder": "Lavf62", "com.samsung.android.utc_offset": "+0100"},
            "streams": [{"index": 0, "type": "video", "tags": {"vendor_id": "appl", "handler_name": "Core Media"}}]}
    # Unknown tags count, and a vendor id that names a maker counts too.
    assert identifying_tags(meta) == {"container:com.samsung.android.utc_offset": "+0100", "stream0:vendor_id": "appl"}


def test_video_metadata_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.mp4").write_text("hello")
    with pytest.raises(InputError):
        video_metadata(tmp_path / "x.mp4")
    with pytest.raises(InputError, match="not found"):
        video_metadata(tmp_path / "none.mp4")
