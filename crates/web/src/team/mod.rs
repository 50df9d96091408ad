//! The team's workspace under `/team`: sign-in with a second factor, the work queue, the
//! report page and its actions, the advisories, the CVSS calculator. Every page works without JavaScript.
//!
//! Every request is checked here, not in the handlers: the `Member` extractor finds the
//! server-side session behind the cookie (or redirects to sign-in), and `Checked` also verifies
//! the CSRF token and the Origin of a form post. Roles and project membership are checked by
//! the handler that knows which report is meant, through `Member::require` and `can_see`.

mod advisories;
mod auth;
mod cvss_page;
mod early_access;
mod findings;
mod jobs;
mod members;
mod privacy;
mod queue;
mod record;
mod report;
mod screening;
mod subscribers;
mod webhooks;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use postern_store::team::{Role, Session, SessionStage, csrf_token};

use crate::error::Error;
use crate::state::AppState;

/// A post whose only field is the CSRF token (a button that acts).
#[derive(serde::Deserialize, Default)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// Largest form post on team pages (a message or note plus fields).
pub const TEAM_BODY_BYTES_MAX: usize = 128 * 1024;

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .merge(auth::router())
        .merge(queue::router())
        .merge(report::router())
        .merge(record::router())
        .merge(cvss_page::router())
        .merge(advisories::router())
        .merge(findings::router())
        .merge(jobs::router())
        .merge(members::router())
        .merge(webhooks::router())
        .merge(early_access::router())
        .merge(subscribers::router())
        .merge(privacy::router())
        .merge(screening::router())
        .map(|r| r.layer(axum::extract::DefaultBodyLimit::max(TEAM_BODY_BYTES_MAX)))
}

/// The session cookie's name: `__Host-` (Secure, no Domain, Path=/) when served over HTTPS.
pub(crate) fn cookie_name(state: &AppState) -> &'static str {
    if state.public_url().starts_with("https://") {
        "__Host-postern_session"
    } else {
        "postern_session"
    }
}

/// A `Set-Cookie` value for a session token (or its removal with `None`).
pub(crate) fn session_cookie(state: &AppState, token: Option<&str>) -> HeaderValue {
    let secure = if state.public_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let value = match token {
        Some(t) => format!(
            "{}={t}; Path=/; HttpOnly; SameSite=Strict{secure}",
            cookie_name(state)
        ),
        None => format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
            cookie_name(state)
        ),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session token from the request's cookie.
pub(crate) fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 100)
}

/// Private pages: never cached, and the Referer is sent only to Postern itself, so that
/// a form post carries its Origin for the CSRF check.
/// A page shown again with what was refused (input kept, the problem at its field): 422, private.
pub(crate) fn refused(page: impl IntoResponse) -> Response {
    private((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub(crate) fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A signed-in team member (second factor done, where required).
pub(crate) struct Member {
    pub session: Session,
    pub token: String,
    pub csrf: String,
}

impl Member {
    /// The account's email, as the audit log names it.
    pub fn actor(&self) -> &str {
        &self.session.user.email
    }

    /// The member as the use cases know them.
    pub fn as_actor(&self) -> postern_app::Actor {
        postern_app::Actor::member(&self.session.user)
    }

    /// Refuses members below `role`.
    pub fn require(&self, role: Role) -> Result<(), Error> {
        if self.session.user.role >= role {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "this needs the {} role; your account is a {}",
                role.name(),
                self.session.user.role.name()
            )))
        }
    }
}

/// Where a request without a usable session goes.
pub(crate) enum NotSignedIn {
    Redirect(Redirect),
    Error(Error),
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        match self {
            NotSignedIn::Redirect(r) => private(r.into_response()),
            NotSignedIn::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = NotSignedIn;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signin = || NotSignedIn::Redirect(Redirect::to("/team/signin"));
        let token = session_token(state, &parts.headers).ok_or_else(signin)?;
        let session = state
            .store()
            .session(&token, state.now())
            .await
            .map_err(|e| NotSignedIn::Error(e.into()))?
            .ok_or_else(signin)?;
        match session.stage {
            SessionStage::Full => {}
            SessionStage::Password => {
                return Err(NotSignedIn::Redirect(Redirect::to("/team/signin/code")));
            }
            SessionStage::Enrol => {
                return Err(NotSignedIn::Redirect(Redirect::to("/team/second-factor")));
            }
        }
        Ok(Member {
            csrf: csrf_token(&token),
            session,
            token,
        })
    }
}

fn forbidden() -> Error {
    Error::Forbidden(
        "this form is out of date or came from another site; reload the page and try again".into(),
    )
}

/// Checks a form post's Origin: a browser's post from another site carries that site's origin
/// (or "null") and is refused. Clients that send no Origin (not browsers) pass on to the token
/// check.
pub(crate) fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), Error> {
    match headers.get(header::ORIGIN) {
        None => Ok(()),
        Some(origin) => match origin.to_str() {
            Ok(origin) if same_origin(origin, state.public_url()) => Ok(()),
            _ => Err(forbidden()),
        },
    }
}

/// Checks a form post's CSRF token (constant time) and its Origin.
pub(crate) fn check_post(
    state: &AppState,
    headers: &HeaderMap,
    expected_csrf: &str,
    given_csrf: &str,
) -> Result<(), Error> {
    check_origin(state, headers)?;
    let same = subtle::ConstantTimeEq::ct_eq(expected_csrf.as_bytes(), given_csrf.as_bytes());
    if bool::from(same) && !expected_csrf.is_empty() {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// Whether `origin` ("scheme://host[:port]") is the public URL's origin.
fn same_origin(origin: &str, public_url: &str) -> bool {
    let Ok(public) = url::Url::parse(public_url) else {
        return false;
    };
    origin.trim_end_matches('/') == public.origin().ascii_serialization()
}

/// A 303 to a page after a successful post.
pub(crate) fn see_other(to: &str) -> Response {
    private((StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response())
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn origins_match_only_exactly() {
        assert!(same_origin(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/"
        ));
        assert!(same_origin(
            "https://postern.example.org",
            "https://postern.example.org"
        ));
        assert!(!same_origin("null", "http://127.0.0.1:8080"));
        assert!(!same_origin(
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8080"
        ));
        assert!(!same_origin(
            "https://evil.example",
            "https://postern.example.org"
        ));
        assert!(!same_origin(
            "https://postern.example.org.evil.example",
            "https://postern.example.org"
        ));
    }
}
