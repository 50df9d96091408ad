//! Site-wide pages: the home page, health check, stylesheet and the not-found page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::Error;
use crate::nav::{Nav, Section};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .get("/", home)
        .get("/healthz", healthz)
        .get("/static/postern.css", stylesheet)
}

struct ProjectLink {
    slug: String,
    /// Its report form, or its policy when it has none.
    report: String,
    name: String,
    description: Option<String>,
    path: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home {
    title: String,
    nav: Nav,
    projects: Vec<ProjectLink>,
}

async fn home(State(state): State<AppState>) -> Home {
    let projects = state
        .projects()
        .iter()
        .map(|p| ProjectLink {
            slug: p.slug().to_owned(),
            report: crate::nav::report_path(&state, p),
            name: p.policy.project.name.clone(),
            description: p.policy.project.description.clone(),
            path: crate::nav::project_base(&state, p),
        })
        .collect();
    Home {
        title: "Report a security vulnerability".to_owned(),
        nav: Nav::new(&state, Section::Home, None),
        projects,
    }
}

async fn healthz() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "status": "ok" })),
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../static/postern.css"),
    )
}

/// The answer for every address no route knows.
pub async fn not_found() -> Error {
    Error::NotFound
}

#[cfg(test)]
mod tests {
    //! The stylesheet's colours, read from the stylesheet itself: every pair that carries text
    //! or the focus ring has enough contrast (WCAG 2.2: 4.5:1 for text, 3:1 for a focus ring
    //! or a field's border), in the light scheme and in the dark one.

    use std::collections::BTreeMap;

    const CSS: &str = include_str!("../static/postern.css");

    /// The `--name: #rrggbb` variables declared in the first `:root { ... }` at or after `from`.
    fn variables(from: usize) -> BTreeMap<String, [u8; 3]> {
        let start = from + CSS[from..].find(":root {").expect(":root block");
        let end = start + CSS[start..].find('}').unwrap();
        let mut block = &CSS[start + ":root {".len()..end];
        let mut declarations = String::new();
        while let Some(comment) = block.find("/*") {
            declarations.push_str(&block[..comment]);
            let close = block[comment..].find("*/").expect("a closed comment");
            block = &block[comment + close + 2..];
        }
        declarations.push_str(block);
        declarations
            .split(';')
            .filter_map(|declaration| {
                let (name, value) = declaration.split_once(':')?;
                let name = name.trim().strip_prefix("--")?;
                let hex = value.trim().strip_prefix('#')?;
                let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
                Some((name.to_owned(), [channel(0)?, channel(2)?, channel(4)?]))
            })
            .collect()
    }

    fn luminance([r, g, b]: [u8; 3]) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn every_colour_pair_has_enough_contrast_in_both_schemes() {
        let light = variables(0);
        let dark_at = CSS
            .find("@media (prefers-color-scheme: dark)")
            .expect("a dark scheme");
        let mut dark = light.clone();
        dark.extend(variables(dark_at));
        let text = 4.5;
        let ring = 3.0;
        let pairs = [
            ("ink", "bg", text),
            ("ink", "soft", text),
            ("ink", "note", text),
            ("ink", "input", text),
            ("muted", "bg", text),
            ("muted", "soft", text),
            ("muted", "note", text),
            ("accent", "bg", text),
            ("accent", "soft", text),
            ("accent", "note", text),
            ("bad", "bg", text),
            ("bad", "soft", text),
            ("on-accent", "accent", text),
            ("on-bad", "bad", text),
            ("focus", "bg", ring),
            ("focus", "soft", ring),
            ("focus", "note", ring),
            ("field", "input", ring),
        ];
        let mut failures = Vec::new();
        for (scheme, colours) in [("light", &light), ("dark", &dark)] {
            for (fore, back, min) in pairs {
                let ratio = contrast(colours[fore], colours[back]);
                if ratio < min {
                    failures.push(format!(
                        "{scheme}: --{fore} on --{back} is {ratio:.2}:1, needs {min}:1"
                    ));
                }
            }
        }
        // One focus colour serves both schemes: it must stand out on either background.
        for background in [light["bg"], dark["bg"]] {
            let ratio = contrast(light["focus"], background);
            if ratio < ring {
                failures.push(format!("the focus ring is {ratio:.2}:1 on a background"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn colours_are_variables_so_that_the_dark_scheme_sets_them_all() {
        // Outside the blocks that declare them, a colour is written as a variable; white stays
        // only behind the QR code, which a camera must read dark on light.
        let mut rest = String::new();
        let mut from = 0;
        while let Some(at) = CSS[from..].find(":root {") {
            let start = from + at;
            rest.push_str(&CSS[from..start]);
            from = start + CSS[start..].find('}').unwrap();
        }
        rest.push_str(&CSS[from..]);
        let stray: Vec<&str> = rest
            .lines()
            .filter(|line| line.contains('#') && !line.trim_start().starts_with("/*"))
            .filter(|line| !line.starts_with("figure.qr svg"))
            .collect();
        assert!(stray.is_empty(), "colours not from a variable: {stray:#?}");
    }
}
