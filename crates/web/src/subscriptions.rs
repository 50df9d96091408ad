//! Advisories by email, for anyone: the subscription form's answer, the confirmation page, and
//! the unsubscribe page with its RFC 8058 one-click POST.
//!
//! A link in a mail only ever shows a page: confirming and unsubscribing are POSTs, so mail
//! scanners that follow links change nothing. The one-click unsubscribe POST needs no session,
//! cookie or form token (RFC 8058 requires that; the token in the address is the proof), and
//! the subscription form answers the same whether or not the address is subscribed already.
//! The tokens ride in the path of these addresses (the one exception to "no secret in a URL",
//! because a mail link must carry them); the pages are not cached and send no referrer.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_store::StoreError;
use postern_store::subscriptions::{CONFIRM_VALID, SubscriptionRequest, TokenState};
use serde::Deserialize;

use crate::error::Error;
use crate::forms::token::check_token_aged;
use crate::intake::ClientIp;
use crate::nav::{Nav, Section};
use crate::state::AppState;

/// What the form tokens of the subscription form are bound to (it serves every project).
pub(crate) const FORM_PURPOSE: &str = "subscribe";

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/advisories/subscribe", subscribe_form)
        .post("/advisories/subscribe", subscribe)
        .get("/subscriptions/confirm/{token}", confirm_page)
        .post("/subscriptions/confirm/{token}", confirm)
        .get("/unsubscribe/{token}", unsubscribe_page)
        .post("/unsubscribe/{token}", unsubscribe)
}

/// The address the form posts to, opened in a browser (a reload, a shared link): the form
/// itself is on the advisories page.
async fn subscribe_form() -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/advisories#subscribe")],
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "subscription.html")]
struct Page {
    title: String,
    nav: Nav,
    message: String,
    /// (action, button, hidden List-Unsubscribe field) of the page's one form, if any.
    form: Option<(String, &'static str, bool)>,
}

fn answer(
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: String,
    form: Option<(String, &'static str, bool)>,
) -> Response {
    let mut response = (
        status,
        Page {
            title: title.to_owned(),
            nav: Nav::new(state, Section::Advisories, None),
            message,
            form,
        },
    )
        .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn project_name(state: &AppState, slug: &str) -> String {
    state
        .project(slug)
        .map_or_else(|| slug.to_owned(), |p| p.policy.project.name.clone())
}

#[derive(Deserialize)]
struct SubscribeForm {
    #[serde(default)]
    project: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    website: String,
}

/// The one answer to every accepted request, whatever the address's state.
fn check_your_mail(state: &AppState, project: &str) -> Response {
    answer(
        state,
        StatusCode::OK,
        "Check your mail",
        format!(
            "If the address you gave can receive mail, a link to confirm your subscription to the advisories of {} is on its way; it works for {} days. Nothing is sent to you until you confirm, and if the address is subscribed already, nothing changes.",
            project_name(state, project),
            CONFIRM_VALID.as_hours() / 24
        ),
        None,
    )
}

async fn subscribe(
    State(state): State<AppState>,
    client: ClientIp,
    form: Form<SubscribeForm>,
) -> Result<Response, Error> {
    state
        .take_submission(client.0)
        .map_err(Error::TooManyRequests)?;
    let form = form.0;
    let project = if form.project.is_empty() {
        state.default_project().slug().to_owned()
    } else {
        state
            .project(&form.project)
            .ok_or_else(|| Error::BadRequest("There is no such project.".into()))?
            .slug()
            .to_owned()
    };
    if !form.website.trim().is_empty() {
        tracing::info!("a subscription form with a filled honeypot was ignored");
        return Ok(check_your_mail(&state, &project));
    }
    check_token_aged(&state, FORM_PURPOSE, &form.form_token, state.limits().form_seconds_min)
        .map_err(|_| {
            Error::BadRequest(
                "This form has expired or was sent too fast. Reload the advisories page and subscribe again.".into(),
            )
        })?;
    let email = form.email.trim();
    if let Err(why) = postern_core::policy::check_email(email) {
        return Err(Error::BadRequest(format!(
            "The address {why}. Go back and correct it."
        )));
    }
    match state
        .store()
        .request_subscription(&project, email, state.now())
        .await
    {
        Ok(
            SubscriptionRequest::ConfirmationQueued
            | SubscriptionRequest::AlreadySubscribed
            | SubscriptionRequest::TooSoon,
        ) => {}
        // A full list must not tell a visitor which addresses are on it either.
        Err(StoreError::Limit(why)) => tracing::warn!(%why, "a subscription was refused"),
        Err(e) => return Err(Error::Unexpected(e.into())),
    }
    Ok(check_your_mail(&state, &project))
}

fn bad_confirmation(app: &AppState, state: TokenState) -> Response {
    let (status, message) = match state {
        TokenState::Expired => (
            StatusCode::GONE,
            "This confirmation link has expired. Subscribe again from the advisories page; you will get a new link.",
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "This confirmation link is not valid: it was used already, replaced by a newer one, or mistyped. Subscribe again from the advisories page if you still want the advisories.",
        ),
    };
    answer(app, status, "Link not valid", message.to_owned(), None)
}

async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let checked = state
        .store()
        .confirmation(&token, state.now())
        .await
        .map_err(|e| Error::Unexpected(e.into()))?;
    let TokenState::Valid { project } = checked else {
        return Ok(bad_confirmation(&state, checked));
    };
    Ok(answer(
        &state,
        StatusCode::OK,
        "Confirm your subscription",
        format!(
            "Press the button to get new security advisories of {} by email. Every mail has a link to unsubscribe.",
            project_name(&state, &project)
        ),
        Some((
            format!("/subscriptions/confirm/{token}"),
            "Confirm subscription",
            false,
        )),
    ))
}

async fn confirm(
    State(state): State<AppState>,
    client: ClientIp,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    state
        .take_submission(client.0)
        .map_err(Error::TooManyRequests)?;
    let confirmed = state
        .store()
        .confirm_subscription(&token, state.now())
        .await
        .map_err(|e| Error::Unexpected(e.into()))?;
    let TokenState::Valid { project } = confirmed else {
        return Ok(bad_confirmation(&state, confirmed));
    };
    Ok(answer(
        &state,
        StatusCode::OK,
        "Subscribed",
        format!(
            "You will get new security advisories of {} by email. Every mail has a link to unsubscribe.",
            project_name(&state, &project)
        ),
        None,
    ))
}

fn not_subscribed(state: &AppState) -> Response {
    answer(
        state,
        StatusCode::NOT_FOUND,
        "Not subscribed",
        "This unsubscribe link names no subscription: you are unsubscribed already, or the link is mistyped. No more advisories are sent through it.".into(),
        None,
    )
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let checked = state
        .store()
        .unsubscription(&token)
        .await
        .map_err(|e| Error::Unexpected(e.into()))?;
    let TokenState::Valid { project } = checked else {
        return Ok(not_subscribed(&state));
    };
    Ok(answer(
        &state,
        StatusCode::OK,
        "Unsubscribe",
        format!(
            "Press the button to stop getting the security advisories of {} by email.",
            project_name(&state, &project)
        ),
        Some((format!("/unsubscribe/{token}"), "Unsubscribe", true)),
    ))
}

/// RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click` to the address in
/// the mail's header, without cookies. The body is not needed (the page's button sends the
/// same field), so any form encoding works.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let ended = state
        .store()
        .unsubscribe(&token, state.now())
        .await
        .map_err(|e| Error::Unexpected(e.into()))?;
    let TokenState::Valid { project } = ended else {
        return Ok(not_subscribed(&state));
    };
    Ok(answer(
        &state,
        StatusCode::OK,
        "Unsubscribed",
        format!(
            "You will get no more security advisories of {} by email. Your address was deleted.",
            project_name(&state, &project)
        ),
        None,
    ))
}
