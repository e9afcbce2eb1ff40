"""GovGuide: a grounded assistant for government service centres."""

__version__ = "0.1.0"
