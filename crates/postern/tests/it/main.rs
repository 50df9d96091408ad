//! Postern's one integration-test binary: the real `postern` executable, driven as a user would.

mod advisory_cli;
mod api_fuzz;
mod architecture;
mod audit_cli;
mod backup;
mod browser;
mod csaf;
mod demo_stats;
/// `pub`: its helpers are for every test, and some are used only by the fetcher's own tests.
pub mod dovecot;
mod durability;
mod gpg;
mod imap;
mod key_cli;
mod mail;
mod mail_channel;
mod mail_imap;
mod openpgp_cli;
mod openpgp_mail;
mod ops;
mod policy_cli;
mod privacy_cli;
mod report_cli;
mod scan_cli;
mod serve;
mod subscriptions;
mod support;
mod webhook;
mod xss;
