"""GovGuide api package."""
