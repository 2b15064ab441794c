"""The OpenAPI schema names the error answers each operation can give."""

from __future__ import annotations

from sitekit.openapi import COMPONENTS, document_error_responses, error_responses

LIST = {"parameters": [{"name": "page", "in": "query"}], "responses": {"200": {}}}
FILTERED_LIST = {"parameters": [{"name": "page", "in": "query"}, {"name": "status", "in": "query"}], "responses": {}}
CREATE = {"requestBody": {}, "responses": {"201": {}}}
DELETE = {"parameters": [{"name": "id", "in": "path"}], "responses": {"204": {}}}


def test_it_documents_validation_permission_and_size_errors_for_a_write_with_a_body():
    assert sorted(error_responses("post", CREATE)) == ["400", "401", "403", "413", "415", "503"]


def test_it_documents_404_where_an_id_or_a_page_number_is_given_and_400_for_query_values_or_bodies():
    assert sorted(error_responses("get", LIST)) == ["400", "401", "404", "503"]  # a malformed page number
    assert sorted(error_responses("get", FILTERED_LIST)) == ["400", "401", "404", "503"]
    assert sorted(error_responses("delete", DELETE)) == ["401", "403", "404", "503"]


def test_it_keeps_what_the_view_documents_and_adds_the_error_bodies():
    documented = {"description": "Refused for a reason of its own"}
    schema = {"paths": {"/x/{id}/": {"parameters": [], "delete": {**DELETE, "responses": {"404": documented}}}}}

    result = document_error_responses(schema, None, None, True)

    responses = result["paths"]["/x/{id}/"]["delete"]["responses"]
    assert responses["404"] is documented
    assert responses["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorDetail"}
    assert COMPONENTS.items() <= result["components"]["schemas"].items()
