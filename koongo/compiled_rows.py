"""A `values()` query compiled once per shape and run again with new values: for hot, fixed-shape list queries.

Django builds and compiles a queryset on every call. For the API order list's lines (one query, two joins, fifty ids)
that was about a third of the page's database CPU, while the SQL changes only with how many ids it takes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

_MAX_SHAPES = 256  # a page holds at most a few hundred ids: one compiled statement per length in use


class CompiledRows:
    """`build(**arguments)` returns a values() queryset whose parameters are exactly those arguments (an int, or a
    list of ints); calling this runs its SQL with new arguments, compiled once for each list length.

    Every parameter of the compiled SQL must come from an argument, so a scoped manager (whose tenant filter would
    be compiled in as a constant) or any other constant is refused when the shape is compiled: tenancy is an argument.
    """

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._shapes: dict[tuple, tuple] = {}

    def __call__(self, **arguments) -> list[dict]:
        shape = tuple((name, len(value) if isinstance(value, list | tuple) else None) for name, value in sorted(arguments.items()))
        compiled = self._shapes.get(shape) or self._compile(shape)
        alias, sql, slots, names, converters = compiled
        params = [arguments[name] if index is None else arguments[name][index] for name, index in slots]
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:  # what the ORM applies to these columns on this database (none for the lines on PostgreSQL)
            rows = [list(row) for row in rows]
            for row in rows:
                for position, (functions, expression) in converters:
                    for convert in functions:
                        row[position] = convert(row[position], expression, connection)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _compile(self, shape: tuple) -> tuple:
        # Probe values that cannot be real ids: each compiled parameter is traced back to its argument.
        probes, slots_of = {}, {}
        next_probe = -1_000_000_007
        for name, length in shape:
            indexes = [None] if length is None else list(range(length))
            for index in indexes:
                probes.setdefault(name, []).append(next_probe)
                slots_of[next_probe] = (name, index)
                next_probe -= 1
        queryset = self._build(**{name: values[0] if length is None else values for (name, length), values in zip(shape, probes.values(), strict=True)})
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        unknown = [param for param in params if param not in slots_of]
        if unknown:
            raise ValueError(f"CompiledRows: parameters {unknown!r} do not come from the arguments (a scoped manager or a constant?)")
        query = queryset.query
        # The column names as ValuesIterable reads them.
        names = list(query.selected) if query.selected else [*query.extra_select, *query.values_select, *query.annotation_select]
        converters = list(compiler.get_converters([column for column, _sql, _alias in compiler.select]).items())
        compiled = (queryset.db, sql, [slots_of[param] for param in params], names, converters)
        if len(self._shapes) >= _MAX_SHAPES:
            self._shapes.clear()
        self._shapes[shape] = compiled
        return compiled
