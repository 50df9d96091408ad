//! Postern's one integration-test binary: the real `postern` executable, driven as a user would.

mod advisory_cli;
mod architecture;
mod audit_cli;
mod browser;
mod durability;
mod key_cli;
mod mail;
mod mail_channel;
mod policy_cli;
mod report_cli;
mod serve;
mod subscriptions;
mod support;
mod webhook;
