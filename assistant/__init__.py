"""Reverse Mentoring Coach: grounded, offline-first coaching for reverse-mentoring programs."""

__version__ = "0.1.0"
