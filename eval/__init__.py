"""GovGuide eval package."""
