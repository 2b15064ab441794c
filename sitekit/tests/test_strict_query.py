"""The API is as strict as its OpenAPI document: blank or malformed query values and form bodies are refused."""

from __future__ import annotations

import re

from django.test import TestCase

from sitekit.openapi import NOT_BLANK
from sitekit.testing import SignedInMixin


class StrictQueryTests(SignedInMixin, TestCase):
    def test_a_blank_filter_is_a_400_naming_it_not_the_whole_list(self):
        response = self.client.get("/api/workflows/?status=")

        self.assertEqual(response.status_code, 400)
        self.assertIn("status", response.json())

    def test_a_page_number_is_a_whole_number_from_1(self):
        for page in ("", "0", "-1", "1.5", "abc"):
            response = self.client.get(f"/api/workflows/?page={page}")
            self.assertEqual((response.status_code, list(response.json())), (400, ["page"]), page)
        self.assertEqual(self.client.get("/api/workflows/?page=1").status_code, 200)
        self.assertEqual(self.client.get("/api/workflows/?page=9").status_code, 404)  # past the end

    def test_form_bodies_are_refused_as_the_schema_offers_json_only(self):
        response = self.client.post("/api/workflows/", {"name": "A", "building_id": "1"})

        self.assertEqual(response.status_code, 415)

    def test_the_schema_states_the_page_minimum_and_that_text_holds_no_nul_nor_only_spaces(self):
        schema = self.client.get("/api/schema/?format=json").json()

        page = next(p for p in schema["paths"]["/api/workflows/"]["get"]["parameters"] if p["name"] == "page")
        name = schema["components"]["schemas"]["WorkflowInputRequest"]["properties"]["name"]
        self.assertEqual(page["schema"]["minimum"], 1)
        self.assertEqual(name["pattern"], NOT_BLANK)
        not_blank = re.compile(NOT_BLANK.encode().decode("unicode_escape"))
        self.assertTrue(not_blank.match(" Boiler room "))
        refused = [chr(code) for code in range(0x3001) if chr(code).isspace() or code == 0]  # what DRF strips, NUL
        self.assertEqual([hex(ord(c)) for c in refused if not_blank.match(c * 3)], [])
        blank = self.client.post(
            "/api/workflows/", {"name": "\u2003", "building_id": 1}, content_type="application/json"
        )
        self.assertEqual(blank.status_code, 400)
        self.assertEqual(
            list(schema["paths"]["/api/workflows/"]["post"]["requestBody"]["content"]), ["application/json"]
        )
