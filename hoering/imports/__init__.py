"""Importers of real consultation data."""
