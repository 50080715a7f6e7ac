"""Fast bulk writes for the pipeline's many rows, with Django's semantics where it matters.

``insert_objects`` is ``bulk_create`` that, on PostgreSQL, streams the rows with ``COPY``
(primary keys taken from the table's sequence first, so the objects have them afterwards,
as with ``bulk_create``). Django 5.2's ``bulk_create`` on PostgreSQL sends each column as
an array, and psycopg escapes every text element of an array with a regular expression in
Python: for screened items (text, evidence JSON) that costs more than screening them did
(benchmarks/bench_screen_db.py). Elsewhere (SQLite) it is ``bulk_create``.

The values are prepared as Django would, but plain values of the common field kinds (text,
integers, foreign keys, booleans, floats, JSON) skip Django's per-value preparation, which
costs more per row than the rest of the insert; anything else takes Django's way.

``ids_without`` finds the rows a step has not handled yet above a floor, by id ranges.

``update_rows`` writes chosen fields of many rows with one prepared UPDATE run per row
(``executemany``), where ``bulk_update`` builds a CASE expression per field and row.

Neither sends signals or calls ``save`` (as ``bulk_create`` and ``bulk_update``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import orjson
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Field,
    FloatField,
    ForeignKey,
    IntegerField,
    JSONField,
    Model,
    QuerySet,
    TextField,
)

M = TypeVar("M", bound=Model)


def _fields(model: type[Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    return [cast("Field[Any, Any]", model._meta.get_field(name)) for name in names]


def _slow(field: Field[Any, Any]) -> Callable[[Model], Any]:
    def value(obj: Model) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    return value


def _fast(field: Field[Any, Any], plain: tuple[type, ...]) -> Callable[[Model], Any]:
    """The attribute itself when it is None or of an exact ``plain`` type, else Django's way."""
    attname, slow = field.attname, _slow(field)

    def value(obj: Model) -> Any:
        v = getattr(obj, attname)
        return v if v is None or type(v) in plain else slow(obj)

    return value


def _json(field: JSONField[Any]) -> Callable[[Model], Any]:
    """JSON text for the COPY (None is SQL NULL, as Django stores it); Django's way for a
    value orjson cannot write."""
    attname, slow = field.attname, _slow(field)

    def value(obj: Model) -> Any:
        v = getattr(obj, attname)
        if v is None:
            return None
        try:
            return orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            return slow(obj)

    return value


def _preparer(field: Field[Any, Any]) -> Callable[[Model], Any]:
    """How ``insert_objects`` takes ``field``'s value from an object."""
    if type(field).pre_save is not Field.pre_save:  # auto_now, files …: Django's way
        return _slow(field)
    if isinstance(field, JSONField):
        return _json(field) if field.encoder is None else _slow(field)
    if isinstance(field, ForeignKey):
        target = field.target_field
        return _fast(field, (int,)) if isinstance(target, IntegerField) else _slow(field)
    if isinstance(field, BooleanField):
        return _fast(field, (bool,))
    if isinstance(field, IntegerField):
        return _fast(field, (int,))
    if isinstance(field, FloatField):
        return _fast(field, (float, int))
    if isinstance(field, CharField | TextField):
        return _fast(field, (str,))
    return _slow(field)


def insert_objects(objs: Sequence[M]) -> list[M]:
    """Insert ``objs`` (all of one model, primary keys unset); return them with their keys."""
    if not objs:
        return []
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [cast("Field[Any, Any]", f) for f in meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    columns = ", ".join(qn(str(c)) for c in [pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        # The driver's cursor bypasses Django's error translation: restore it, so that a
        # constraint violation is an IntegrityError here too.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            values = [_preparer(f) for f in fields]
            for obj, ident in zip(objs, ids, strict=True):
                obj.pk = ident
                copy.write_row([ident, *(value(obj) for value in values)])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def update_rows(model: type[Model], names: Sequence[str], objs: Sequence[Model]) -> None:
    """Write the fields ``names`` of ``objs`` (stored rows of ``model``)."""
    if not objs:
        return
    fields = _fields(model, names)
    qn = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    sets = ", ".join(f"{qn(str(f.column))} = %s" for f in fields)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {sets} WHERE {qn(pk.column)} = %s"
    rows = [
        [*(f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields), o.pk]
        for o in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def ids_without(
    rows: QuerySet[Any],
    handled: QuerySet[Any],
    link: str,
    *,
    after: int,
    limit: int | None = None,
    page: int = 5000,
) -> list[int]:
    """Ids of ``rows`` above ``after``, in order, with no row in ``handled`` whose ``link``
    (an id column) names them; at most ``limit``.

    Read a page of ids at a time by range from both tables rather than by an anti-join:
    while a table grows by thousands of rows a minute its statistics lag behind, and the
    planner then hashes all of the other table to find the few new rows (measured: 90 ms a
    call at 100,000 items, growing). Two index range reads a page cost what the page holds.
    """
    out: list[int] = []
    low = after
    while limit is None or len(out) < limit:
        ids = list(rows.filter(pk__gt=low).order_by("pk").values_list("pk", flat=True)[:page])
        if not ids:
            break
        high = ids[-1]
        done = set(
            handled.filter(**{f"{link}__gt": low, f"{link}__lte": high}).values_list(
                link, flat=True
            )
        )
        out.extend(i for i in ids if i not in done)
        low = high
    return out if limit is None else out[:limit]
