//! The signed form token: an HMAC of the form's purpose and the moment the form was shown, so
//! that a post which comes too soon (a bot) or too late (a stale page) is refused without
//! anything stored. The report form, the team's sign-in pages (as their CSRF token, with no
//! minimum age) and the subscription form share it.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use crate::state::AppState;

fn token_mac(state: &AppState, project: &str, issued_ms: i64) -> Vec<u8> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(state.form_secret()).expect("any key length");
    mac.update(format!("postern form v1\0{project}\0{issued_ms}").as_bytes());
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn issue_token(state: &AppState, project: &str) -> String {
    let issued = state.now().as_millisecond();
    format!(
        "{issued}.{}",
        data_encoding::HEXLOWER.encode(&token_mac(state, project, issued))
    )
}

/// Checks a form token; the error is shown to the person, whose text is kept.
pub(super) fn check_token(state: &AppState, project: &str, token: &str) -> Result<(), String> {
    check_token_aged(state, project, token, state.limits().form_seconds_min)
}

/// Checks a form token that must be at least `seconds_min` old.
pub(crate) fn check_token_aged(
    state: &AppState,
    project: &str,
    token: &str,
    seconds_min: i64,
) -> Result<(), String> {
    let reload = "This form has expired. Your text is kept below: check it and send it again.";
    let (issued, mac) = token.split_once('.').ok_or(reload)?;
    let issued: i64 = issued.parse().map_err(|_| reload)?;
    let mac = data_encoding::HEXLOWER
        .decode(mac.as_bytes())
        .map_err(|_| reload)?;
    let expected = token_mac(state, project, issued);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&mac[..], &expected[..])) {
        return Err(reload.to_owned());
    }
    let age = (state.now().as_millisecond() - issued) / 1000;
    let limits = state.limits();
    if age < seconds_min {
        return Err("That was very fast. Please check your report and send it again.".into());
    }
    if age > limits.form_seconds_max {
        return Err(reload.to_owned());
    }
    Ok(())
}
