"""The web app: patient request pages, staff inbox and decisions, governance pages and the JSON API."""

from wardsafe.web.app import create_app

__all__ = ["create_app"]
