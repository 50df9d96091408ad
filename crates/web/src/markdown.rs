//! Markdown to HTML that is safe to show: rendered by pulldown-cmark, then sanitized by ammonia.
//!
//! Images are removed entirely (a remote image would tell a third party who reads the page), and
//! every link gets `rel="noopener noreferrer"`.
//!
//! A policy is written to live in its repository, where a link such as `./CODE_OF_CONDUCT.md`
//! works; on Postern's policy page it would be a 404. `policy_html` points such links into the
//! repository the policy names, or keeps only their text when it names none.

use std::collections::HashSet;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// Renders untrusted Markdown as sanitized HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let mut unsafe_html = String::new();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    sanitize(&unsafe_html)
}

/// Renders a project's policy (Markdown) as sanitized HTML, its relative links resolved against
/// `repository` (the policy's `project.repository`), or reduced to their text without one.
pub fn policy_html(markdown: &str, repository: Option<&str>) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // For each link open now: whether it was dropped (its end must be dropped too).
    let mut dropped: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            if !is_relative(&dest_url) {
                dropped.push(false);
                return Some(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            match repository.and_then(|r| in_repository(r, &dest_url)) {
                Some(url) => {
                    dropped.push(false);
                    Some(Event::Start(Tag::Link {
                        link_type,
                        dest_url: url.into(),
                        title,
                        id,
                    }))
                }
                None => {
                    dropped.push(true);
                    None
                }
            }
        }
        Event::End(TagEnd::Link) if dropped.pop() == Some(true) => None,
        other => Some(other),
    });
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, events);
    sanitize(&unsafe_html)
}

/// A link that names no scheme and no host, and is not an anchor on the same page: it means a
/// file beside the document.
fn is_relative(url: &str) -> bool {
    let scheme = url.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    !(scheme || url.starts_with("//") || url.starts_with('#') || url.is_empty())
}

/// Where a relative link of a file at the root of `repository` points, as the forge shows it:
/// `blob/HEAD/` on GitHub, `-/blob/HEAD/` on GitLab (the default branch, a file or a folder),
/// the path under the repository's address elsewhere. None when it cannot be said (no https
/// repository, or a path that climbs out of it).
fn in_repository(repository: &str, link: &str) -> Option<String> {
    let repository = repository.trim_end_matches('/').trim_end_matches(".git");
    let base = url::Url::parse(&format!("{repository}/")).ok()?;
    if base.scheme() != "https" {
        return None;
    }
    let tree = match base.host_str()? {
        "github.com" => "blob/HEAD/",
        host if host == "gitlab.com" || host.starts_with("gitlab.") => "-/blob/HEAD/",
        _ => "",
    };
    let root = base.join(tree).ok()?;
    let resolved = root.join(link.trim_start_matches('/')).ok()?;
    resolved
        .as_str()
        .starts_with(root.as_str())
        .then(|| resolved.to_string())
}

/// Sanitizes rendered HTML: no scripts, styles, images or event handlers; web, mail and
/// telephone links only.
fn sanitize(unsafe_html: &str) -> String {
    let mut tags: HashSet<&str> = ammonia::Builder::default().clone_tags();
    tags.remove("img");
    ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(HashSet::from(["https", "http", "mailto", "tel"]))
        .clean(unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_images_and_handlers_are_removed() {
        let html = to_safe_html(
            "# Hi\n\n<script>alert(1)</script>\n\n![x](https://evil.example/x.png) <img src=https://evil.example/y> [a](javascript:alert(1)) <b onclick=\"x()\">b</b>",
        );
        assert!(html.contains("<h1>Hi</h1>"), "{html}");
        for bad in [
            "<script",
            "alert(1)</",
            "<img",
            "evil.example",
            "javascript:",
            "onclick",
        ] {
            assert!(!html.contains(bad), "`{bad}` survived in {html}");
        }
    }

    #[test]
    fn tables_and_links_survive() {
        let html = to_safe_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n<https://example.org>");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
    }

    #[test]
    fn a_policys_relative_links_point_into_its_repository() {
        let policy = "See [the code of conduct](./CODE_OF_CONDUCT.md), [docs](docs/a.md), [licence](/LICENSE), [the site](https://example.org), [mail](mailto:a@example.org) and [above](#scope).";
        let html = policy_html(policy, Some("https://github.com/acme/widgets"));
        for href in [
            "https://github.com/acme/widgets/blob/HEAD/CODE_OF_CONDUCT.md",
            "https://github.com/acme/widgets/blob/HEAD/docs/a.md",
            "https://github.com/acme/widgets/blob/HEAD/LICENSE",
            "https://example.org",
            "mailto:a@example.org",
            "#scope",
        ] {
            assert!(
                html.contains(&format!("href=\"{href}\"")),
                "{href} in {html}"
            );
        }
        let gitlab = policy_html("[x](./LICENSE)", Some("https://gitlab.com/g/p.git"));
        assert!(
            gitlab.contains("href=\"https://gitlab.com/g/p/-/blob/HEAD/LICENSE\""),
            "{gitlab}"
        );
        let elsewhere = policy_html("[x](docs/)", Some("https://git.example.org/p/"));
        assert!(
            elsewhere.contains("href=\"https://git.example.org/p/docs/\""),
            "{elsewhere}"
        );
    }

    #[test]
    fn without_a_repository_a_relative_link_keeps_only_its_text() {
        let html = policy_html(
            "Read [CODE_OF_CONDUCT.md](./CODE_OF_CONDUCT.md) and [the **licence**](../LICENSE) or [x](https://example.org).",
            None,
        );
        assert!(
            html.contains("Read CODE_OF_CONDUCT.md and the <strong>licence</strong> or "),
            "{html}"
        );
        assert!(!html.contains("CODE_OF_CONDUCT.md\""), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        // A path that climbs out of the repository is not guessed at.
        let out = policy_html("[up](../../etc)", Some("https://github.com/a/b"));
        assert!(!out.contains("href"), "{out}");
    }
}
