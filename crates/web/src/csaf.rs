//! The CSAF 2.0 provider directory under `/.well-known/csaf/` (the standard's section 7.1):
//! provider metadata, the TLP:WHITE folder with `index.txt`, `changes.csv` and a folder per
//! year, each document with its hashes, the ROLIE feed with its service and category
//! documents, and a listing of every folder. What each file says is decided in
//! `postern_core::export::csaf_directory`; this module finds the advisories and answers.
//!
//! Every file is made again from the records at each request (the documents are pure
//! functions of them), so a document, its hashes and its signature always agree. Each
//! document is signed by its project's current OpenPGP key (`App::openpgp_sign_detached`);
//! the keys' public parts are served beside the metadata, in `openpgp/`.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use postern_core::export::ExportContext;
use postern_core::export::csaf;
use postern_core::export::csaf_directory::{
    self as directory, FeedItem, Hash, Listed, ListingEntry, SigningKey,
};
use postern_store::advisories::{IndexEntry, StoredAdvisory};

use crate::advisories::{context, published};
use crate::error::{ApiError, Error};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/.well-known/csaf/", provider_folder)
        .get(
            "/.well-known/csaf/provider-metadata.json",
            provider_metadata,
        )
        .get("/.well-known/csaf/feed-tlp-white.json", feed)
        .get("/.well-known/csaf/service.json", service)
        .get("/.well-known/csaf/category-white.json", categories)
        .get("/.well-known/csaf/openpgp/", keys_folder)
        .get("/.well-known/csaf/openpgp/{file}", key_file)
        .get("/.well-known/csaf/white/", white_folder)
        .get("/.well-known/csaf/white/index.txt", index)
        .get("/.well-known/csaf/white/changes.csv", changes)
        .get("/.well-known/csaf/white/{year}/", year_folder)
        .get("/.well-known/csaf/white/{year}/{file}", file)
}

/// The ROLIE feed and its category document, made from every published advisory (each
/// opened), kept until the published advisories change.
pub(crate) struct Rolie {
    feed: String,
    categories: String,
}

fn listed(entry: &IndexEntry) -> Listed {
    Listed {
        id: entry.id.clone(),
        published: entry.published_at,
        modified: entry.modified_at,
    }
}

/// Every published document, newest first.
async fn all_listed(state: &AppState) -> Result<Vec<Listed>, ApiError> {
    Ok(state.published_index().await?.iter().map(listed).collect())
}

fn text(body: String, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json(value: &serde_json::Value) -> Response {
    text(value.to_string(), "application/json")
}

/// The current OpenPGP key of each served project that has one: what signs the documents
/// (CSAF 7.1.19) and what provider-metadata.json lists (7.1.20). A project without a key
/// publishes unsigned documents, and then the provider claims the `csaf_provider` role only.
struct Signers {
    /// (project slug, fingerprint, armoured public key).
    keys: Vec<(String, String, String)>,
}

impl Signers {
    /// The keys of the projects served: a project no longer served has none (its documents
    /// stay, unsigned).
    async fn read(state: &AppState) -> Result<Signers, ApiError> {
        let mut keys = Vec::new();
        for slug in state.projects().iter().map(|p| p.slug()) {
            if let Some(key) = state.app().project_public_key(slug).await? {
                keys.push((
                    slug.to_owned(),
                    key.fingerprint().as_str().to_owned(),
                    key.armored(),
                ));
            }
        }
        Ok(Signers { keys })
    }

    /// Whether a project's documents are signed.
    fn signs(&self, project: &str) -> bool {
        self.keys.iter().any(|(slug, _, _)| slug == project)
    }

    /// Every key once, as provider-metadata.json lists them.
    fn listed(&self) -> Vec<SigningKey> {
        let mut keys: Vec<SigningKey> = Vec::new();
        for (_, fingerprint, _) in &self.keys {
            if !keys.iter().any(|k| &k.fingerprint == fingerprint) {
                keys.push(SigningKey {
                    fingerprint: fingerprint.clone(),
                });
            }
        }
        keys
    }

    /// What tells the kept ROLIE documents apart besides the published advisories: the keys.
    fn stamp(&self) -> String {
        self.keys
            .iter()
            .map(|(slug, fingerprint, _)| format!("{slug}={fingerprint};"))
            .collect()
    }
}

/// The provider's context: the default project publishes.
fn provider_context(state: &AppState) -> ExportContext {
    let project = state.default_project();
    ExportContext::for_project(
        Some(&project.policy),
        project.slug(),
        state.public_url(),
        state.now(),
    )
}

/// The last change of any document, or now when there is none.
fn last_updated(state: &AppState, listed: &[Listed]) -> jiff::Timestamp {
    listed
        .iter()
        .map(|l| l.modified)
        .max()
        .unwrap_or_else(|| state.now())
}

async fn provider_metadata(State(state): State<AppState>) -> Result<Response, ApiError> {
    let index = state.published_index().await?;
    let signers = Signers::read(&state).await?;
    let listed: Vec<Listed> = index.iter().map(listed).collect();
    let context = provider_context(&state);
    Ok(json(&directory::provider_metadata(
        &context,
        last_updated(&state, &listed),
        &signers.listed(),
        index.iter().all(|e| signers.signs(&e.project)),
    )))
}

async fn index(State(state): State<AppState>) -> Result<Response, ApiError> {
    let listed = all_listed(&state).await?;
    Ok(text(
        directory::index_txt(&listed),
        "text/plain; charset=utf-8",
    ))
}

async fn changes(State(state): State<AppState>) -> Result<Response, ApiError> {
    let listed = all_listed(&state).await?;
    Ok(text(
        directory::changes_csv(&listed),
        "text/csv; charset=utf-8",
    ))
}

/// The ROLIE documents, from the cache while the published advisories are unchanged.
async fn rolie(state: &AppState) -> Result<Arc<Rolie>, ApiError> {
    let index = state.published_index().await?;
    let signers = Signers::read(state).await?;
    let stamp = (state.store().published_stamp(None).await?, signers.stamp());
    if let Some(kept) = state.cached_rolie(&stamp) {
        return Ok(kept);
    }
    let stored = state.store().all_published(None).await?;
    let listed: Vec<Listed> = index.iter().map(listed).collect();
    let by_id: HashMap<&str, (&StoredAdvisory, ExportContext)> = stored
        .iter()
        .map(|s| (s.advisory.id.as_str(), (s, context(state, &s.advisory))))
        .collect();
    // An advisory published between the two reads is in the next feed.
    let items: Vec<FeedItem<'_>> = listed
        .iter()
        .filter_map(|l| {
            let (s, c) = by_id.get(l.id.as_str())?;
            Some(FeedItem {
                advisory: &s.advisory,
                listed: l,
                vendor: &c.project_name,
                signed: signers.signs(&s.advisory.project),
            })
        })
        .collect();
    let context = provider_context(state);
    let rolie = Arc::new(Rolie {
        feed: directory::rolie_feed(&context, &items).to_string(),
        categories: directory::rolie_categories(&items).to_string(),
    });
    state.keep_rolie(stamp, rolie.clone());
    Ok(rolie)
}

async fn feed(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(text(rolie(&state).await?.feed.clone(), "application/json"))
}

async fn categories(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(text(
        rolie(&state).await?.categories.clone(),
        "application/json",
    ))
}

async fn service(State(state): State<AppState>) -> Response {
    json(&directory::rolie_service(&provider_context(&state)))
}

/// What a file of a year folder is: the document, one of its hashes, or its signature.
enum Part {
    Document,
    Hash(Hash),
    Signature,
}

/// Splits `acme-2026-0007.json.sha512` into the document's name and the part asked for.
fn part_of(file: &str) -> (&str, Part) {
    for hash in Hash::ALL {
        if let Some(document) = file.strip_suffix(&format!(".{}", hash.extension())) {
            return (document, Part::Hash(hash));
        }
    }
    match file.strip_suffix(".asc") {
        Some(document) => (document, Part::Signature),
        None => (file, Part::Document),
    }
}

/// One file of a year folder.
async fn file(
    State(state): State<AppState>,
    Path((year, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (document, part) = part_of(&file);
    let wanted = format!("{year}/{document}");
    let entry = state
        .published_index()
        .await?
        .iter()
        .find(|e| listed(e).path() == wanted)
        .cloned()
        .ok_or(ApiError::NotFound)?;
    let stored = published(&state, entry.id.as_str())
        .await
        .map_err(|_| ApiError::NotFound)?;
    let context = context(&state, &stored.advisory);
    let bytes = csaf::csaf(&stored.advisory, &context).to_string();
    match part {
        Part::Document => Ok(text(bytes, "application/json")),
        Part::Hash(hash) => Ok(text(
            hash.file(bytes.as_bytes(), document),
            "text/plain; charset=utf-8",
        )),
        // Signed at each request, like the document is made: an OpenPGP signature carries its
        // own time, and the key signs whatever the record says now.
        // A project without a key has no signatures (and then no trusted provider role).
        Part::Signature => {
            if state
                .app()
                .project_public_key(&entry.project)
                .await?
                .is_none()
            {
                return Err(ApiError::NotFound);
            }
            let signature = state
                .app()
                .openpgp_sign_detached(&entry.project, bytes.as_bytes())
                .await?;
            Ok(text(signature, "application/pgp-signature"))
        }
    }
}

/// The folder of the signing keys' public parts.
async fn keys_folder(State(state): State<AppState>) -> Result<Response, ApiError> {
    let index = state.published_index().await?;
    let signers = Signers::read(&state).await?;
    let listed: Vec<Listed> = index.iter().map(listed).collect();
    let updated = last_updated(&state, &listed);
    Ok(listing(
        "/.well-known/csaf/openpgp/",
        Some("/.well-known/csaf/"),
        signers
            .listed()
            .into_iter()
            .map(|k| ListingEntry {
                name: format!("{}.asc", k.fingerprint),
                modified: Some(updated),
            })
            .collect(),
    ))
}

/// A signing key's public part, armoured, named by its fingerprint (CSAF 7.1.20).
async fn key_file(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let signers = Signers::read(&state).await?;
    let wanted = file.strip_suffix(".asc").ok_or(ApiError::NotFound)?;
    let (_, _, armored) = signers
        .keys
        .into_iter()
        .find(|(_, fingerprint, _)| fingerprint == wanted)
        .ok_or(ApiError::NotFound)?;
    Ok(text(armored, "application/pgp-keys"))
}

/// A folder's listing (CSAF 7.1.14): a plain page of links, like a web server's own.
#[derive(Template, WebTemplate)]
#[template(path = "csaf_listing.html")]
struct Listing {
    /// The folder's path, ending in `/`.
    path: String,
    /// The parent folder's path, if it is part of the directory.
    parent: Option<String>,
    /// (name, last change) of each entry.
    entries: Vec<(String, String)>,
}

fn listing(path: &str, parent: Option<&str>, entries: Vec<ListingEntry>) -> Response {
    Listing {
        path: path.to_owned(),
        parent: parent.map(str::to_owned),
        entries: entries
            .into_iter()
            .map(|e| {
                let modified = e
                    .modified
                    .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                (e.name, modified)
            })
            .collect(),
    }
    .into_response()
}

async fn provider_folder(State(state): State<AppState>) -> Result<Response, ApiError> {
    let index = state.published_index().await?;
    let signers = Signers::read(&state).await?;
    let listed: Vec<Listed> = index.iter().map(listed).collect();
    Ok(listing(
        "/.well-known/csaf/",
        None,
        directory::provider_listing(last_updated(&state, &listed), !signers.keys.is_empty()),
    ))
}

async fn white_folder(State(state): State<AppState>) -> Result<Response, ApiError> {
    let listed = all_listed(&state).await?;
    Ok(listing(
        "/.well-known/csaf/white/",
        Some("/.well-known/csaf/"),
        directory::white_listing(&listed),
    ))
}

async fn year_folder(
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> Result<Response, Error> {
    let year: i16 = year.parse().map_err(|_| Error::NotFound)?;
    let index = state.published_index().await?;
    let signers = Signers::read(&state).await.map_err(|_| Error::NotFound)?;
    let listed: Vec<Listed> = index.iter().map(listed).collect();
    let projects: HashMap<&str, &str> = index
        .iter()
        .map(|e| (e.id.as_str(), e.project.as_str()))
        .collect();
    let entries = directory::year_listing(&listed, year, |l| {
        projects
            .get(l.id.as_str())
            .is_some_and(|p| signers.signs(p))
    })
    .ok_or(Error::NotFound)?;
    Ok(listing(
        &format!("/.well-known/csaf/white/{year}/"),
        Some("/.well-known/csaf/white/"),
        entries,
    ))
}
