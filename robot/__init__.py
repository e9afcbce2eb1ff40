"""GovGuide robot package."""
