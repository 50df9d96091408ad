//! The CVSS vector reader: any text is a rating or an error, and the calculator's reading of
//! it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(vector) = std::str::from_utf8(data) {
        let _ = postern_core::cvss::rate(vector);
        let _ = postern_core::cvss::chosen_values(vector);
    }
});
