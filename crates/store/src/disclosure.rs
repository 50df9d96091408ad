//! Disclosure dates agreed with the reporter: a reporter proposes a date (with a reason, which
//! goes into the conversation sealed like any message), the team accepts or declines it on the
//! record, and an accepted date becomes the report's agreed disclosure date and the schedule of
//! its unpublished advisory, in one transaction.

use jiff::Timestamp;
use postern_core::report::{Author, CaseKey, ReportId};
use sqlx::Row as _;

use crate::jobs::{self, NewJob};
use crate::team::{Stmt, TeamWrite, Value, event, stmt, text};
use crate::{Db, Store, StoreError, WriteOp, from_millis, millis, on_db, random_id};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Waiting for the team.
    Open,
    /// The team agreed: the date is the disclosure date.
    Accepted,
    /// The team declined.
    Declined,
}

impl RequestState {
    fn name(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Accepted => "accepted",
            RequestState::Declined => "declined",
        }
    }

    fn parse(s: &str) -> Option<RequestState> {
        [
            RequestState::Open,
            RequestState::Accepted,
            RequestState::Declined,
        ]
        .into_iter()
        .find(|r| r.name() == s)
    }

    /// In words, for pages.
    pub fn words(self) -> &'static str {
        match self {
            RequestState::Open => "waiting for the team",
            RequestState::Accepted => "accepted",
            RequestState::Declined => "declined",
        }
    }
}

/// A proposed disclosure date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRequest {
    /// Its id (random, not secret).
    pub id: String,
    /// When the reporter asked.
    pub asked_at: Timestamp,
    /// The date they proposed.
    pub asked_for: Timestamp,
    /// Where it stands.
    pub state: RequestState,
    /// When the team answered.
    pub decided_at: Option<Timestamp>,
    /// Who answered.
    pub decided_by: Option<String>,
}

/// A report's disclosure date as agreed, and the requests about it, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisclosureTerms {
    /// The date agreed with the reporter, if one was.
    pub agreed: Option<Timestamp>,
    /// Every request, oldest first.
    pub requests: Vec<DisclosureRequest>,
}

impl DisclosureTerms {
    /// The request waiting for an answer.
    pub fn open(&self) -> Option<&DisclosureRequest> {
        self.requests.iter().find(|r| r.state == RequestState::Open)
    }
}

/// The team's answer to a proposed date.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// Whether the date is accepted.
    pub accept: bool,
    /// Words to the reporter, if any.
    pub note: &'a str,
    /// The policy's early-access lead: an accepted date moves the early-access mail along.
    pub early_access: Option<jiff::SignedDuration>,
}

/// (id, asked_at, asked_for, state, decided_at, decided_by) of a request row.
type RequestColumns = (String, i64, i64, String, Option<i64>, Option<String>);

impl Store {
    /// The reporter (holding the case key) proposes `asked_for` as the disclosure date, with a
    /// reason; the caller has checked the date against the policy (`core::embargo::check`).
    /// Refused while an earlier request waits for an answer.
    pub async fn request_disclosure_date(
        &self,
        id: Option<&ReportId>,
        case_key: &CaseKey,
        asked_for: Timestamp,
        reason: &str,
        now: Timestamp,
    ) -> Result<ReportId, StoreError> {
        let (id, data_key, row) = self.locate(id, case_key).await?;
        if self.disclosure_terms(&id).await?.open().is_some() {
            return Err(StoreError::Conflict(
                "you have already proposed a date; the team has not answered yet".into(),
            ));
        }
        let rid = random_id()?;
        let mut body = format!(
            "I propose {} as the disclosure date.",
            postern_core::embargo::day(asked_for)
        );
        if !reason.trim().is_empty() {
            body.push_str("\n\n");
            body.push_str(reason.trim());
        }
        let (mid, message) =
            crate::team::sealed_message_by(&id, &data_key, Author::Reporter, &body, now)?;
        let request = Stmt {
            sql: "INSERT INTO disclosure_requests (id, report_id, asked_at, asked_for, state) VALUES ($1, $2, $3, $4, 'open')",
            args: vec![
                text(&rid),
                text(id.as_str()),
                Value::Int(millis(now)),
                Value::Int(millis(asked_for)),
            ],
            expect_one: Some("you have already proposed a date; the team has not answered yet"),
        };
        self.write(WriteOp::Team(TeamWrite {
            stmts: vec![request, message],
            events: vec![event(
                now,
                "reporter",
                "disclosure.requested",
                Some(id.as_str()),
                format!("request={rid} asked_for={asked_for}"),
            )],
            // The team hears of it as of any message from the reporter.
            jobs: vec![NewJob::event(
                jobs::TEAM_REPORTER_MESSAGE,
                &row.project,
                id.as_str(),
                format!("message:{mid}"),
                now,
            )],
        }))
        .await?;
        Ok(id)
    }

    /// The agreed disclosure date of a report and every request about it.
    pub async fn disclosure_terms(&self, id: &ReportId) -> Result<DisclosureTerms, StoreError> {
        let (agreed, rows): (Option<i64>, Vec<RequestColumns>) = on_db!(&self.db, pool => {
            let agreed: Option<Option<i64>> = sqlx::query("SELECT disclosure_at FROM reports WHERE id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| r.try_get("disclosure_at")).transpose()?;
            let rows = sqlx::query("SELECT id, asked_at, asked_for, state, decided_at, decided_by FROM disclosure_requests WHERE report_id = $1 ORDER BY asked_at, id")
                .bind(id.as_str()).fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("asked_at")?, r.try_get("asked_for")?, r.try_get("state")?, r.try_get("decided_at")?, r.try_get("decided_by")?)))
                .collect::<Result<Vec<_>, _>>()?;
            (agreed.ok_or(StoreError::NotFound)?, rows)
        });
        let requests = rows
            .into_iter()
            .map(
                |(rid, asked_at, asked_for, state, decided_at, decided_by)| {
                    Ok(DisclosureRequest {
                        id: rid,
                        asked_at: from_millis(asked_at)?,
                        asked_for: from_millis(asked_for)?,
                        state: RequestState::parse(&state)
                            .ok_or_else(|| StoreError::Corrupt("request state".into()))?,
                        decided_at: decided_at.map(from_millis).transpose()?,
                        decided_by,
                    })
                },
            )
            .collect::<Result<_, StoreError>>()?;
        Ok(DisclosureTerms {
            agreed: agreed.map(from_millis).transpose()?,
            requests,
        })
    }

    /// The team answers the open request `request` of report `id`. Accepting makes its date
    /// the agreed disclosure date and the schedule of the report's unpublished advisory (if
    /// any, with its early-access mail moved along when `early_access` gives the policy's
    /// lead); either way the reporter is told in the conversation, with `note` if given, and
    /// the answer is audited, all in one transaction. The caller has checked the date against
    /// the policy. A request answered meanwhile is a `Conflict`.
    pub async fn decide_disclosure_request(
        &self,
        id: &ReportId,
        request: &str,
        answer: &Answer<'_>,
        actor: &str,
        now: Timestamp,
    ) -> Result<DisclosureRequest, StoreError> {
        let Answer {
            accept,
            note,
            early_access,
        } = *answer;
        let terms = self.disclosure_terms(id).await?;
        let found = terms
            .requests
            .iter()
            .find(|r| r.id == request)
            .ok_or(StoreError::NotFound)?
            .clone();
        let state = if accept {
            RequestState::Accepted
        } else {
            RequestState::Declined
        };
        let day = postern_core::embargo::day(found.asked_for);
        let mut body = if accept {
            format!("We accept {day} as the disclosure date.")
        } else {
            format!("We cannot agree to {day} as the disclosure date.")
        };
        if !note.trim().is_empty() {
            body.push_str("\n\n");
            body.push_str(note.trim());
        }
        let (data_key, _) = self.data_key(id).await?;
        let (mid, message) =
            crate::team::sealed_message_by(id, &data_key, Author::Team, &body, now)?;
        let mut stmts = vec![
            Stmt {
                sql: "UPDATE disclosure_requests SET state = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND report_id = $5 AND state = 'open'",
                args: vec![
                    text(state.name()),
                    Value::Int(millis(now)),
                    text(actor),
                    text(request),
                    text(id.as_str()),
                ],
                expect_one: Some("this request was answered meanwhile"),
            },
            message,
        ];
        if accept {
            stmts.push(stmt(
                "UPDATE reports SET disclosure_at = $1 WHERE id = $2",
                vec![Value::Int(millis(found.asked_for)), text(id.as_str())],
            ));
            stmts.push(stmt(
                "UPDATE advisories SET publish_at = $1 WHERE report_id = $2 AND published_at IS NULL",
                vec![Value::Int(millis(found.asked_for)), text(id.as_str())],
            ));
        }
        let mut early = Vec::new();
        if accept && let Some(before) = early_access {
            let advisories: Vec<(String, String)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT id, project FROM advisories WHERE report_id = $1 AND published_at IS NULL")
                    .bind(id.as_str()).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("project")?)))
                    .collect::<Result<Vec<_>, _>>()?
            });
            for (advisory, project) in advisories {
                let job = crate::subscriptions::early_access_event(
                    &advisory,
                    &project,
                    found.asked_for,
                    (found.asked_for - before).max(now),
                );
                stmts.push(crate::subscriptions::withdraw_early_access(
                    &advisory,
                    &job.dedupe_key,
                ));
                early.push(job);
            }
        }
        let project = self.case_row(id).await?.project;
        self.write(WriteOp::Team(TeamWrite {
            stmts,
            events: vec![event(
                now,
                actor,
                if accept {
                    "disclosure.accepted"
                } else {
                    "disclosure.declined"
                },
                Some(id.as_str()),
                format!("request={request} asked_for={}", found.asked_for),
            )],
            // The reporter is told by mail that there is an answer (never what it is).
            jobs: early
                .into_iter()
                .chain([NewJob::message_event(
                    jobs::ReportEvent::CaseUpdate,
                    &project,
                    id.as_str(),
                    vec![mid.clone()],
                    format!("message:{mid}"),
                    now,
                )])
                .collect(),
        }))
        .await?;
        Ok(DisclosureRequest {
            state,
            decided_at: Some(now),
            decided_by: Some(actor.to_owned()),
            ..found
        })
    }
}
