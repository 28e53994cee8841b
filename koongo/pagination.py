"""Default API pagination: cursor pages, newest first."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Stable cursor pages, newest first; ids only grow, so no row is skipped or repeated between pages."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200
