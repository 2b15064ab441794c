"""Page numbers and page sizes as the OpenAPI document states them: whole numbers in range, or a 400.

DRF's ``PageNumberPagination`` reads ``?page=`` (empty) as page 1 and ``?page=abc`` as a 404
"invalid page": an empty or malformed number is bad input, and its answer should say so.
A page past the end stays a 404. The same goes for ``?page_size=`` where a list offers it
(a subclass sets ``page_size_query_param`` and ``max_page_size``): DRF quietly falls back to
the default size for a bad one and cuts a large one to the maximum, so a client would get
another page than it asked for without being told.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


def _whole_number(raw: str, *, maximum: int | None = None) -> bool:
    return raw.isascii() and raw.isdigit() and int(raw) >= 1 and (maximum is None or int(raw) <= maximum)


class StrictPageNumberPagination(PageNumberPagination):
    """``?page=N`` with N a whole number from 1 (and ``?page_size=``, where offered, within its range)."""

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        if not _whole_number(raw):
            raise ValidationError({self.page_query_param: ["A page number is a whole number from 1."]})
        return raw

    def get_page_size(self, request: Any) -> int | None:
        raw = request.query_params.get(self.page_size_query_param) if self.page_size_query_param else None
        if raw is None:
            return self.page_size
        if not _whole_number(raw, maximum=self.max_page_size):
            most = f" to {self.max_page_size}" if self.max_page_size else ""
            raise ValidationError({self.page_size_query_param: [f"A page size is a whole number from 1{most}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                bounds = {"minimum": 1, **({"maximum": self.max_page_size} if self.max_page_size else {})}
                parameter["schema"] = {**parameter["schema"], **bounds}
        return parameters
