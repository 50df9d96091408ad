//! The vocabulary of a write that is not a report: statements with their parameters, the audit
//! events they append and the outbox jobs they enqueue, committed together by the writer.
//!
//! It is its own module so that the writer, the team's store code and the outbox can all speak
//! it without importing one another.

use jiff::Timestamp;

use crate::jobs::kind::NewJob;
use crate::millis;

/// What the audit log records of a write.
#[derive(Debug, Clone)]
pub(crate) struct EventParts {
    pub at: i64,
    pub actor: String,
    pub action: &'static str,
    pub report_id: Option<String>,
    pub detail: String,
}

/// A parameter of a team write's statement.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
    Blob(Vec<u8>),
    NullText,
    NullBlob,
    NullInt,
}

/// One statement of a team write. With `expect_one`, the write fails with that text as a
/// `Conflict` unless exactly one row changed (optimistic concurrency).
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub sql: &'static str,
    pub args: Vec<Value>,
    pub expect_one: Option<&'static str>,
}

/// Statements and the audit events they append, committed together.
#[derive(Debug, Clone)]
pub(crate) struct TeamWrite {
    pub stmts: Vec<Stmt>,
    pub events: Vec<EventParts>,
    /// Outbox jobs the write enqueues (mail to the reporter, ...).
    pub jobs: Vec<NewJob>,
}

pub(crate) fn text(v: impl Into<String>) -> Value {
    Value::Text(v.into())
}

pub(crate) fn opt_text(v: Option<impl Into<String>>) -> Value {
    v.map_or(Value::NullText, |v| Value::Text(v.into()))
}

pub(crate) fn opt_int(v: Option<i64>) -> Value {
    v.map_or(Value::NullInt, Value::Int)
}

pub(crate) fn opt_blob(v: Option<Vec<u8>>) -> Value {
    v.map_or(Value::NullBlob, Value::Blob)
}

pub(crate) fn stmt(sql: &'static str, args: Vec<Value>) -> Stmt {
    Stmt {
        sql,
        args,
        expect_one: None,
    }
}

pub(crate) fn event(
    at: Timestamp,
    actor: &str,
    action: &'static str,
    report_id: Option<&str>,
    detail: String,
) -> EventParts {
    EventParts {
        at: millis(at),
        actor: actor.to_owned(),
        action,
        report_id: report_id.map(str::to_owned),
        detail,
    }
}

impl Stmt {
    /// The same statement, failing the write as a `Conflict` with `why` unless it changes
    /// exactly one row.
    pub(crate) fn expecting_one(mut self, why: &'static str) -> Stmt {
        self.expect_one = Some(why);
        self
    }
}
