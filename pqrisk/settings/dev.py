"""Laptop / demo shape: SQLite under ./var unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F403

DEBUG = True
