"""GovGuide dialogue package."""
