//! An advisory in the formats the world reads: OSV (package managers, osv-scanner), CSAF 2.0
//! (enterprises), CVE JSON 5 (a CNA's record). Each is a pure function of the advisory and an
//! `ExportContext`; tests validate the output against the official schemas in
//! `../shared/schemas`.

pub mod csaf;
pub mod csaf_directory;
pub mod cve;
pub mod osv;

use jiff::Timestamp;

/// What an export needs besides the advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportContext {
    /// Where this Postern instance is served, without a trailing slash; advisories live under
    /// `{base_url}/advisories/{id}`.
    pub base_url: String,
    /// The project's display name.
    pub project_name: String,
    /// Who publishes (the project or its security team), for CSAF's publisher and CVE's CNA.
    pub publisher: String,
    /// The publisher's web address (https), for CSAF's publisher namespace.
    pub publisher_url: String,
    /// The moment of export (CSAF's current release date when not yet published).
    pub now: Timestamp,
    /// The language the advisories are written in (a BCP 47 tag, CSAF's `document.lang`).
    pub lang: String,
}

impl ExportContext {
    /// The context for a project: its policy names the publisher ("NAME security team") and
    /// the publisher's address (its homepage, else `base_url`). Without a policy (a project no
    /// longer served), its slug stands for the name.
    pub fn for_project(
        policy: Option<&crate::policy::Policy>,
        slug: &str,
        base_url: &str,
        now: Timestamp,
    ) -> ExportContext {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let name = policy.map_or_else(|| slug.to_owned(), |p| p.project.name.clone());
        ExportContext {
            publisher: format!("{name} security team"),
            publisher_url: policy
                .and_then(|p| p.project.homepage.clone())
                .unwrap_or_else(|| base_url.clone()),
            base_url,
            project_name: name,
            now,
            lang: policy
                .and_then(|p| p.terms.languages.first())
                .filter(|tag| is_public_language(tag))
                .cloned()
                .unwrap_or_else(|| "en".to_owned()),
        }
    }

    /// The advisory's page.
    pub fn page_url(&self, id: &crate::advisory::AdvisoryId) -> String {
        format!("{}/advisories/{id}", self.base_url)
    }
}

/// Whether a (valid) language tag names a language readers share: not private use (`x-...`,
/// `qaa`-`qtz`) nor a grandfathered `i-` tag such as `i-default`, which CSAF's tests 6.2.14 and
/// 6.2.15 warn about. The team writes advisories in the policy's first preferred language.
fn is_public_language(tag: &str) -> bool {
    let primary = tag
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let private_range = primary.len() == 3 && ("qaa"..="qtz").contains(&primary.as_str());
    primary.len() >= 2 && !private_range && !tag.to_ascii_lowercase().contains("-x-")
}

#[cfg(test)]
pub(crate) mod tests {
    //! Schema validation for the export tests: the official schemas are read from
    //! `../shared/schemas` (never copied into the repository); without them a test says so and
    //! skips.

    use std::path::PathBuf;

    /// The shared schemas folder, or `None` (with a visible note) when it is absent.
    pub fn schemas_dir() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas");
        if dir.is_dir() {
            Some(dir)
        } else {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "NOTE: skipping schema validation: {} is absent",
                dir.display()
            );
            None
        }
    }

    /// Reads a JSON file of the shared schemas folder.
    pub fn read_json(path: &std::path::Path) -> serde_json::Value {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    }

    /// A context for tests.
    pub fn context() -> super::ExportContext {
        super::ExportContext {
            base_url: "https://security.acme.example".into(),
            project_name: "Acme Widgets".into(),
            publisher: "Acme Widgets security team".into(),
            publisher_url: "https://acme.example".into(),
            now: "2026-11-27T12:00:00Z".parse().unwrap(),
            lang: "en".into(),
        }
    }

    #[test]
    fn only_a_shared_language_is_the_documents_language() {
        assert!(super::is_public_language("en") && super::is_public_language("pt-BR"));
        assert!(super::is_public_language("de-CH-1996"));
        for tag in ["x-klingon", "i-default", "qaa", "en-x-private", "i"] {
            assert!(!super::is_public_language(tag), "{tag}");
        }
    }
}
