//! The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json`.
//!
//! Written out by hand beside the handlers in `api.rs`; a test checks that its paths and
//! methods are exactly the API's routes. What a new report must carry comes from the policies
//! served: each project with a form gets a schema of its own (its slug, its form's field ids
//! with those it requires, its scope categories), so a client reads what the server checks.

use postern_app::openpgp::ENCRYPTED_MESSAGE_BYTES_MAX;
use postern_core::intake::{
    CREDIT_NAME_CHARS_MAX, FIELD_LINE_CHARS_MAX, FIELD_TEXT_BYTES_MAX, OTHER_CATEGORY,
};
use postern_core::policy::FieldKind;
use postern_core::project::Project;
use serde_json::{Map, Value, json};

/// The control characters `intake::validate` refuses inside a value (all but line breaks and
/// tabs), as the inside of an ECMA-262 character class.
const CONTROLS: &str = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f";

/// What `intake::validate` takes as a field's value, as an ECMA-262 pattern: white space at
/// either end (it is trimmed), no control character inside, for a one-line kind one line of at
/// most `FIELD_LINE_CHARS_MAX` characters once trimmed (the limit is in the pattern, since a
/// `maxLength` would count the white space trimmed), and something besides white space when
/// the field is required.
fn value_pattern(one_line: bool, required: bool) -> String {
    line_pattern(one_line.then_some(FIELD_LINE_CHARS_MAX), required)
}

/// The pattern of trimmed text without control characters: one line of at most `chars`
/// characters when given, else any lines.
fn line_pattern(chars: Option<usize>, required: bool) -> String {
    // The ends: white space as Rust trims it (NEL too, which ECMA's \s leaves out).
    let end = "[\\s\\u0085]*";
    let first = format!("[^\\s\\u0085{CONTROLS}]");
    let body = match chars {
        Some(chars) => format!("{first}[^\\r\\n{CONTROLS}]{{0,{}}}", chars - 1),
        None => format!("{first}[^{CONTROLS}]*"),
    };
    if required {
        format!("^{end}{body}{end}$")
    } else {
        format!("^{end}(?:{body})?{end}$")
    }
}

/// The schema of one field of a project's form.
fn field_schema(kind: FieldKind, label: &str, required: bool) -> Value {
    let one_line = matches!(kind, FieldKind::Line | FieldKind::Version | FieldKind::Url);
    let kind_name = FieldKind::ALL
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("text", |(name, _)| *name);
    let mut schema = json!({
        "type": "string",
        "description": label,
        "pattern": value_pattern(one_line, required),
        "x-postern-kind": kind_name,
    });
    if !one_line {
        schema["description"] = json!(format!(
            "{label} (Markdown; at most {} KiB of UTF-8)",
            FIELD_TEXT_BYTES_MAX / 1024
        ));
    }
    if required {
        schema["minLength"] = json!(1);
    }
    if kind == FieldKind::Url {
        schema["description"] = json!(format!("{label}: a web address (https://, or http://)"));
    }
    schema
}

/// The body of `POST /api/v1/reports` for one project: `is_default` when the body may leave
/// out `project`.
fn new_report_schema(project: &Project, is_default: bool) -> Value {
    let form = &project.policy.form.fields;
    let mut fields = Map::new();
    for field in form {
        fields.insert(
            field.id.clone(),
            field_schema(field.kind, &field.label, field.required),
        );
    }
    let required_fields: Vec<&str> = form
        .iter()
        .filter(|f| f.required)
        .map(|f| f.id.as_str())
        .collect();
    let scope = &project.policy.scope;
    let mut categories: Vec<&str> = scope
        .in_scope
        .iter()
        .chain(&scope.out_of_scope)
        .map(|item| item.category.as_str())
        .collect();
    categories.push(OTHER_CATEGORY);
    categories.dedup();
    let mut required = vec!["fields"];
    if !is_default {
        required.push("project");
    }
    let project_description = if is_default {
        "Project slug; this project (the default) when absent."
    } else {
        "Project slug."
    };
    // Absent and null read alike (the body's optional members).
    let mut categories: Vec<Value> = categories.into_iter().map(Value::from).collect();
    categories.push(Value::Null);
    let project_schema = if is_default {
        json!({ "type": ["string", "null"], "enum": [project.slug(), null], "description": project_description })
    } else {
        json!({ "type": "string", "enum": [project.slug()], "description": project_description })
    };
    json!({
        "title": format!("New report for {}", project.name()),
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": {
            "project": project_schema,
            "fields": {
                "type": "object",
                "additionalProperties": false,
                "required": required_fields,
                "properties": fields,
                "description": "The project's report form by field id (its SECURITY.md lists them), each at most once; a key given twice is refused with 400."
            },
            "scope_category": { "type": ["string", "null"], "enum": categories },
            "contact_email": { "anyOf": [
                { "type": "string", "format": "email" },
                { "type": ["string", "null"], "pattern": "^\\s*$", "description": "Empty or null: no address (the case key is the way back)." }
            ] },
            "credit_name": { "type": ["string", "null"], "pattern": line_pattern(Some(CREDIT_NAME_CHARS_MAX), false), "description": "Name to credit, one line; leave out (or null) to stay anonymous." },
            "attachments": { "type": "array", "maxItems": 4, "items": { "$ref": "#/components/schemas/NewAttachment" } },
            "encrypted_message": { "type": ["string", "null"], "maxLength": ENCRYPTED_MESSAGE_BYTES_MAX, "description": "The report as an ASCII-armoured OpenPGP message, encrypted on your machine to the project's key (security.txt's Encryption, or the Web Key Directory): `gpg --encrypt --armor -r ADDRESS`. With it, the form's fields are optional: the decrypted text becomes the description. Armour that cannot be read is refused (422, field encrypted_message); a message for a key this server does not hold is kept sealed as it came, and the answer's `encryption` says so." },
            "openpgp_key": { "type": ["string", "null"], "maxLength": postern_openpgp::KEY_BYTES_MAX, "description": "Your OpenPGP public key, armoured (`gpg --armor --export`): the team's mail to you is encrypted to it, and a signed message is checked against it. Refused when expired, revoked, weaker than RSA 2048 bits, or without an encryption subkey." }
        }
    })
}

/// `NewReport`: one project's schema, or one of several, told apart by `project`.
fn new_report(projects: &[Project]) -> Value {
    let mut variants: Vec<Value> = projects
        .iter()
        .enumerate()
        .filter(|(_, p)| p.policy.offers_report_form())
        .map(|(i, p)| new_report_schema(p, i == 0))
        .collect();
    match variants.len() {
        0 => {
            json!({ "not": {}, "description": "No project served takes reports through Postern's form." })
        }
        1 => variants.remove(0),
        _ => json!({ "oneOf": variants }),
    }
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// The document.
pub fn document(projects: &[Project]) -> Value {
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[a-z2-7]{26}$" }, "description": "The report id returned at submission." });
    let not_found =
        error_response("No such report, or a wrong case key: the two cannot be told apart.");
    let bearer = json!([{ "caseKey": [] }]);
    // Text besides white space, without control characters (`intake::validate_message`).
    let message_pattern = value_pattern(false, true);
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
                        "400": error_response("Malformed JSON, invalid UTF-8, or a key of `fields` given twice (the message names it)."),
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
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["body"], "properties": { "body": { "type": "string", "maxLength": 65536, "pattern": message_pattern, "description": "The message. One that is an ASCII-armoured OpenPGP message (`gpg --encrypt --armor` to the project's key) is decrypted on arrival and its signature checked against the key you gave; one for a key this server does not hold is kept as it came; damaged armour is refused (422, field body)." } } } } } },
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
            },
            "/api/v1/reports/{id}/export": {
                "get": {
                    "summary": "Download everything held about the case: contents, contact, conversation, attachments (base64), deadlines, disclosure, what was erased, erasure requests, and the history of events (without who of the team)",
                    "operationId": "exportReport",
                    "security": bearer,
                    "parameters": [id_param],
                    "responses": {
                        "200": { "description": "The case as JSON, with Content-Disposition: attachment.", "content": { "application/json": { "schema": { "type": "object", "required": ["format", "id", "status", "fields", "messages", "attachments", "erased", "erasure_requests", "history"] } } } },
                        "404": not_found,
                        "429": error_response("Too many case look-ups from this client (an allowance apart from submissions); see Retry-After.")
                    }
                }
            },
            "/api/v1/reports/{id}/erasure-requests": {
                "post": {
                    "summary": "Ask the team to erase your contact (address and credit name) or the report's contents; the team carries it out or refuses with a reason you are told in the conversation",
                    "operationId": "requestErasure",
                    "security": bearer,
                    "parameters": [id_param],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["what"], "properties": { "what": { "type": "string", "enum": ["contact", "contents"] } } } } } },
                    "responses": {
                        "201": { "description": "Sent to the team.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErasureRequest" } } } },
                        "400": error_response("Malformed JSON."),
                        "404": not_found,
                        "413": error_response("Too large."),
                        "415": error_response("Not JSON."),
                        "422": error_response("Not contact or contents, erased already, or a request already waits for an answer."),
                        "429": error_response("Too many submissions; see Retry-After.")
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
                "NewReport": new_report(projects),
                "ErasureRequest": { "type": "object", "required": ["id", "what", "asked_at", "state"], "properties": {
                    "id": { "type": "string" },
                    "what": { "type": "string", "enum": ["contact", "contents"] },
                    "asked_at": { "type": "string", "format": "date-time" },
                    "state": { "type": "string", "enum": ["open", "done", "refused"] },
                    "decided_at": { "type": ["string", "null"], "format": "date-time" }
                } },
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
                    "content_type": { "type": ["string", "null"] },
                    "content_base64": { "type": "string", "contentEncoding": "base64", "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$", "description": "At most 4 MiB once decoded." }
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
                    "track_url": { "type": "string" },
                    "encryption": { "type": ["object", "null"], "description": "How an encrypted report (or your key) arrived; null for a plain report.", "properties": {
                        "state": { "type": "string", "enum": ["decrypted", "undecryptable", "plain"], "description": "undecryptable: no key of this server opens it now; it is kept sealed as it came, and the team sees it." },
                        "signature": { "type": "string", "enum": ["unsigned", "verified", "bad", "unknown_key", "unknown"] },
                        "detail": { "type": "string" }
                    } }
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
