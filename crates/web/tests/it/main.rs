//! The web layer's one integration-test binary: the router driven in-process (`TestApp`), on
//! SQLite and, where a test says so, PostgreSQL.

mod advisories;
mod channels;
mod drift;
mod intake;
mod logs;
mod matrix;
mod members;
mod navigation;
mod openpgp;
mod ops;
mod policy_pages;
mod privacy;
mod promises;
mod reading;
mod scans;
mod screening;
mod stats;
mod subscriptions;
mod support;
mod team;
mod team_advisories;
