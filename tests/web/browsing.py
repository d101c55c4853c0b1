"""What the browser tests share: Debian's Chromium driven by Playwright, a phone-sized viewport, the real
server over the seeded database, and signing a seeded staff member in.

The fixtures themselves (``browser``, one per module, and ``base_url``) are in conftest.py.
"""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def phone(browser: Any) -> Any:
    """A new page in a fresh phone-sized context (its own cookies: one person)."""
    return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1).new_page()


def sign_in(page: Any, base_url: str, username: str) -> None:
    """Signs a seeded staff member in through the login form."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username}-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not url.startswith(f"{base_url}/login"))


def staff_page(browser: Any, base_url: str, username: str) -> Any:
    """A desktop page with ``username`` signed in."""
    page = browser.new_context().new_page()
    sign_in(page, base_url, username)
    return page


def fill(page: Any, ticks: tuple[str, ...] = (), **typed: str) -> None:
    """Ticks the boxes and buttons labelled ``ticks`` and types into fields by label, as a person would.
    Field labels are given as keywords keyed by their start (``name="Sam"`` fills "Your name, ...")."""
    for text in ticks:
        page.get_by_label(text).check()
    for start, value in typed.items():
        page.get_by_label(REQUEST_FIELDS.get(start, start)).fill(value)


# The request form's fields by a short name, for ``fill``.
REQUEST_FIELDS = {
    "name": "Your name, as staff can call you",
    "contact": "How staff can reach you",
    "note": "Anything staff should know (optional)",
}
