/*
 * The operator's actions from a row, through the REST API with the session's CSRF token:
 * acknowledge, shelve (a reason, and a duration or until it clears), unshelve, assign,
 * unassign and comment. The API answers the alarm as it is now, which the page shows at once
 * (every other open page gets it from the live feed); a refusal (409) or bad input (400) is
 * shown under the row in the API's own words.
 */

import { showError } from "./rows.js";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** The API's reason for a refusal: ``detail`` (403, 409), or each field's errors (400). */
async function refusal(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    return `the server answered ${response.status}`;
  }
  if (body && typeof body.detail === "string") return body.detail;
  if (body && typeof body === "object") {
    const parts = Object.entries(body).map(([field, errors]) => {
      const text = Array.isArray(errors) ? errors.join(" ") : String(errors);
      return field === "non_field_errors" ? text : `${field}: ${text}`;
    });
    if (parts.length) return parts.join("; ");
  }
  return `the server answered ${response.status}`;
}

/** What to send for a form's action; null when the form is not filled in. */
function bodyOf(form) {
  const data = new FormData(form);
  switch (form.dataset.action) {
    case "shelve": {
      const minutes = data.get("minutes");
      const reason = String(data.get("reason") || "").trim();
      return minutes === "cleared" ? { reason } : { reason, minutes: Number(minutes) };
    }
    case "assign":
      return { assignee: String(data.get("assignee") || "").trim() };
    case "comment":
      return { text: String(data.get("text") || "").trim() };
    default:
      return {};
  }
}

/**
 * Handle the action buttons and forms of every row inside ``container``. ``applied(alarm)``
 * gets the alarm the API answered.
 */
export function wireActions(container, { apiPath, applied }) {
  async function act(row, action, body, control) {
    control.disabled = true;
    showError(row, "");
    try {
      const response = await fetch(`${apiPath}${row.dataset.alarmId}/${action}/`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        showError(row, `Not done: ${await refusal(response)}`);
        return false;
      }
      applied(await response.json());
      return true;
    } catch (error) {
      showError(row, `Not done: ${error.message}`);
      return false;
    } finally {
      control.disabled = false;
    }
  }

  container.addEventListener("click", (event) => {
    const toggle = event.target.closest('[data-toggle="actions"]');
    const row = event.target.closest(".alarm");
    if (toggle && row) {
      const panel = row.querySelector(".actions");
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) panel.querySelector("input:not([hidden])")?.focus();
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (button && row && !button.disabled) act(row, button.dataset.action, {}, button);
  });

  container.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-action]");
    const row = form?.closest(".alarm");
    if (!form || !row) return;
    event.preventDefault();
    if (await act(row, form.dataset.action, bodyOf(form), form.querySelector("button"))) form.reset();
  });
}

/** The shelve durations to choose from, up to the site's longest: [value, label]. */
export function shelveChoices(maxMinutes) {
  const timed = [[15, "15 minutes"], [60, "1 hour"], [240, "4 hours"], [480, "8 hours"]].filter(([m]) => m <= maxMinutes);
  if (!timed.some(([m]) => m === maxMinutes)) timed.push([maxMinutes, `${maxMinutes} minutes`]);
  return [...timed.map(([m, label]) => [String(m), label]), ["cleared", "Until it clears"]];
}
