//! The mail reader: any bytes are a `Mail` or `Unreadable`, within its limits, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = postern_mail::read(data);
});
