"""GovGuide corpus package."""
