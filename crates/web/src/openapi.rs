//! The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json`.
//!
//! Written out by hand beside the handlers in `api.rs`; a test checks that its paths and
//! methods are exactly the API's routes.

use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// The document.
pub fn document() -> Value {
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[a-z2-7]{26}$" }, "description": "The report id returned at submission." });
    let not_found =
        error_response("No such report, or a wrong case key: the two cannot be told apart.");
    let bearer = json!([{ "caseKey": [] }]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Postern reporter API",
            "version": "1",
            "description": "Submit a vulnerability report privately, then follow it and talk to the team with the case key returned once at submission. The case key goes only in the Authorization header."
        },
        "paths": {
            "/api/v1/reports": {
                "post": {
                    "summary": "Submit a report",
                    "description": "Postern's form as JSON: served for a project whose policy lists a `web-form` channel.",
                    "operationId": "createReport",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewReport" } } } },
                    "responses": {
                        "201": { "description": "Stored durably. Keep the case key: it is shown only now.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Created" } } } },
                        "400": error_response("Malformed JSON or invalid UTF-8."),
                        "413": error_response("The body is larger than the limit named in the message."),
                        "404": error_response("The project's policy takes no reports through Postern's form (it lists no `web-form` channel); `error` names the channels it does offer."),
                        "415": error_response("The body is not application/json."),
                        "422": error_response("Fields are missing or invalid; `fields` lists each."),
                        "429": error_response("Too many submissions; see Retry-After.")
                    }
                }
            },
            "/api/v1/reports/{id}": {
                "get": {
                    "summary": "The reporter's view of a report",
                    "operationId": "getReport",
                    "security": bearer,
                    "parameters": [id_param],
                    "responses": {
                        "200": { "description": "Status, promised deadlines, the submission, the conversation.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ReporterView" } } } },
                        "404": not_found,
                        "429": error_response("Too many case look-ups from this client (an allowance apart from submissions); see Retry-After.")
                    }
                }
            },
            "/api/v1/reports/{id}/messages": {
                "post": {
                    "summary": "Send a message to the team",
                    "operationId": "addMessage",
                    "security": bearer,
                    "parameters": [id_param],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["body"], "properties": { "body": { "type": "string", "maxLength": 65536 } } } } } },
                    "responses": {
                        "201": { "description": "Stored.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Message" } } } },
                        "400": error_response("Malformed JSON."),
                        "404": not_found,
                        "413": error_response("Too large."),
                        "415": error_response("Not JSON."),
                        "422": error_response("Empty or too long."),
                        "429": error_response("Too many submissions; see Retry-After.")
                    }
                }
            },
            "/api/v1/reports/{id}/disclosure-requests": {
                "post": {
                    "summary": "Propose a disclosure date; the team accepts or declines it on the record",
                    "operationId": "requestDisclosureDate",
                    "security": bearer,
                    "parameters": [id_param],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["date"], "properties": { "date": { "type": "string", "description": "A day (2027-01-31, 00:00 UTC) or an RFC 3339 moment." }, "reason": { "type": "string", "maxLength": 4096 } } } } } },
                    "responses": {
                        "201": { "description": "Sent to the team.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DisclosureRequest" } } } },
                        "400": error_response("Malformed JSON."),
                        "404": not_found,
                        "413": error_response("Too large."),
                        "415": error_response("Not JSON."),
                        "422": error_response("Not a date, in the past, beyond the policy's maximum embargo, or a proposal already waits for an answer."),
                        "429": error_response("Too many submissions; see Retry-After.")
                    }
                }
            },
            "/api/v1/projects/{slug}/scans": {
                "post": {
                    "summary": "Import a scanner's report (for CI)",
                    "description": "Trivy JSON, pip-audit, cargo-audit, osv-scanner, npm audit (npm 7+), Dependabot alerts (GraphQL vulnerabilityAlerts) or SARIF 2.1.0, told apart by content. Send the report as the body with ?product=NAME&version=V, or a JSON body {product, version, report}. Findings new to this product and version open, those still there stay, those gone close as fixed, fixed ones that return reopen; importing the same report again changes nothing. One transaction: a failed import changes nothing.",
                    "operationId": "importScan",
                    "security": [{ "apiToken": [] }],
                    "parameters": [
                        { "name": "slug", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The project; the token must be made for it." },
                        { "name": "product", "in": "query", "required": false, "schema": { "type": "string", "maxLength": 200 }, "description": "The product scanned (with version, or both in the JSON body)." },
                        { "name": "version", "in": "query", "required": false, "schema": { "type": "string", "maxLength": 200 }, "description": "The version or ref scanned: a release line or branch." }
                    ],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "description": "The scanner's report itself (with the query), or the envelope.", "oneOf": [ { "type": ["object", "array", "null"] }, { "$ref": "#/components/schemas/ScanEnvelope" } ] } } } },
                    "responses": {
                        "200": { "description": "Imported.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ScanImported" } } } },
                        "400": error_response("Neither the query nor the envelope names the product and version."),
                        "401": error_response("No token, or one unknown, expired or revoked."),
                        "403": error_response("The token is for other projects, or lacks the scans:write scope; the message says which (a token's own projects are no secret to its holder, and project slugs are public)."),
                        "413": error_response("The report is over 128 MiB."),
                        "422": error_response("The report cannot be read (`fields[0].field` is `report`: an unknown format with the keys recognised, truncated JSON with its line and column), or the product or version is invalid.")
                    }
                }
            },
            "/api/v1/reports/{id}/attachments": {
                "post": {
                    "summary": "Add attachments (proof of concept, logs)",
                    "operationId": "addAttachments",
                    "security": bearer,
                    "parameters": [id_param],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["attachments"], "properties": { "attachments": { "type": "array", "maxItems": 4, "items": { "$ref": "#/components/schemas/NewAttachment" } } } } } } },
                    "responses": {
                        "201": { "description": "Stored.", "content": { "application/json": { "schema": { "type": "object", "properties": { "attachments": { "type": "array", "items": { "$ref": "#/components/schemas/Attachment" } } } } } } },
                        "400": error_response("Malformed JSON."),
                        "404": not_found,
                        "413": error_response("Too large."),
                        "415": error_response("Not JSON."),
                        "422": error_response("Too many, too large, or not base64."),
                        "429": error_response("Too many submissions; see Retry-After.")
                    }
                }
            },
            "/api/v1/reports/{id}/attachments/{attachment}": {
                "get": {
                    "summary": "Download an attachment",
                    "operationId": "getAttachment",
                    "security": bearer,
                    "parameters": [id_param, { "name": "attachment", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": {
                        "200": { "description": "The bytes, as application/octet-stream with Content-Disposition: attachment.", "content": { "application/octet-stream": { "schema": { "type": "string", "contentEncoding": "binary" } } } },
                        "404": not_found,
                        "429": error_response("Too many case look-ups from this client (an allowance apart from submissions); see Retry-After.")
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {
                "caseKey": { "type": "http", "scheme": "bearer", "description": "The case key returned at submission, such as pk-abcd-efgh-..." },
                "apiToken": { "type": "http", "scheme": "bearer", "description": "A team's API token (pst_...), made with `postern token create` or on /team/tokens, scoped to projects and actions." }
            },
            "schemas": {
                "ScanEnvelope": { "type": "object", "additionalProperties": false, "required": ["product", "version", "report"], "properties": {
                    "product": { "type": "string" }, "version": { "type": "string" }, "report": { "description": "The scanner's report as it wrote it." }
                } },
                "ScanImported": { "type": "object", "required": ["import", "format", "findings", "new", "unchanged", "closed", "reopened", "version_support", "warnings"], "properties": {
                    "import": { "type": "string" },
                    "format": { "type": "string", "enum": ["trivy", "trivy-kubernetes", "trivy-legacy", "pip-audit", "pip-audit-legacy", "cargo-audit", "osv-scanner", "npm-audit", "dependabot", "sarif", "empty"] },
                    "findings": { "type": "integer" }, "new": { "type": "integer" }, "unchanged": { "type": "integer" }, "closed": { "type": "integer" }, "reopened": { "type": "integer" },
                    "version_support": { "type": "string", "enum": ["supported", "unsupported", "not-listed"] },
                    "warnings": { "type": "array", "items": { "type": "string" } }
                } },
                "Error": { "type": "object", "required": ["error", "fields"], "properties": {
                    "error": { "type": "string" },
                    "fields": { "type": "array", "items": { "type": "object", "required": ["field", "message"], "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } }
                } },
                "NewAttachment": { "type": "object", "additionalProperties": false, "required": ["filename", "content_base64"], "properties": {
                    "filename": { "type": "string" },
                    "content_type": { "type": "string" },
                    "content_base64": { "type": "string", "contentEncoding": "base64", "description": "At most 4 MiB once decoded." }
                } },
                "NewReport": { "type": "object", "additionalProperties": false, "required": ["fields"], "properties": {
                    "project": { "type": "string", "description": "Project slug; the default project when absent." },
                    "fields": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Values of the project's report form by field id (see its SECURITY.md); required fields must be present." },
                    "scope_category": { "type": "string" },
                    "contact_email": { "type": "string", "format": "email" },
                    "credit_name": { "type": "string", "maxLength": 100, "description": "Name to credit; leave out to stay anonymous." },
                    "attachments": { "type": "array", "maxItems": 4, "items": { "$ref": "#/components/schemas/NewAttachment" } }
                } },
                "Deadline": { "type": "object", "additionalProperties": false, "required": ["kind", "description", "promised", "starts", "started_at", "target", "due", "status", "resolved_at"], "properties": {
                    "kind": { "type": "string", "enum": ["acknowledge", "assess", "plan", "fix", "release", "disclose"] },
                    "description": { "type": "string" },
                    "promised": { "type": "string", "description": "The policy's words for the time: \"48 hours\", \"1-2 weeks\", or, for a promise with no set time, its own words such as \"within a reasonable time\"." },
                    "starts": { "type": "string", "enum": ["receipt", "acknowledgement", "triage"], "description": "The event the promise is counted from." },
                    "started_at": { "type": "string", "format": "date-time", "description": "When that event happened. For a promise with no set time, its age is counted from here." },
                    "target": { "type": ["string", "null"], "format": "date-time", "description": "What the team aims for (earlier than due when the policy gave a range); null for a promise with no set time." },
                    "due": { "type": ["string", "null"], "format": "date-time", "description": "The promised limit; null for a promise with no set time." },
                    "status": { "type": "string", "enum": ["open", "met", "missed", "kept"], "description": "open while the clock runs; met or missed once a timed promise was kept or broken; kept once a promise with no set time was kept (it is never met or missed)." },
                    "resolved_at": { "type": ["string", "null"], "format": "date-time", "description": "When the promise was kept (or found broken)." }
                } },
                "Created": { "type": "object", "required": ["id", "case_key", "project", "status", "received_at", "deadlines", "track_url"], "properties": {
                    "id": { "type": "string" },
                    "case_key": { "type": "string", "description": "Shown once; stored only as a keyed hash." },
                    "project": { "type": "string" },
                    "status": { "type": "string" },
                    "received_at": { "type": "string", "format": "date-time" },
                    "deadlines": { "type": "array", "items": { "$ref": "#/components/schemas/Deadline" } },
                    "track_url": { "type": "string" }
                } },
                "Message": { "type": "object", "required": ["author", "at", "body"], "properties": {
                    "author": { "type": "string", "enum": ["reporter", "team"] },
                    "at": { "type": "string", "format": "date-time" },
                    "body": { "type": "string" }
                } },
                "Attachment": { "type": "object", "required": ["id", "filename", "content_type", "size"], "properties": {
                    "id": { "type": "string" }, "filename": { "type": "string" }, "content_type": { "type": "string" }, "size": { "type": "integer" }
                } },
                "ReporterView": { "type": "object", "required": ["id", "project", "status", "status_description", "received_at", "deadlines", "fields", "messages", "attachments"], "properties": {
                    "id": { "type": "string" },
                    "project": { "type": "string" },
                    "status": { "type": "string", "enum": ["received", "acknowledged", "triaged", "fixing", "fixed", "disclosed", "closed"] },
                    "status_description": { "type": "string" },
                    "received_at": { "type": "string", "format": "date-time" },
                    "deadlines": { "type": "array", "items": { "$ref": "#/components/schemas/Deadline" } },
                    "fields": { "type": "object", "additionalProperties": { "type": "string" } },
                    "scope_category": { "type": ["string", "null"] },
                    "contact_email": { "type": ["string", "null"] },
                    "credit_name": { "type": ["string", "null"] },
                    "messages": { "type": "array", "items": { "$ref": "#/components/schemas/Message" } },
                    "attachments": { "type": "array", "items": { "$ref": "#/components/schemas/Attachment" } },
                    "disclosure": { "description": "The advisory about this report, once drafted (GET only).", "type": ["object", "null"], "properties": {
                        "advisory": { "type": "string" },
                        "scheduled_for": { "type": ["string", "null"], "format": "date-time", "description": "When the embargo ends and the advisory publishes itself." },
                        "published_at": { "type": ["string", "null"], "format": "date-time" },
                        "url": { "type": ["string", "null"] }
                    } },
                    "disclosure_terms": { "description": "The disclosure date agreed with the team, and your proposals (GET only).", "type": "object", "properties": {
                        "agreed": { "type": ["string", "null"], "format": "date-time" },
                        "requests": { "type": "array", "items": { "$ref": "#/components/schemas/DisclosureRequest" } }
                    } }
                } },
                "DisclosureRequest": { "type": "object", "required": ["asked_for", "asked_at", "state"], "properties": {
                    "asked_for": { "type": "string", "format": "date-time" },
                    "asked_at": { "type": "string", "format": "date-time" },
                    "state": { "type": "string", "enum": ["open", "accepted", "declined"] },
                    "decided_at": { "type": ["string", "null"], "format": "date-time" }
                } }
            }
        }
    })
}
