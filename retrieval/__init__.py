"""GovGuide retrieval package."""
