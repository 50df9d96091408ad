//! `postern init`: writes a commented starter policy that `postern policy check` accepts.
//!
//! Values come from flags; in a terminal, missing ones are asked for. The text is checked with
//! the same parser as `policy check` before anything is written, so a bad answer is reported
//! and nothing half-made lands on disk.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use postern_core::policy::{self, Level};

use crate::cli::InitArgs;

/// The answers a starter policy needs.
#[derive(Debug, Clone)]
pub struct Answers {
    /// Project name.
    pub name: String,
    /// Security contact address.
    pub email: String,
    /// Home page or repository, https.
    pub url: Option<String>,
}

/// A TOML basic string holding `text`.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The starter policy text.
pub fn starter_policy(answers: &Answers) -> String {
    let name = toml_string(answers.name.trim());
    let email = toml_string(answers.email.trim());
    let homepage = match &answers.url {
        Some(url) => format!("homepage = {}", toml_string(url.trim())),
        None => "# homepage = \"https://example.org\"".to_owned(),
    };
    let title: String = answers
        .name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // One pass, so that an answer containing "{email}" is not substituted again.
    let mut out = String::with_capacity(STARTER.len() + 200);
    let mut rest = STARTER;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let (value, len) = [
            ("{title}", &title),
            ("{name}", &name),
            ("{email}", &email),
            ("{homepage}", &homepage),
        ]
        .into_iter()
        .find(|(placeholder, _)| after.starts_with(placeholder))
        .map_or(("{", 1), |(placeholder, value)| {
            (value.as_str(), placeholder.len())
        });
        out.push_str(value);
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

const STARTER: &str = r#"# Security policy of {title}, run by Postern. Check it with `postern policy check FILE`,
# see what it promises with `postern policy render FILE --format security-md`.
# Durations: "48 hours", "7 days", "1 business day", "2 weeks", or a range "1-2 weeks".

[project]
name = {name}
{homepage}
# repository = "https://github.com/OWNER/REPO"

# Which versions receive security fixes; add a row per release line.
[[supported_versions]]
versions = "latest release"
supported = true

# Private channels, most preferred first.
[[channels]]
kind = "web-form"          # Postern's encrypted report form
preferred = true

[[channels]]
kind = "email"
email = {email}

# What the team promises, counted from receipt of a report. A promise may also be a table:
# { within = "3 days", starts = "acknowledgement" } counts from another event (receipt,
# acknowledgement or triage); { untimed = true, says = "within a reasonable time" } promises
# no set time, in your words, and is still tracked.
[response]
time_zone = "UTC"          # an IANA name such as "Europe/Berlin"; business days count here
acknowledge = "48 hours"
assess = "5 business days"
plan = "2 weeks"
update_interval = "2 weeks"

# Deadlines per severity, counted from triage unless they say `starts`.
[severity.critical]
fix = "7 days"
disclose = "14 days"

[severity.high]
fix = "30 days"
disclose = "45 days"

[severity.medium]
fix = "60 days"
disclose = "90 days"

[severity.low]
fix = "90 days"
disclose = "90 days"

[[scope.in]]
category = "rce"
title = "Remote code execution"

[[scope.in]]
category = "auth-bypass"
title = "Authentication or authorization bypass"

[[scope.in]]
category = "data-exposure"
title = "Exposure of sensitive data"

[[scope.out]]
category = "social-engineering"
title = "Social engineering and physical attacks"

[[scope.out]]
category = "dos"
title = "Denial of service by volume"

[disclosure]
coordinated = true
default_embargo = "90 days"
max_embargo = "120 days"

[credit]
places = ["advisories", "hall-of-fame"]
anonymity = true

# Offer a key for sensitive details:
# [[encryption]]
# kind = "openpgp"
# url = "https://example.org/security.asc"
# fingerprint = "0123456789ABCDEF0123456789ABCDEF01234567"

[policy]
expires = "180 days"       # renewed on every rendering; or a fixed moment 2027-06-30T00:00:00Z
languages = ["en"]
"#;

fn ask(prompt: &str, default: Option<&str>) -> anyhow::Result<Option<String>> {
    let mut stderr = std::io::stderr();
    match default {
        Some(d) => write!(stderr, "{prompt} [{d}]: ")?,
        None => write!(stderr, "{prompt}: ")?,
    }
    stderr.flush()?;
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line)?;
    if read == 0 {
        bail!("no answer (end of input)");
    }
    let line = line.trim();
    Ok(if line.is_empty() {
        default.map(str::to_owned)
    } else {
        Some(line.to_owned())
    })
}

pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    if args.output.exists() && !args.force {
        bail!(
            "{} already exists; choose another --output or pass --force to overwrite it",
            args.output.display()
        );
    }
    let interactive = !args.no_input && std::io::stdin().is_terminal();
    let mut name = args.name.clone();
    let mut email = args.email.clone();
    let mut url = args.url.clone();
    if interactive {
        if name.is_none() {
            name = ask("Project name", None)?;
        }
        if email.is_none() {
            email = ask("Security contact email", None)?;
        }
        if url.is_none() {
            url = ask("Home page or repository (https, optional)", Some(""))?
                .filter(|u| !u.is_empty());
        }
    }
    let (Some(name), Some(email)) = (name, email) else {
        bail!(
            "give the project's --name and security contact --email (or run in a terminal to be asked)"
        );
    };
    let text = starter_policy(&Answers { name, email, url });
    let checked = policy::parse_str(&text, jiff::Timestamp::now());
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .collect();
    if !errors.is_empty() {
        for d in errors {
            eprintln!("postern init: {}", d.message);
        }
        bail!("nothing written: fix the values above and run again");
    }
    std::fs::write(&args.output, text)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "Wrote {}. Next: edit it, then `postern policy check {}` and `postern serve --policy {}`.",
        args.output.display(),
        args.output.display(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_policy_checks_clean_with_awkward_names() {
        let answers = Answers {
            name: "Acme \"Rocket\" \\ Widgets".into(),
            email: "security@acme.example.org".into(),
            url: Some("https://acme.example.org".into()),
        };
        let checked = policy::parse_str(&starter_policy(&answers), jiff::Timestamp::UNIX_EPOCH);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let policy = checked.policy.unwrap();
        assert_eq!(policy.project.name, "Acme \"Rocket\" \\ Widgets");
        assert_eq!(policy.project.slug, "acme-rocket-widgets");
        assert_eq!(
            policy.channels[1].email.as_deref(),
            Some("security@acme.example.org")
        );
    }

    #[test]
    fn answers_are_substituted_once() {
        let answers = Answers {
            name: "{email}".into(),
            email: "security@acme.example.org".into(),
            url: None,
        };
        let policy = policy::parse_str(&starter_policy(&answers), jiff::Timestamp::UNIX_EPOCH)
            .policy
            .unwrap();
        assert_eq!(policy.project.name, "{email}");
    }

    #[test]
    fn a_bad_email_is_an_error_not_a_file() {
        let answers = Answers {
            name: "Acme".into(),
            email: "not-an-address".into(),
            url: None,
        };
        let checked = policy::parse_str(&starter_policy(&answers), jiff::Timestamp::UNIX_EPOCH);
        assert!(checked.has_errors());
        assert!(checked.diagnostics[0].message.contains("email"));
    }
}
