//! Markdown to HTML that is safe to show: rendered by pulldown-cmark, then sanitized by ammonia.
//! Every page that shows Markdown (the policy, advisories, a report's fields, messages, notes,
//! mail waiting in screening) goes through `render` here, so they all agree.
//!
//! Images are never shown (a remote image would tell a third party who reads the page, and
//! when): in typed text each becomes a link to its address, named "Image: ..." after its
//! description; a document's are dropped. Links get `rel="noopener noreferrer nofollow"` and
//! only http, https and mailto addresses; code is `<code>`/`<pre>`, which the stylesheet sets
//! in a monospace font.
//!
//! A policy is written to live in its repository, where a link such as `./CODE_OF_CONDUCT.md`
//! works; on Postern's policy page it would be a 404. `policy_html` points such links into the
//! repository the policy names, or keeps only their text when it names none.

use std::collections::HashSet;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Where a text comes from, which decides how its line breaks and HTML are read; the
/// sanitizing is the same for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A document written as Markdown (the policy, an advisory's details): CommonMark as
    /// written, its raw HTML sanitized. An advisory's details are shown as OSV readers show
    /// them, so the preview does not promise another layout.
    Document,
    /// Text typed into a box (a report's fields, a message, a note, a mail's text): its line
    /// breaks are kept, HTML in it is shown as the text it is (in a report, `<img onerror=...>`
    /// is the payload, evidence to read, not markup to drop), and only absolute links are kept.
    Typed,
}

/// Renders a Markdown document as sanitized HTML (`Source::Document`).
pub fn to_safe_html(markdown: &str) -> String {
    render(markdown, Source::Document)
}

/// Renders untrusted Markdown from `source` as sanitized HTML.
pub fn render(markdown: &str, source: Source) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Whether each link open now was kept as text (see below), innermost last.
    let mut as_text: Vec<Option<String>> = Vec::new();
    let events = Parser::new_ext(markdown, options).flat_map(move |event| match (source, event) {
        // In typed text, a link to anything but a web or mail address is shown as the text it
        // was written as ("[PoC](javascript:...)" is a payload the team must be able to read).
        (Source::Typed, Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }))
            if !is_web_address(&dest_url) =>
        {
            as_text.push(Some(dest_url.to_string()));
            vec![Event::Text(CowStr::Borrowed("["))]
        }
        (Source::Typed, Event::End(TagEnd::Link | TagEnd::Image))
            if matches!(as_text.last(), Some(Some(_))) =>
        {
            let dest = as_text.pop().flatten().unwrap_or_default();
            vec![Event::Text(CowStr::from(format!("]({dest})")))]
        }
        (
            Source::Typed,
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }),
        ) => {
            as_text.push(None);
            vec![Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            })]
        }
        // An image in typed text is a link to it, named as one: nothing is fetched by showing
        // the page, and the reporter's evidence stays there to follow. A document's images are
        // dropped (ammonia removes every `<img>`), as they always were.
        (
            Source::Typed,
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }),
        ) => {
            as_text.push(None);
            vec![
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }),
                Event::Text(CowStr::Borrowed("Image: ")),
            ]
        }
        (Source::Typed, Event::End(TagEnd::Link | TagEnd::Image)) => {
            as_text.pop();
            vec![Event::End(TagEnd::Link)]
        }
        (Source::Typed, Event::SoftBreak) => vec![Event::HardBreak],
        // A block of HTML is shown as what it is: code.
        (Source::Typed, Event::Start(Tag::HtmlBlock)) => {
            vec![Event::Start(Tag::CodeBlock(CodeBlockKind::Indented))]
        }
        (Source::Typed, Event::End(TagEnd::HtmlBlock)) => vec![Event::End(TagEnd::CodeBlock)],
        (Source::Typed, Event::Html(text) | Event::InlineHtml(text)) => vec![Event::Text(text)],
        (_, event) => vec![event],
    });
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, events);
    let mut tags: HashSet<&str> = ammonia::Builder::default().clone_tags();
    tags.remove("img");
    let mut sanitizer = ammonia::Builder::default();
    sanitizer
        .tags(tags)
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(HashSet::from(["https", "http", "mailto"]));
    if source == Source::Typed {
        sanitizer.url_relative(ammonia::UrlRelative::Deny);
    }
    sanitizer.clean(&unsafe_html).to_string()
}

/// Plain text (not Markdown) as a paragraph of HTML, escaped, for a place that shows rendered
/// Markdown beside it.
pub fn plain_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 7);
    out.push_str("<p>");
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out.push_str("</p>");
    out
}

/// An address a link in typed text may point to: the web or mail.
fn is_web_address(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
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
        for bad in ["<script", "alert(1)</", "<img", "javascript:", "onclick"] {
            assert!(!html.contains(bad), "`{bad}` survived in {html}");
        }
    }

    #[test]
    fn tables_and_links_survive() {
        let html = to_safe_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n<https://example.org>");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
    }

    /// Fails unless `html` is made only of harmless elements: no element that runs, loads or
    /// submits anything, no attribute but a few inert ones (no event handler, style or
    /// source), and every link of typed text absolute over http(s) or mailto, opened without
    /// the opener or a referrer.
    fn assert_harmless(html: &str, source: Source) {
        let mut rest = html;
        while let Some(open) = rest.find('<') {
            let close = rest[open..].find('>').expect("a tag ends") + open;
            let tag = &rest[open + 1..close];
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            assert!(
                ![
                    "script", "style", "iframe", "frame", "img", "image", "svg", "math", "object",
                    "embed", "form", "input", "button", "textarea", "select", "link", "meta",
                    "base", "audio", "video", "source", "template", "noscript", "picture"
                ]
                .contains(&name.as_str()),
                "<{tag}> in {html}"
            );
            // Attributes as html5ever writes them: name="value", quotes inside escaped.
            let mut attributes = tag[tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len())..]
                .trim()
                .trim_end_matches('/');
            let mut href = None;
            while !attributes.is_empty() {
                let (name, value, after) = match attributes.split_once("=\"") {
                    Some((name, rest)) => {
                        let end = rest.find('"').expect("a quoted value ends");
                        (name.trim(), &rest[..end], rest[end + 1..].trim_start())
                    }
                    None => (attributes, "", ""),
                };
                let name = name.to_ascii_lowercase();
                assert!(
                    ["href", "title", "rel", "align", "start"].contains(&name.as_str()),
                    "attribute {name} in <{tag}> of {html}"
                );
                if name == "href" {
                    href = Some(value);
                }
                attributes = after;
            }
            if name == "a" && !tag.starts_with('/') {
                assert!(
                    tag.contains("rel=\"noopener noreferrer nofollow\""),
                    "{tag}"
                );
                if let Some(href) = href {
                    // A document may link within the site (no scheme at all); typed text may not.
                    let relative = source == Source::Document && !href.contains(':');
                    assert!(
                        relative
                            || ["https://", "http://", "mailto:"]
                                .iter()
                                .any(|s| href.starts_with(s)),
                        "href {href} in {html}"
                    );
                }
            }
            rest = &rest[close + 1..];
        }
    }

    const PAYLOADS: &[&str] = &[
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
        "<javascript:alert(1)>",
        "[ref]\n\n[ref]: javascript:alert(1)",
        "[x](https://example.org \"\\\" onmouseover=\\\"alert(1)\")",
        "<a href=\"javascript:alert(1)\">a</a>",
        "<img src=x onerror=alert(1)>",
        "![alt](https://evil.example/track.png)",
        "![alt](javascript:alert(1))",
        "[![inner](https://evil.example/a.png)](https://example.org)",
        "<svg onload=alert(1)><circle/></svg>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<script>alert(1)</script>",
        "<style>body{display:none}</style>",
        "<form action=https://evil.example><input name=x></form>",
        "<details open ontoggle=alert(1)>x</details>",
        "<p style=\"background:url(https://evil.example/x)\">x</p>",
        "<object data=x.swf></object><embed src=x>",
        "```html\n<script>alert(1)</script>\n```",
        "`<img src=x onerror=alert(1)>`",
        "<div>\n<img src=x onerror=alert(1)>\n</div>",
        "[relative](/team/signout) [proto](//evil.example/x)",
    ];

    #[test]
    fn hostile_markdown_renders_harmless_both_ways() {
        for payload in PAYLOADS {
            for source in [Source::Typed, Source::Document] {
                let html = render(payload, source);
                assert_harmless(&html, source);
            }
        }
    }

    #[test]
    fn typed_text_keeps_its_payloads_readable_and_its_line_breaks() {
        // A reporter's payload is evidence: shown as text, never dropped, never run.
        let html = render(
            "The title <img src=x onerror=alert(1)> runs.\nSecond line.",
            Source::Typed,
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(html.contains("runs.<br>"), "{html}");
        let block = render("<div>\n<script>alert(1)</script>\n</div>", Source::Typed);
        assert!(
            block.starts_with("<pre><code>&lt;div&gt;\n&lt;script&gt;"),
            "{block}"
        );
        // Links elsewhere than the web or mail are shown as written, not followed: a relative
        // one goes nowhere inside Postern, a script one is a payload to read.
        let links = render(
            "[a](/team/signout) [PoC](javascript:alert(document.cookie)) [b](https://example.org/x)",
            Source::Typed,
        );
        assert!(
            links.contains("[a](/team/signout) [PoC](javascript:alert(document.cookie)) <a href=\"https://example.org/x\""),
            "{links}"
        );
    }

    #[test]
    fn markdown_reads_as_markdown_with_code_as_code() {
        let html = render(
            "**bold** and `inline`\n\n```python\nrequests.get(url)\n```\n\n- one\n- two",
            Source::Typed,
        );
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<code>inline</code>"), "{html}");
        assert!(
            html.contains("<pre><code>requests.get(url)\n</code></pre>"),
            "{html}"
        );
        assert!(html.contains("<li>one</li>"), "{html}");
        // An image is a link named as one: nothing is loaded by showing the page.
        let image = render("![screenshot](https://example.org/s.png)", Source::Typed);
        assert!(
            image.contains("href=\"https://example.org/s.png\"")
                && image.contains("Image: screenshot</a>"),
            "{image}"
        );
        assert!(!image.contains("<img"), "{image}");
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
