//! Which log records are written, whatever `POSTERN_LOG` asks for.
//!
//! Some libraries log once per oddity in their input: html5ever (under ammonia, which sanitizes
//! every rendered Markdown text) writes a warning for every piece of text it has to move out of
//! a `<table>` (rPGP, under the OpenPGP channel, one per packet), so a 64 KiB description of `<table>x` repeated, drafted into an advisory, wrote
//! some 2,000 lines at every view of the page. Input chosen by a stranger must never make the
//! log grow with its size, so those targets are silenced here, in code, after the operator's
//! directives (a later directive for the same target replaces an earlier one): no setting of
//! `POSTERN_LOG` brings them back. What Postern itself logs about a request is one line or a
//! few, whatever the request's size.

use tracing_subscriber::EnvFilter;

/// The log level when none is asked for (or what is asked cannot be read).
pub const LOG_DEFAULT: &str = "info";

/// Libraries that log per element of their input (parse errors, repairs), never about
/// Postern's own work: silenced entirely.
/// rPGP (`pgp`) writes a debug record, with the packet's contents, for every packet and
/// signature of a key or message a stranger sends.
pub const LOG_TARGETS_SILENCED: [&str; 3] = ["html5ever", "markup5ever", "pgp"];

/// The filter of every log Postern writes: `requested` (the operator's directives, as
/// `POSTERN_LOG` gives them; the default level when absent or unreadable), then the
/// silenced targets turned off.
pub fn log_filter(requested: Option<&str>) -> EnvFilter {
    let mut filter = requested
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new(LOG_DEFAULT));
    for target in LOG_TARGETS_SILENCED {
        let directive = format!("{target}=off")
            .parse()
            .expect("a target name with a level is a directive");
        filter = filter.add_directive(directive);
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_silenced_targets_stay_off_whatever_is_requested() {
        for requested in [
            None,
            Some("trace"),
            Some("html5ever=trace,info"),
            Some("%%"),
        ] {
            let shown = log_filter(requested).to_string();
            for target in LOG_TARGETS_SILENCED {
                assert!(
                    shown.contains(&format!("{target}=off")),
                    "{requested:?}: {shown}"
                );
                assert!(
                    !shown.contains(&format!("{target}=trace")),
                    "{requested:?}: {shown}"
                );
            }
        }
    }
}
