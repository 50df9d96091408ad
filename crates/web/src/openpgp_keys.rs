//! A project's OpenPGP key as the world fetches it: the Web Key Directory
//! (draft-koch-openpgp-webkey-service; direct method at `/.well-known/openpgpkey/hu/...`,
//! advanced method at `/.well-known/openpgpkey/DOMAIN/hu/...` for a host named
//! `openpgpkey.DOMAIN`), the binary key with `Access-Control-Allow-Origin: *` as the draft
//! asks, and the armoured key at `/openpgp.asc` (and under `/projects/{slug}/`), which
//! security.txt's `Encryption:` names.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/.well-known/openpgpkey/policy", policy)
        .get("/.well-known/openpgpkey/hu/{hash}", direct)
        .get("/.well-known/openpgpkey/{domain}/policy", policy)
        .get("/.well-known/openpgpkey/{domain}/hu/{hash}", advanced)
        .get("/openpgp.asc", default_armoured)
        .get("/projects/{slug}/openpgp.asc", project_armoured)
}

/// The policy file: its presence says the directory exists; no options are set.
async fn policy() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        "# Web Key Directory of Postern: the keys of this server's projects.\n",
    )
        .into_response()
}

/// The request's host name, without a port.
fn host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let name = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    Some(name.to_ascii_lowercase())
}

fn binary(key: &postern_openpgp::PublicKey) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        key.to_bytes(),
    )
        .into_response()
}

async fn direct(
    State(state): State<AppState>,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let domain = host(&headers);
    let key = state
        .app()
        .wkd_key(&hash, domain.as_deref(), false)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(binary(&key))
}

async fn advanced(
    State(state): State<AppState>,
    Path((domain, hash)): Path<(String, String)>,
) -> Result<Response, Error> {
    let key = state
        .app()
        .wkd_key(&hash, Some(&domain), true)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(binary(&key))
}

async fn armoured(state: &AppState, slug: &str) -> Result<Response, Error> {
    let key = state
        .app()
        .project_public_key(slug)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pgp-keys"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        key.armored(),
    )
        .into_response())
}

async fn default_armoured(State(state): State<AppState>) -> Result<Response, Error> {
    let slug = state.default_project().slug().to_owned();
    armoured(&state, &slug).await
}

async fn project_armoured(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    state.project(&slug).ok_or(Error::NotFound)?;
    armoured(&state, &slug).await
}
