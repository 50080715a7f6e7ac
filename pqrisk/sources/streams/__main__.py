"""Print the details field tables for docs/sources.md."""

from . import field_tables

print(field_tables())
