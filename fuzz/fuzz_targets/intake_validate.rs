//! The intake validator, behind the API's body reader: any JSON body's `fields` (read as the
//! API reads them, each key once) and other members checked against the example policy.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use postern_core::intake::{Submission, fields_once, validate};
use postern_core::policy::Policy;

#[derive(serde::Deserialize)]
struct Body {
    #[serde(default, deserialize_with = "fields_once")]
    fields: Vec<(String, String)>,
    scope_category: Option<String>,
    contact_email: Option<String>,
    credit_name: Option<String>,
}

/// The example policy, read once.
fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let now: jiff::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        postern_core::policy::parse(include_bytes!("../../examples/policies/example.toml"), now)
            .policy
            .expect("the example policy checks")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Body>(data) else {
        return;
    };
    let _ = validate(
        policy(),
        Submission {
            fields: body.fields,
            scope_category: body.scope_category,
            contact_email: body.contact_email,
            credit_name: body.credit_name,
        },
    );
});
