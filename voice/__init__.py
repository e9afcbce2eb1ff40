"""GovGuide voice package."""
