//! The rules of the house, checked against the workspace itself: the dependency graph from
//! `cargo metadata` (what each crate may depend on, directly or through others) and a few rules
//! about source text that no dependency shows. A crate that gains a dependency it must not have
//! fails here, with the path through which it came.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workspace's resolved dependency graph: package name -> the names of its normal
/// (non-dev, non-build) dependencies.
struct Graph {
    normal: BTreeMap<String, BTreeSet<String>>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The platform this runs on, as rustc names it (`cargo metadata` then needs only the packages
/// that were built here, and no network).
fn host() -> String {
    let output = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc names its host")
        .to_owned()
}

fn graph() -> Graph {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host()])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: BTreeMap<String, String> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut normal: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in json["resolve"]["nodes"].as_array().unwrap() {
        let name = names[node["id"].as_str().unwrap()].clone();
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| names[d["pkg"].as_str().unwrap()].clone());
        normal.entry(name).or_default().extend(deps);
    }
    Graph { normal }
}

impl Graph {
    fn direct(&self, package: &str) -> &BTreeSet<String> {
        self.normal
            .get(package)
            .unwrap_or_else(|| panic!("{package} is not in the workspace"))
    }

    /// The path from `package` to `forbidden` through normal dependencies, if there is one.
    fn path(&self, package: &str, forbidden: &str) -> Option<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut queue = std::collections::VecDeque::from([vec![package.to_owned()]]);
        while let Some(path) = queue.pop_front() {
            let last = path.last().unwrap();
            if last == forbidden {
                return Some(path);
            }
            for next in self.normal.get(last).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    queue.push_back(longer);
                }
            }
        }
        None
    }
}

/// What each crate must not reach, through any chain of normal dependencies, and why.
const NEVER_REACHES: &[(&str, &[&str], &str)] = &[
    (
        "postern-core",
        &[
            "tokio",
            "mio",
            "sqlx",
            "axum",
            "hyper",
            "tower",
            "tower-http",
            "lettre",
            "askama",
            "postern-store",
            "postern-app",
            "postern-web",
        ],
        "the core does no IO and uses no database or HTTP (randomness and the clock: the source check below)",
    ),
    (
        "postern-store",
        &[
            "axum",
            "hyper",
            "tower-http",
            "askama",
            "lettre",
            "clap",
            "postern-app",
            "postern-web",
        ],
        "the store speaks SQL and nothing else: no HTTP, no HTML, no mail, no command line",
    ),
    (
        "postern-app",
        &[
            "axum",
            "hyper",
            "tower-http",
            "askama",
            "lettre",
            "clap",
            "postern-web",
        ],
        "the use cases know no HTTP, HTML, mail or command line; the entry points translate",
    ),
    (
        "postern-web",
        &["lettre", "clap"],
        "the web layer serves HTTP; mail and the command line are the binary's",
    ),
    (
        "postern-mail",
        &[
            "tokio",
            "mio",
            "sqlx",
            "axum",
            "hyper",
            "lettre",
            "askama",
            "postern-store",
            "postern-app",
            "postern-web",
        ],
        "reading a message is pure: no IO, no database, no HTTP; the use cases decide what it becomes",
    ),
];

/// Direct dependencies a crate must not have, and why.
const NEVER_DEPENDS_ON: &[(&str, &[&str], &str)] = &[
    (
        "postern-app",
        &["sqlx"],
        "only the store speaks SQL; the use cases call the store",
    ),
    (
        "postern-web",
        &["sqlx"],
        "only the store speaks SQL; the pages call the use cases and the store",
    ),
    (
        "postern",
        &["sqlx", "axum", "tower-http", "askama_web"],
        "only the store speaks SQL and only the web layer serves HTTP (postern_web::serve)",
    ),
];

#[test]
fn no_crate_depends_on_what_its_layer_must_not_know() {
    let graph = graph();
    let mut broken = Vec::new();
    for (package, forbidden, why) in NEVER_REACHES {
        for f in *forbidden {
            if let Some(path) = graph.path(package, f) {
                broken.push(format!(
                    "{package} reaches {f} via {}: {why}",
                    path.join(" -> ")
                ));
            }
        }
    }
    for (package, forbidden, why) in NEVER_DEPENDS_ON {
        for f in *forbidden {
            if graph.direct(package).contains(*f) {
                broken.push(format!("{package} depends on {f}: {why}"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    // The rules see real edges: the layers do depend on what they are allowed.
    assert!(graph.direct("postern-store").contains("sqlx"));
    assert!(graph.direct("postern-web").contains("axum"));
    assert!(graph.direct("postern-app").contains("postern-store"));
    assert!(graph.path("postern", "sqlx").is_some(), "through the store");
}

/// A crate's source files outside its tests, as (path, text before any `#[cfg(test)]`).
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text
                    .split("#[cfg(test)]")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                out.push((path, code));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

#[test]
fn the_core_and_the_mail_reader_read_no_clock_and_touch_no_file_network_or_environment() {
    let root = workspace_root();
    let forbidden = [
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "Timestamp::now",
        "SystemTime",
        "Instant::now",
        "getrandom",
        "rand::",
    ];
    let mut broken = Vec::new();
    let pure = sources(&root.join("crates/core/src"))
        .into_iter()
        .chain(sources(&root.join("crates/mail/src")));
    for (path, code) in pure {
        for f in forbidden {
            if code.contains(f) {
                broken.push(format!("{} uses {f}", path.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_binary_uses_the_web_crate_only_to_serve() {
    let root = workspace_root();
    let mut users: Vec<String> = sources(&root.join("crates/postern/src"))
        .into_iter()
        .filter(|(_, code)| code.contains("postern_web"))
        .map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    users.sort();
    assert_eq!(
        users,
        ["serve.rs"],
        "the terminal commands go through postern_app"
    );
}
