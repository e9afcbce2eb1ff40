"""GovGuide graph package."""
