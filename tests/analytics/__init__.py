"""Tests of cryptodesk.analytics."""
