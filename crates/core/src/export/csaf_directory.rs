//! The CSAF 2.0 provider directory (section 7.1 of the standard) around the documents that
//! `csaf.rs` writes: where each document lives, `index.txt` and `changes.csv`, the hash files,
//! what each folder lists, the ROLIE feed with its service and category documents, and
//! `provider-metadata.json`. Pure functions of the published advisories' plain facts; the web
//! layer serves them and draws the listings.
//!
//! The layout, below `/.well-known/csaf/`:
//! ```text
//! provider-metadata.json          the provider (7.1.7, 7.1.9), listing both distributions
//! feed-tlp-white.json             the ROLIE feed of every TLP:WHITE document (7.1.15)
//! service.json                    the ROLIE service document (7.1.16)
//! category-white.json             the ROLIE category document (7.1.17)
//! openpgp/FINGERPRINT.asc         each signing key's public part (7.1.20)
//! white/index.txt, changes.csv    the directory distribution (7.1.12, 7.1.13)
//! white/2026/id.json              a document in the folder of its initial release's year
//! white/2026/id.json.sha256, .sha512, .asc   its hashes (7.1.18) and signature (7.1.19)
//! ```
//! Only published advisories are TLP:WHITE; an embargoed draft (TLP:AMBER) is never here.

use std::fmt::Write as _;

use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::ExportContext;
use super::csaf::{PROVIDER_DIRECTORY, document_path};
use crate::advisory::{Advisory, AdvisoryId};

/// Where the provider's files live, below the public address.
pub const WELL_KNOWN: &str = "/.well-known/csaf";
/// The ROLIE feed of the TLP:WHITE documents, beside `provider-metadata.json`.
pub const FEED_FILE: &str = "feed-tlp-white.json";
/// The ROLIE service document.
pub const SERVICE_FILE: &str = "service.json";
/// The ROLIE category document of the TLP:WHITE feed.
pub const CATEGORY_FILE: &str = "category-white.json";
/// The folder of the signing keys' public parts, beside `provider-metadata.json`.
pub const KEYS_FOLDER: &str = "openpgp";
/// CSAF 2.0's JSON schema, named by each feed entry's format.
const CSAF_SCHEMA: &str = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";
/// ROLIE's information type of CSAF documents (RFC 8322, the CSAF registration).
const INFORMATION_TYPE: &str = "urn:ietf:params:rolie:category:information-type";

/// A published advisory as the directory knows it: the plain facts, nothing sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The advisory, whose tracking id names the file.
    pub id: AdvisoryId,
    /// Its initial release (publication), which names the year folder.
    pub published: Timestamp,
    /// Its last change: the document's current release date.
    pub modified: Timestamp,
}

impl Listed {
    /// Its path below the TLP:WHITE folder, as `2026/acme-2026-0007.json`.
    pub fn path(&self) -> String {
        document_path(&self.id, self.published)
    }

    fn year(&self) -> i16 {
        self.published.to_zoned(jiff::tz::TimeZone::UTC).year()
    }
}

/// `index.txt` (7.1.12): every document's path, one a line, in the order given.
pub fn index_txt(listed: &[Listed]) -> String {
    let mut out = String::new();
    for l in listed {
        let _ = writeln!(out, "{}", l.path());
    }
    out
}

/// `changes.csv` (7.1.13): every document's path and current release date, the latest change
/// first (then by path, so that equal times keep one order).
pub fn changes_csv(listed: &[Listed]) -> String {
    let mut sorted: Vec<(&Listed, String)> = listed.iter().map(|l| (l, l.path())).collect();
    sorted.sort_by(|(a, pa), (b, pb)| b.modified.cmp(&a.modified).then_with(|| pa.cmp(pb)));
    let mut out = String::new();
    for (l, path) in sorted {
        let _ = writeln!(out, "\"{path}\",\"{}\"", l.modified);
    }
    out
}

/// A hash beside each document (7.1.18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// `.sha256`
    Sha256,
    /// `.sha512`
    Sha512,
}

impl Hash {
    /// Both, in the order the listings and the feed name them.
    pub const ALL: [Hash; 2] = [Hash::Sha256, Hash::Sha512];

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Hash::Sha256 => "sha256",
            Hash::Sha512 => "sha512",
        }
    }

    /// The hash file of a document: the hexadecimal digest, two spaces and the file name, as
    /// `sha256sum` writes it (and `sha256sum -c` reads it).
    pub fn file(self, document: &[u8], file_name: &str) -> String {
        let digest: Vec<u8> = match self {
            Hash::Sha256 => sha2::Sha256::digest(document).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(document).to_vec(),
        };
        let mut out = String::with_capacity(digest.len() * 2 + file_name.len() + 3);
        for b in digest {
            let _ = write!(out, "{b:02x}");
        }
        let _ = writeln!(out, "  {file_name}");
        out
    }
}

/// What a document's folder holds for it: the document, its hashes, and its signature when
/// there is one, as file names.
pub fn files_of(listed: &Listed, signed: bool) -> Vec<String> {
    let document = super::csaf::file_name(&listed.id);
    let mut files = vec![document.clone()];
    files.extend(
        Hash::ALL
            .iter()
            .map(|h| format!("{document}.{}", h.extension())),
    );
    if signed {
        files.push(format!("{document}.asc"));
    }
    files
}

/// One line of a folder's listing (7.1.14): a name (a folder's ends in `/`) and, for a
/// document's files, the document's last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingEntry {
    /// The name within the folder.
    pub name: String,
    /// When it last changed, where that is known.
    pub modified: Option<Timestamp>,
}

/// The TLP:WHITE folder's listing: the year folders, newest first, then `index.txt` and
/// `changes.csv`.
pub fn white_listing(listed: &[Listed]) -> Vec<ListingEntry> {
    let mut years: Vec<(i16, Timestamp)> = Vec::new();
    for l in listed {
        match years.iter_mut().find(|(y, _)| *y == l.year()) {
            Some((_, latest)) => *latest = (*latest).max(l.modified),
            None => years.push((l.year(), l.modified)),
        }
    }
    years.sort_by_key(|(year, _)| std::cmp::Reverse(*year));
    let latest = listed.iter().map(|l| l.modified).max();
    years
        .into_iter()
        .map(|(year, modified)| ListingEntry {
            name: format!("{year}/"),
            modified: Some(modified),
        })
        .chain(["changes.csv", "index.txt"].map(|name| ListingEntry {
            name: name.to_owned(),
            modified: latest,
        }))
        .collect()
}

/// A year folder's listing: each document of that year with its hashes and signature, by
/// file name; `None` when no document was first released that year.
pub fn year_listing(
    listed: &[Listed],
    year: i16,
    signed: impl Fn(&Listed) -> bool,
) -> Option<Vec<ListingEntry>> {
    let mut of_year: Vec<&Listed> = listed.iter().filter(|l| l.year() == year).collect();
    if of_year.is_empty() {
        return None;
    }
    of_year.sort_by_key(|l| super::csaf::file_name(&l.id));
    Some(
        of_year
            .into_iter()
            .flat_map(|l| {
                files_of(l, signed(l)).into_iter().map(|name| ListingEntry {
                    name,
                    modified: Some(l.modified),
                })
            })
            .collect(),
    )
}

/// The provider folder's listing: the metadata, the ROLIE documents, the keys' folder and the
/// TLP:WHITE folder.
pub fn provider_listing(last_updated: Timestamp, keys: bool) -> Vec<ListingEntry> {
    let mut names = vec![CATEGORY_FILE, FEED_FILE];
    if keys {
        names.push("openpgp/");
    }
    names.extend(["provider-metadata.json", SERVICE_FILE, "white/"]);
    names
        .into_iter()
        .map(|name| ListingEntry {
            name: name.to_owned(),
            modified: Some(last_updated),
        })
        .collect()
}

/// A key that signs documents (7.1.20), as provider-metadata.json names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The OpenPGP fingerprint, hexadecimal in capitals.
    pub fingerprint: String,
}

impl SigningKey {
    /// Where its public part is served, beside provider-metadata.json.
    pub fn url(&self, context: &ExportContext) -> String {
        format!(
            "{}{WELL_KNOWN}/{KEYS_FOLDER}/{}.asc",
            context.base_url, self.fingerprint
        )
    }
}

fn provider_url(context: &ExportContext, file: &str) -> String {
    format!("{}{WELL_KNOWN}/{file}", context.base_url)
}

/// The address of the provider metadata of an instance served at `base_url` (CSAF 7.1.9's
/// well-known place), which security.txt's `CSAF:` field names (7.1.8).
pub fn provider_metadata_url(base_url: &str) -> String {
    format!(
        "{}{WELL_KNOWN}/provider-metadata.json",
        base_url.trim_end_matches('/')
    )
}

/// `provider-metadata.json` (7.1.7): both distributions (the directory and the ROLIE feed with
/// its service and category documents) and the signing keys. The role is
/// `csaf_trusted_provider` when every document is signed by a listed key (7.1.18 to 7.1.20;
/// the hashes are always there), else `csaf_provider`.
pub fn provider_metadata(
    context: &ExportContext,
    last_updated: Timestamp,
    keys: &[SigningKey],
    every_document_signed: bool,
) -> Value {
    let trusted = every_document_signed && !keys.is_empty();
    let mut metadata = json!({
        "canonical_url": provider_metadata_url(&context.base_url),
        "distributions": [
            { "directory_url": format!("{}{PROVIDER_DIRECTORY}/", context.base_url) },
            { "rolie": {
                "categories": [provider_url(context, CATEGORY_FILE)],
                "feeds": [{
                    "summary": format!("Every published (TLP:WHITE) advisory of {}.", context.publisher),
                    "tlp_label": "WHITE",
                    "url": provider_url(context, FEED_FILE),
                }],
                "services": [provider_url(context, SERVICE_FILE)],
            } },
        ],
        "last_updated": last_updated.to_string(),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": {
            "category": "vendor",
            "name": context.publisher,
            "namespace": context.publisher_url,
        },
        "role": if trusted { "csaf_trusted_provider" } else { "csaf_provider" },
    });
    if !keys.is_empty() {
        metadata["public_openpgp_keys"] = keys
            .iter()
            .map(|k| json!({ "fingerprint": k.fingerprint, "url": k.url(context) }))
            .collect();
    }
    metadata
}

/// A published advisory as its feed entry needs it.
#[derive(Debug, Clone, Copy)]
pub struct FeedItem<'a> {
    /// The advisory (its title, summary and packages).
    pub advisory: &'a Advisory,
    /// Its place in the directory.
    pub listed: &'a Listed,
    /// The vendor its products are listed under (the project's name).
    pub vendor: &'a str,
    /// Whether its document has a signature beside it.
    pub signed: bool,
}

impl FeedItem<'_> {
    /// The ROLIE categories (7.1.17) it falls under: its vendor, then each package.
    fn terms(&self) -> Vec<&str> {
        let mut terms = vec![self.vendor];
        for a in &self.advisory.affected {
            if !terms.contains(&a.package.as_str()) {
                terms.push(&a.package);
            }
        }
        terms
    }
}

fn information_type() -> Value {
    json!({ "scheme": INFORMATION_TYPE, "term": "csaf" })
}

/// The ROLIE feed (7.1.15) of every TLP:WHITE document, in the order given: each entry links
/// the document, its hash files and its signature, and names its categories.
pub fn rolie_feed(context: &ExportContext, items: &[FeedItem<'_>]) -> Value {
    let category_url = provider_url(context, CATEGORY_FILE);
    let entries: Vec<Value> = items
        .iter()
        .map(|item| {
            let url = format!(
                "{}{PROVIDER_DIRECTORY}/{}",
                context.base_url,
                item.listed.path()
            );
            let mut links = vec![json!({ "rel": "self", "href": url })];
            links.extend(
                Hash::ALL
                    .iter()
                    .map(|h| json!({ "rel": "hash", "href": format!("{url}.{}", h.extension()) })),
            );
            if item.signed {
                links.push(json!({ "rel": "signature", "href": format!("{url}.asc") }));
            }
            let mut categories = vec![information_type()];
            categories.extend(
                item.terms()
                    .into_iter()
                    .map(|term| json!({ "scheme": category_url, "term": term })),
            );
            let mut entry = json!({
                "id": item.advisory.id.as_str(),
                "title": item.advisory.title,
                "link": links,
                "category": categories,
                "published": item.listed.published.to_string(),
                "updated": item.listed.modified.to_string(),
                "content": { "type": "application/json", "src": url },
                "format": { "schema": CSAF_SCHEMA, "version": "2.0" },
            });
            if !item.advisory.summary.trim().is_empty() {
                entry["summary"] = json!({ "content": item.advisory.summary });
            }
            entry
        })
        .collect();
    let updated = items
        .iter()
        .map(|i| i.listed.modified)
        .max()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    json!({
        "feed": {
            "id": "csaf-feed-tlp-white",
            "title": format!("{}: CSAF advisories (TLP:WHITE)", context.publisher),
            "link": [{ "rel": "self", "href": provider_url(context, FEED_FILE) }],
            "category": [information_type()],
            "updated": updated.to_string(),
            "entry": entries,
        }
    })
}

/// The ROLIE service document (7.1.16): one workspace with the TLP:WHITE feed.
pub fn rolie_service(context: &ExportContext) -> Value {
    json!({
        "service": {
            "workspace": [{
                "title": format!("Public CSAF advisories of {}", context.publisher),
                "collection": [{
                    "title": format!("{}: CSAF advisories (TLP:WHITE)", context.publisher),
                    "href": provider_url(context, FEED_FILE),
                    "categories": [information_type()],
                }],
            }],
        }
    })
}

/// The ROLIE category document (7.1.17) of the feed: every vendor and package its entries
/// name, each once, in the order met.
pub fn rolie_categories(items: &[FeedItem<'_>]) -> Value {
    let mut terms: Vec<&str> = Vec::new();
    for item in items {
        for term in item.terms() {
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
    }
    json!({
        "categories": {
            "category": terms.into_iter().map(|t| json!({ "term": t })).collect::<Vec<_>>(),
        }
    })
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::advisory::tests::full;
    use crate::export::tests::context;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn listed(number: u32, published: &str, modified: &str) -> Listed {
        Listed {
            id: AdvisoryId::new("ACME", 2026, number),
            published: at(published),
            modified: at(modified),
        }
    }

    #[test]
    fn index_and_changes_name_each_document_in_its_years_folder() {
        let all = [
            listed(3, "2026-02-01T00:00:00Z", "2026-02-01T00:00:00Z"),
            listed(2, "2025-12-31T23:00:00Z", "2026-03-01T00:00:00Z"),
            listed(1, "2025-06-01T00:00:00Z", "2025-06-01T00:00:00Z"),
        ];
        assert_eq!(
            index_txt(&all),
            "2026/acme-2026-0003.json\n2025/acme-2026-0002.json\n2025/acme-2026-0001.json\n"
        );
        // The latest change first, whatever the order of publication.
        assert_eq!(
            changes_csv(&all),
            "\"2025/acme-2026-0002.json\",\"2026-03-01T00:00:00Z\"\n\
             \"2026/acme-2026-0003.json\",\"2026-02-01T00:00:00Z\"\n\
             \"2025/acme-2026-0001.json\",\"2025-06-01T00:00:00Z\"\n"
        );
        let names: Vec<String> = white_listing(&all).into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["2026/", "2025/", "changes.csv", "index.txt"]);
        let year = year_listing(&all, 2025, |l| l.id.as_str().ends_with('1')).unwrap();
        let names: Vec<&str> = year.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "acme-2026-0001.json",
                "acme-2026-0001.json.sha256",
                "acme-2026-0001.json.sha512",
                "acme-2026-0001.json.asc",
                "acme-2026-0002.json",
                "acme-2026-0002.json.sha256",
                "acme-2026-0002.json.sha512",
            ]
        );
        assert!(year_listing(&all, 2024, |_| true).is_none());
    }

    #[test]
    fn hash_files_read_as_sha256sum_writes_them() {
        // The digests of "abc" from FIPS 180-2.
        assert_eq!(
            Hash::Sha256.file(b"abc", "x.json"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  x.json\n"
        );
        assert!(Hash::Sha512.file(b"abc", "x.json").starts_with(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f  "
        ));
    }

    #[test]
    fn the_feed_links_each_document_its_hashes_and_its_signature() {
        let advisory = full();
        let listing = listed(7, "2026-11-20T10:00:00Z", "2026-11-21T08:30:00Z");
        let ctx = context();
        let items = [FeedItem {
            advisory: &advisory,
            listed: &listing,
            vendor: "Acme Widgets",
            signed: true,
        }];
        let feed = rolie_feed(&ctx, &items);
        let url = "https://security.acme.example/.well-known/csaf/white/2026/acme-2026-0007.json";
        let entry = &feed["feed"]["entry"][0];
        assert_eq!(entry["id"], "ACME-2026-0007");
        assert_eq!(entry["title"], advisory.title.as_str());
        assert_eq!(entry["content"]["src"], url);
        let links: Vec<(&str, &str)> = entry["link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["rel"].as_str().unwrap(), l["href"].as_str().unwrap()))
            .collect();
        assert_eq!(
            links,
            [
                ("self", url.to_owned()),
                ("hash", format!("{url}.sha256")),
                ("hash", format!("{url}.sha512")),
                ("signature", format!("{url}.asc")),
            ]
            .iter()
            .map(|(r, h)| (*r, h.as_str()))
            .collect::<Vec<_>>()
        );
        assert_eq!(feed["feed"]["updated"], "2026-11-21T08:30:00Z");
        assert_eq!(feed["feed"]["category"][0]["term"], "csaf");
        let categories = rolie_categories(&items);
        assert_eq!(
            categories["categories"]["category"][0]["term"],
            "Acme Widgets"
        );
        let service = rolie_service(&ctx);
        assert_eq!(
            service["service"]["workspace"][0]["collection"][0]["href"],
            "https://security.acme.example/.well-known/csaf/feed-tlp-white.json"
        );
        assert_eq!(
            provider_metadata_url("https://x.example/"),
            "https://x.example/.well-known/csaf/provider-metadata.json"
        );
    }
}
