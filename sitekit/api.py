"""The REST API of a model whose writes go through services, written once for every site.

A view validates the input serializer, calls the site's service and shows the output
serializer (HackSoft's shape). Subclasses name the two serializers and the three service
calls; reads are DRF's, with ``QuickRetrieveMixin``'s one-row read.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from sitekit.retrieve import QuickRetrieveMixin


class ServiceModelViewSet(QuickRetrieveMixin, viewsets.ModelViewSet):
    """List, read, create, change and delete one model; every write is a service call.

    ``serializer_class`` shows objects, ``input_serializer_class`` checks what clients send
    (``create_input_serializer_class``, when given, what they send to create one); the OpenAPI
    document says so for each subclass.
    """

    input_serializer_class: ClassVar[type[Serializer]]
    create_input_serializer_class: ClassVar[type[Serializer] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "input_serializer_class" in cls.__dict__:
            creates = cls.create_input_serializer_class or cls.input_serializer_class
            extend_schema_view(
                create=extend_schema(request=creates, responses={201: cls.serializer_class}),
                update=extend_schema(request=cls.input_serializer_class, responses=cls.serializer_class),
            )(cls)

    def service_create(self, data: dict[str, Any]) -> Model:
        """Create the object from validated input."""
        raise NotImplementedError

    def service_update(self, instance: Model, data: dict[str, Any]) -> Model:
        """Change ``instance`` with validated input (only the fields sent, for PATCH)."""
        raise NotImplementedError

    def service_delete(self, instance: Model) -> None:
        """Delete ``instance``."""
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        creates = self.create_input_serializer_class or self.input_serializer_class
        instance = self.service_create(self._valid_input(request, partial=False, serializer_class=creates))
        return Response(self.serializer_class(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        data = self._valid_input(request, partial=kwargs.get("partial", False))
        return Response(self.serializer_class(self.service_update(instance, data)).data)

    def perform_destroy(self, instance: Model) -> None:
        self.service_delete(instance)

    def _valid_input(
        self, request: Request, *, partial: bool, serializer_class: type[Serializer] | None = None
    ) -> dict[str, Any]:
        serializer = (serializer_class or self.input_serializer_class)(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
