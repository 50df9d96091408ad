//! What a reporter submits, checked against the project's report form before anything is stored.
//!
//! The web form and the JSON API both build a `Submission` and call `validate`; a submission
//! that passes is a `ValidSubmission`, whose every field is known to the policy and within its
//! limits. Errors name the field they belong to, so the form can show each next to its input
//! and the API can list them all at once.

use crate::policy::{FieldKind, Policy, check_email};

/// Longest text of a multi-line field, in bytes.
pub const FIELD_TEXT_BYTES_MAX: usize = 64 * 1024;
/// Longest one-line field (title, version, URL), in characters.
pub const FIELD_LINE_CHARS_MAX: usize = 300;
/// Longest credit name, in characters.
pub const CREDIT_NAME_CHARS_MAX: usize = 100;
/// Longest message in a conversation, in bytes.
pub const MESSAGE_BYTES_MAX: usize = 64 * 1024;

/// A report as the reporter sent it, before checking.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// Form field values by field id, in the order received.
    pub fields: Vec<(String, String)>,
    /// The scope category the reporter picked, if any.
    pub scope_category: Option<String>,
    /// Where the team can reach the reporter, if they want to be reached by email.
    pub contact_email: Option<String>,
    /// The name to credit; absent means anonymous.
    pub credit_name: Option<String>,
}

/// A submission that fits the policy's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSubmission {
    /// Non-empty field values, in the form's order.
    pub fields: Vec<(String, String)>,
    /// A category of the policy's scope.
    pub scope_category: Option<String>,
    /// A checked email address.
    pub contact_email: Option<String>,
    /// A one-line name.
    pub credit_name: Option<String>,
}

/// A problem with one input of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field id (`scope`, `contact_email` and `credit_name` for the fixed inputs).
    pub field: String,
    /// What is wrong and what to do, addressed to the reporter.
    pub message: String,
}

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Normalises line endings and trims; `None` for blank text.
fn clean(text: &str) -> Option<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Control characters other than newline and tab have no place in a report.
fn has_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// Checks a submission against a policy's form and scope.
pub fn validate(
    policy: &Policy,
    submission: Submission,
) -> Result<ValidSubmission, Vec<FieldError>> {
    check(policy, submission, true)
}

/// Checks the plain inputs given beside an encrypted message (an OpenPGP message that carries
/// the report): the same limits, but no field is required, since the message holds them.
pub fn validate_encrypted(
    policy: &Policy,
    submission: Submission,
) -> Result<ValidSubmission, Vec<FieldError>> {
    check(policy, submission, false)
}

/// The field a decrypted message becomes: `description` when the form has it, else its
/// first multi-line field, else its first field.
pub fn encrypted_body_field(policy: &Policy) -> &str {
    let fields = &policy.form.fields;
    fields
        .iter()
        .find(|f| f.id == "description")
        .or_else(|| fields.iter().find(|f| f.kind == FieldKind::Text))
        .or(fields.first())
        .map_or("description", |f| f.id.as_str())
}

/// Checks a report a team member records from another channel (a chat, a pull request, a
/// call) against the same form and limits, except that a field the form requires may be left
/// out: the team records what the reporter wrote and cannot invent the rest. At least one field
/// must be given.
pub fn validate_recorded(
    policy: &Policy,
    submission: Submission,
) -> Result<ValidSubmission, Vec<FieldError>> {
    let given = submission.fields.iter().any(|(_, v)| clean(v).is_some());
    let checked = check(policy, submission, false);
    if given {
        return checked;
    }
    let mut errors = checked.err().unwrap_or_default();
    let first = policy
        .form
        .fields
        .first()
        .map_or("title", |f| f.id.as_str());
    errors.insert(
        0,
        error(
            first,
            "give at least one of the form's fields with what the reporter wrote, such as the description",
        ),
    );
    Err(errors)
}

fn check(
    policy: &Policy,
    submission: Submission,
    enforce_required: bool,
) -> Result<ValidSubmission, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut values: Vec<(String, String)> = Vec::new();
    for (id, _) in &submission.fields {
        if !policy.form.fields.iter().any(|f| &f.id == id) {
            let known: Vec<&str> = policy.form.fields.iter().map(|f| f.id.as_str()).collect();
            errors.push(error(
                id,
                format!(
                    "unknown field `{id}`; this project's form has: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    for field in &policy.form.fields {
        let given: Vec<&String> = submission
            .fields
            .iter()
            .filter(|(id, _)| *id == field.id)
            .map(|(_, v)| v)
            .collect();
        if given.len() > 1 {
            errors.push(error(
                &field.id,
                format!("{} was given more than once", field.label),
            ));
            continue;
        }
        let Some(value) = given.first().and_then(|v| clean(v)) else {
            if field.required && enforce_required {
                errors.push(error(&field.id, format!("{} is required", field.label)));
            }
            continue;
        };
        let one_line = matches!(
            field.kind,
            FieldKind::Line | FieldKind::Version | FieldKind::Url
        );
        if one_line && value.contains('\n') {
            errors.push(error(
                &field.id,
                format!("{} must be a single line", field.label),
            ));
        } else if one_line && value.chars().count() > FIELD_LINE_CHARS_MAX {
            errors.push(error(
                &field.id,
                format!(
                    "{} is longer than {FIELD_LINE_CHARS_MAX} characters",
                    field.label
                ),
            ));
        } else if value.len() > FIELD_TEXT_BYTES_MAX {
            errors.push(error(
                &field.id,
                format!(
                    "{} is longer than {} KiB; attach long material as a file instead",
                    field.label,
                    FIELD_TEXT_BYTES_MAX / 1024
                ),
            ));
        } else if has_control(&value) {
            errors.push(error(
                &field.id,
                format!("{} contains control characters", field.label),
            ));
        } else if field.kind == FieldKind::Url
            && crate::policy::check_https_url(&value).is_err()
            && !value.starts_with("http://")
        {
            errors.push(error(
                &field.id,
                format!(
                    "{} must be a web address starting with https://",
                    field.label
                ),
            ));
        } else {
            values.push((field.id.clone(), value));
        }
    }
    let scope_category = submission.scope_category.as_deref().and_then(clean);
    if let Some(category) = &scope_category {
        let scope = &policy.scope;
        let known = scope
            .in_scope
            .iter()
            .chain(&scope.out_of_scope)
            .any(|item| &item.category == category);
        if !known && category != OTHER_CATEGORY {
            errors.push(error(
                "scope",
                format!("\"{category}\" is not one of this project's scope categories; pick one from the list or \"{OTHER_CATEGORY}\""),
            ));
        }
    }
    let contact_email = submission.contact_email.as_deref().and_then(clean);
    if let Some(email) = &contact_email
        && check_email(email).is_err()
    {
        errors.push(error(
            "contact_email",
            "this is not an email address we can write to; leave it empty to stay reachable only through your case key",
        ));
    }
    let credit_name = submission.credit_name.as_deref().and_then(clean);
    if let Some(name) = &credit_name
        && (name.contains('\n')
            || name.chars().count() > CREDIT_NAME_CHARS_MAX
            || has_control(name))
    {
        errors.push(error(
            "credit_name",
            format!(
                "the credit name must be one line of at most {CREDIT_NAME_CHARS_MAX} characters"
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidSubmission {
        fields: values,
        scope_category,
        contact_email,
        credit_name,
    })
}

/// Reads a submission's `fields` from a JSON object (the API's body, `report add --file`): its
/// keys in the order written, each at most once. A key given twice is refused with its name,
/// as the form refuses a field sent twice; a map would keep one of the values without a word.
pub fn fields_once<'de, D>(deserializer: D) -> Result<Vec<(String, String)>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Fields;
    impl<'de> serde::de::Visitor<'de> for Fields {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of field ids and their text")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut fields: Vec<(String, String)> = Vec::new();
            // A set, so that a body of many keys costs no more than reading it.
            let mut seen = std::collections::HashSet::new();
            while let Some((id, value)) = map.next_entry::<String, String>()? {
                if !seen.insert(id.clone()) {
                    return Err(serde::de::Error::custom(format!(
                        "the field `{id}` is given more than once in `fields`; give each field once"
                    )));
                }
                fields.push((id, value));
            }
            Ok(fields)
        }
    }
    deserializer.deserialize_map(Fields)
}

/// The scope choice for a reporter who does not know which category fits.
pub const OTHER_CATEGORY: &str = "other";

/// Checks a conversation message; returns it cleaned.
pub fn validate_message(body: &str) -> Result<String, FieldError> {
    let Some(body) = clean(body) else {
        return Err(error("body", "the message is empty"));
    };
    if body.len() > MESSAGE_BYTES_MAX {
        return Err(error(
            "body",
            format!(
                "the message is longer than {} KiB",
                MESSAGE_BYTES_MAX / 1024
            ),
        ));
    }
    if has_control(&body) {
        return Err(error("body", "the message contains control characters"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_str;

    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(deserialize_with = "fields_once")]
        fields: Vec<(String, String)>,
    }

    #[test]
    fn fields_keep_their_order_and_a_key_given_twice_is_named() {
        let body: Body =
            serde_json::from_str(r#"{"fields": {"title": "a", "description": "b"}}"#).unwrap();
        assert_eq!(
            body.fields,
            [
                ("title".into(), "a".into()),
                ("description".into(), "b".into())
            ]
        );
        let twice = serde_json::from_str::<Body>(r#"{"fields": {"title": "a", "title": "b"}}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(
            twice.contains("the field `title` is given more than once"),
            "{twice}"
        );
        assert!(twice.contains("line 1 column"), "{twice}");
    }

    fn policy() -> Policy {
        let source = r#"
[project]
name = "Acme"
[[channels]]
kind = "web-form"
[[scope.in]]
category = "rce"
title = "Remote code execution"
[[scope.out]]
category = "dos"
title = "Denial of service"
"#;
        parse_str(source, jiff::Timestamp::UNIX_EPOCH)
            .policy
            .unwrap()
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn complete() -> Submission {
        Submission {
            fields: fields(&[
                ("title", "RCE in parser"),
                ("description", "A crafted file runs code.\r\nSecond line."),
                ("impact", "Full compromise"),
                ("steps_to_reproduce", "1. open file"),
            ]),
            scope_category: Some("rce".into()),
            contact_email: Some(" alice@example.org ".into()),
            credit_name: Some("Alice".into()),
        }
    }

    #[test]
    fn a_complete_submission_is_cleaned_and_kept_in_form_order() {
        let valid = validate(&policy(), complete()).unwrap();
        assert_eq!(valid.fields[0], ("title".into(), "RCE in parser".into()));
        assert_eq!(valid.fields[1].1, "A crafted file runs code.\nSecond line.");
        assert_eq!(valid.contact_email.as_deref(), Some("alice@example.org"));
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let mut s = complete();
        s.fields = fields(&[
            ("title", "two\nlines"),
            ("impact", "   "),
            ("nonsense", "x"),
            ("steps_to_reproduce", "ok"),
        ]);
        s.scope_category = Some("sqli".into());
        s.contact_email = Some("nope".into());
        s.credit_name = Some("x".repeat(CREDIT_NAME_CHARS_MAX + 1));
        let errors = validate(&policy(), s).unwrap_err();
        let by_field: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            by_field,
            [
                "nonsense",
                "title",
                "description",
                "impact",
                "scope",
                "contact_email",
                "credit_name"
            ]
        );
        assert_eq!(errors[2].message, "Description is required");
        assert!(
            errors[0]
                .message
                .contains("this project's form has: title, description")
        );
    }

    #[test]
    fn a_recorded_report_keeps_the_form_but_not_its_requirements() {
        let mut s = complete();
        s.fields = fields(&[("description", "Sent as a chat message.")]);
        let valid = validate_recorded(&policy(), s.clone()).unwrap();
        assert_eq!(
            valid.fields,
            fields(&[("description", "Sent as a chat message.")])
        );
        assert!(
            validate(&policy(), s.clone()).is_err(),
            "the public form requires more"
        );
        // The same limits and fields otherwise, and at least one field.
        s.fields.push(("nonsense".into(), "x".into()));
        let errors = validate_recorded(&policy(), s.clone()).unwrap_err();
        assert_eq!(errors[0].field, "nonsense");
        s.fields = fields(&[("title", "  ")]);
        let errors = validate_recorded(&policy(), s).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "title");
        assert!(
            errors[0]
                .message
                .contains("at least one of the form's fields")
        );
    }

    #[test]
    fn limits_hold_at_the_edge() {
        let mut s = complete();
        s.fields
            .push(("proof_of_concept".into(), "a".repeat(FIELD_TEXT_BYTES_MAX)));
        assert!(validate(&policy(), s.clone()).is_ok());
        s.fields.pop();
        s.fields.push((
            "proof_of_concept".into(),
            "a".repeat(FIELD_TEXT_BYTES_MAX + 1),
        ));
        let errors = validate(&policy(), s).unwrap_err();
        assert_eq!(errors[0].field, "proof_of_concept");
        assert!(errors[0].message.contains("64 KiB"));
    }

    #[test]
    fn out_of_scope_and_other_categories_are_accepted_for_triage() {
        for category in ["dos", OTHER_CATEGORY] {
            let mut s = complete();
            s.scope_category = Some(category.into());
            assert!(validate(&policy(), s).is_ok(), "{category}");
        }
    }

    #[test]
    fn messages_are_checked() {
        assert_eq!(validate_message("  hi \r\n there ").unwrap(), "hi \n there");
        assert!(validate_message(" \n ").is_err());
        assert!(validate_message("a\u{0007}b").is_err());
        assert!(validate_message(&"a".repeat(MESSAGE_BYTES_MAX + 1)).is_err());
    }
}
