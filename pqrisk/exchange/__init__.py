"""Exchange of records with other regulators and consumer organisations (docs/exchange.md)."""
