//! Markdown to HTML that is safe to show: rendered by pulldown-cmark, then sanitized by ammonia.
//!
//! Images are removed entirely (a remote image would tell a third party who reads the page), and
//! every link gets `rel="noopener noreferrer"`.

use std::collections::HashSet;

use pulldown_cmark::{Options, Parser, html};

/// Renders untrusted Markdown as sanitized HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let mut unsafe_html = String::new();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    let mut tags: HashSet<&str> = ammonia::Builder::default().clone_tags();
    tags.remove("img");
    ammonia::Builder::default()
        .tags(tags)
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(HashSet::from(["https", "http", "mailto", "tel"]))
        .clean(&unsafe_html)
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
}
