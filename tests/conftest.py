"""Shared fixtures: see tests/services.py for the skip-locally / fail-in-CI rule."""
