//! The policy decoder: any bytes are a policy or located diagnostics, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now: jiff::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
    let checked = postern_core::policy::parse(data, now);
    // A policy that checks renders.
    if let Some(policy) = checked.policy {
        let _ = policy.offers_report_form();
    }
});
