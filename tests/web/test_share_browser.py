"""Safe-share's whole journey in real headless Chromium against the real server and its job pool, on a
phone-sized page: upload a clip under a permit, wait, keep one person, release, download; the downloaded
file shows that person's face and hides every other. A staff member named on the permit sees the copy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from wardsafe.config import Settings
from wardsafe.jobs.local import LocalQueue
from wardsafe.permits.model import DecisionKind, Media, Purpose
from wardsafe.store.service import NewRequest, PermissionService
from wardsafe.web import create_app
from web.browsing import PHONE, sign_in
from web.live import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURES = Path(__file__).parents[1] / "fixtures"
CLIP = FIXTURES / "clip.mp4"  # 3 faces in separate lanes, with per-frame truth boxes
JOB_WAIT_MS = 240_000
# Mean absolute difference (grey levels) over a face (the middle of its truth box), original against the copy:
# re-encoding alone stays well under VISIBLE; a blurred face is far above HIDDEN.
VISIBLE, HIDDEN = 6.0, 12.0


@pytest.fixture
def share_url(service: PermissionService, tmp_path: Path) -> Iterator[str]:
    """The real server with its in-process job pool, as `wardsafe serve` runs it."""
    queue = LocalQueue(service, workers=1)
    app = create_app(Settings(data_dir=tmp_path / "data"), service=service, queue=queue)
    with running_server(app) as url:
        app.state.web.public_url = url
        yield url
    queue.stop()


def _permit(service: PermissionService, staff_ids: dict[str, int]) -> tuple[str, str]:
    created = service.create_request(NewRequest(
        area_id="radiotherapy-1", media=[Media.VIDEO], purpose=Purpose.PERSONAL_RECORD, patient_name="Sam",
        contact="07700 900123", staff=["alice", "bob"],
    ))  # fmt: skip
    service.decide(staff_ids["alice"], created.request.code, DecisionKind.AGREE)
    service.decide(staff_ids["bob"], created.request.code, DecisionKind.AGREE)
    return created.token, created.request.code


def _wait_for_review(page: Any) -> None:
    """The page reloads itself while the job runs; wait until it says the copy is ready."""
    page.get_by_test_id("recording-state").filter(has_text="Ready for you to check").wait_for(timeout=JOB_WAIT_MS)


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def _gray_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(np.float64) for f in container.decode(video=0)]


def test_upload_keep_release_download_on_a_phone(
    browser: Any, share_url: str, service: PermissionService, staff_ids: dict[str, int], tmp_path: Path
) -> None:
    token, code = _permit(service, staff_ids)
    patient = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    patient.goto(f"{share_url}/r/{token}")
    patient.set_input_files("#file", str(CLIP))
    patient.get_by_role("button", name="Upload and make it safe").click()
    patient.wait_for_url(re.compile(r"/r/[^/]+/recordings/[A-Za-z0-9_-]+$"))
    _wait_for_review(patient)
    _no_sideways_scroll(patient)
    assert patient.locator(".previews img").count() >= 1
    people = patient.locator("label.person")
    assert people.count() >= 2, "each face in the clip is offered as a person to keep"
    assert patient.locator("label.person img").first.evaluate("img => img.naturalWidth > 0")
    assert "Face" in patient.get_by_test_id("hidden-table").inner_text()

    # Keep the first person: the copy is made again, back to review with that box ticked.
    kept_label = people.first.inner_text().split("\n")[0].strip()
    people.first.locator("input").check()
    patient.get_by_role("button", name=re.compile("keeping the ticked people visible")).click()
    _wait_for_review(patient)
    assert patient.locator("label.person input").first.is_checked()

    # A staff member named on the permit sees the copy before release.
    staff = browser.new_context().new_page()
    sign_in(staff, share_url, "alice")
    staff.goto(f"{share_url}/staff/requests/{code}")
    assert "Ready for you to check" in staff.locator("section", has_text="Safe copies").inner_text()

    patient.get_by_role("link", name="Release it").click()
    patient.get_by_role("button", name="Yes, release it").click()
    assert "You released this safe copy" in patient.get_by_test_id("released-notice").inner_text()
    _no_sideways_scroll(patient)
    with patient.expect_download() as download:
        patient.get_by_test_id("download").click()
    saved = tmp_path / "safe.mp4"
    download.value.save_as(saved)

    # The downloaded copy: exactly one of the clip's faces (the one kept) is visible, the others hidden.
    truth = json.loads((FIXTURES / "truth.json").read_text())["clip.mp4"]["boxes"]
    before, after = _gray_frames(CLIP), _gray_frames(saved)
    assert len(before) == len(after)
    visible: dict[int, int] = {}
    seen: dict[int, int] = {}
    for frame, boxes in enumerate(truth):
        for face, (x, y, w, h) in enumerate(boxes):
            # the face itself: its box less a fifth on each side (hair, ears and background)
            x, y, w, h = x + w // 5, y + h // 5, w - 2 * (w // 5), h - 2 * (h // 5)
            diff = np.abs(before[frame][y:y + h, x:x + w] - after[frame][y:y + h, x:x + w]).mean()
            seen[face] = seen.get(face, 0) + 1
            if diff < VISIBLE:
                visible[face] = visible.get(face, 0) + 1
            else:
                assert diff > HIDDEN or face in visible, f"face {face} on frame {frame} is neither kept nor hidden"
    kept = [face for face, n in visible.items() if n >= 0.9 * seen[face]]
    assert len(kept) == 1, (kept_label, visible, seen)
    assert all(n <= 0.1 * seen[face] for face, n in visible.items() if face not in kept), visible

    staff.reload()
    assert "Released" in staff.locator("section", has_text="Safe copies").inner_text()
    with staff.expect_download() as copy:
        staff.get_by_role("link", name="Download the safe copy").click()
    assert Path(copy.value.path()).read_bytes() == saved.read_bytes()
