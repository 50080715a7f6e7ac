"""The knowledge graph on the Django side: load the database into the core's plain records
(``build``), answer the JSON API (``api``) and show the graph page (``views``).

A plain package, not an app: it has no models; the graph is rebuilt from the records."""
