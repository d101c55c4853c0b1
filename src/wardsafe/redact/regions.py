"""The area to hide around a detected face."""

from __future__ import annotations

from wardsafe.detect.faces import FaceBox

# A CenterFace box covers forehead to chin and cheek to cheek. The head around it (hair, ears, the jaw
# of a face turning down) needs more: grow each side by these fractions of the box. Tuned on faces_dev:
# with these, every corner of the face box lies in the filter's fully hidden core; more growth mostly
# adds collateral (hidden background) without protecting more faces.
GROW_SIDE = 0.3
GROW_TOP = 0.35
GROW_BOTTOM = 0.4


def head_region(face: FaceBox, width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel rectangle (x0, y0, x1, y1) to hide for ``face``: the whole head, clipped to a ``width`` x ``height`` frame.

    The filters hide the ellipse inscribed in it; its proportions keep every corner of the face box
    well inside that ellipse. Returns an empty rectangle (x0 == x1 or y0 == y1) when the face is off-frame.
    """
    x0 = face.x0 - GROW_SIDE * face.w
    x1 = face.x1 + GROW_SIDE * face.w
    y0 = face.y0 - GROW_TOP * face.h
    y1 = face.y1 + GROW_BOTTOM * face.h
    # round outwards so that the region never shrinks below the grown box
    left = min(max(int(x0), 0), width)
    top = min(max(int(y0), 0), height)
    right = max(min(int(-(-x1 // 1)), width), left)
    bottom = max(min(int(-(-y1 // 1)), height), top)
    return left, top, right, bottom
