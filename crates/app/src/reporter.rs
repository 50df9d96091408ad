//! What a reporter can do, with the case key as their only credential: submit a report, write
//! to the team, add attachments, propose a disclosure date. A wrong key and a missing report
//! are the same `NotFound`.

use jiff::Timestamp;
use postern_core::case::Case;
use postern_core::clock::Clocks;
use postern_core::intake::{Submission, validate, validate_encrypted, validate_message};
use postern_core::project::Project;
use postern_core::render::{RenderContext, no_report_form};
use postern_core::report::{Author, CaseKey, ReportId};
use postern_store::disclosure::DisclosureRequest;
use postern_store::{AttachmentInfo, Message, ReporterView};

use crate::intake::Upload;
use crate::{App, Error};

/// A report as it arrived, before any check.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    /// The project's slug; `None` for the default project.
    pub project: Option<String>,
    /// The form's fields, scope, contact and credit.
    pub submission: Submission,
    /// Files sent with it.
    pub uploads: Vec<Upload>,
    /// An ASCII-armoured OpenPGP message, encrypted on the reporter's machine to the
    /// project's key, carrying the report (then no field is required).
    pub encrypted_message: Option<String>,
    /// The reporter's own OpenPGP public key (armoured), to encrypt mail to them and check
    /// the message's signature.
    pub reporter_key: Option<String>,
}

/// A stored report: what the reporter is shown once.
#[derive(Debug)]
pub struct Submitted {
    /// The report's id.
    pub id: ReportId,
    /// The case key, shown once and never stored in the clear.
    pub case_key: CaseKey,
    /// The project's slug.
    pub project: String,
    /// When it was received: every promise's clock starts here.
    pub received_at: Timestamp,
    /// The promises' clocks, as started at receipt.
    pub clocks: Clocks,
    /// Whether the reporter gave an address to be told at.
    pub contact_given: bool,
    /// How an encrypted report arrived (decrypted, or kept sealed), when it came encrypted.
    pub encrypted: Option<postern_store::openpgp::EncryptedArrival>,
}

impl App {
    /// The project whose report form is asked for (`None`: the default project), if its
    /// policy takes reports through Postern's form: only a policy that lists a `web-form`
    /// channel does. Otherwise `NotOffered`, naming the channels the policy offers.
    pub fn report_form(&self, slug: Option<&str>) -> Result<&Project, Error> {
        let project = match slug {
            None => self.projects().default_project(),
            Some(slug) => self.project(slug).ok_or_else(|| {
                Error::field(
                    "project",
                    format!(
                        "unknown project \"{slug}\"; this server has: {}",
                        self.projects().slugs().join(", ")
                    ),
                )
            })?,
        };
        if !project.policy.offers_report_form() {
            let ctx = RenderContext {
                now: self.now(),
                base_url: Some(self.project_url(project)),
                report_form: false,
                csaf_provider: None,
                served_openpgp_key: None,
            };
            return Err(Error::NotOffered(no_report_form(&project.policy, &ctx)));
        }
        Ok(project)
    }

    /// Checks a report against its project's policy and stores it with the clocks the policy
    /// starts at receipt; returns once it is durably committed. Every problem with the fields
    /// and the attachments is reported at once, each by its field. Refused as `NotOffered`
    /// when the policy lists no `web-form` channel.
    ///
    /// With an encrypted message, the plain fields are optional: the message is decrypted with
    /// the project's keys (current or retired) and becomes the report's body
    /// (`intake::encrypted_body_field`); one no key of the project opens is stored all the
    /// same, sealed as it came (an attachment), for the team to see. Armour that cannot be
    /// read, and a reporter's key that cannot be used, are refused by field.
    pub async fn submit_report(&self, report: NewReport) -> Result<Submitted, Error> {
        let project = self.report_form(report.project.as_deref())?;
        let policy = &project.policy;
        let mut errors = Vec::new();
        let encrypted = crate::openpgp::EncryptedInput::given(
            report.encrypted_message.as_deref(),
            report.reporter_key.as_deref(),
        );
        let valid = if encrypted.as_ref().is_some_and(|e| e.has_message()) {
            validate_encrypted(policy, report.submission)
        } else {
            validate(policy, report.submission)
        }
        .map_err(|e| errors.extend(e))
        .ok();
        let attachments = crate::intake::attachments(report.uploads)
            .map_err(|e| errors.extend(e))
            .ok();
        let opened = match &encrypted {
            Some(input) => match self.open_encrypted(project.slug(), input).await {
                Ok(opened) => Some(opened),
                Err(Error::Invalid(e)) => {
                    errors.extend(e);
                    None
                }
                Err(other) => return Err(other),
            },
            None => None,
        };
        let (Some(mut valid), Some(mut attachments), true) =
            (valid, attachments, errors.is_empty())
        else {
            return Err(Error::Invalid(errors));
        };
        let received_at = self.now();
        let clocks = Case::received(policy, received_at).clocks;
        if let Some(opened) = &opened {
            opened.fill(policy, &mut valid, &mut attachments);
        }
        let (id, case_key) = self
            .store()
            .create_encrypted_report(
                project.slug(),
                &valid,
                &attachments,
                received_at,
                &clocks,
                opened
                    .as_ref()
                    .map(|o| (&o.arrival, o.reporter_key.as_deref())),
            )
            .await?;
        Ok(Submitted {
            id,
            case_key,
            project: project.slug().to_owned(),
            received_at,
            clocks,
            contact_given: valid.contact_email.is_some(),
            encrypted: opened.map(|o| o.arrival),
        })
    }

    /// The reporter's view of their case (`id` must match the key's report when given).
    pub async fn reporter_view(
        &self,
        id: Option<&ReportId>,
        key: &CaseKey,
    ) -> Result<ReporterView, Error> {
        Ok(self.store().reporter_view(id, key).await?)
    }

    /// The reporter writes to the team. A message that is an armoured OpenPGP message is
    /// decrypted with the project's keys first (`open_reporter_message`).
    pub async fn reporter_message(
        &self,
        id: Option<&ReportId>,
        key: &CaseKey,
        body: &str,
    ) -> Result<Message, Error> {
        let body = if crate::openpgp::is_armoured_message(body) {
            let view = self.reporter_view(id, key).await?;
            std::borrow::Cow::Owned(
                self.open_reporter_message(&view.id, &view.project, body)
                    .await?,
            )
        } else {
            std::borrow::Cow::Borrowed(body)
        };
        let body = validate_message(&body).map_err(|e| Error::Invalid(vec![e]))?;
        let at = self.now();
        self.store()
            .add_reporter_message(id, key, &body, at)
            .await?;
        Ok(Message {
            author: Author::Reporter,
            at,
            body,
        })
    }

    /// The reporter adds files to their report, under the same limits and hygiene as at
    /// submission.
    pub async fn reporter_attach(
        &self,
        id: Option<&ReportId>,
        key: &CaseKey,
        uploads: Vec<Upload>,
    ) -> Result<Vec<AttachmentInfo>, Error> {
        let attachments = crate::intake::attachments(uploads).map_err(Error::Invalid)?;
        let infos = self
            .store()
            .add_reporter_attachments(id, key, &attachments, self.now())
            .await
            .map_err(|e| match e {
                postern_store::StoreError::Limit(m) => Error::field("attachments", m),
                other => other.into(),
            })?;
        Ok(infos)
    }

    /// The reporter proposes a disclosure date (`date` as they typed it) with a reason; the
    /// team answers on the record. Refused once the report is disclosed or closed, while an
    /// earlier proposal waits, and for a date that has passed or lies beyond the policy's
    /// maximum embargo (counted from receipt). Errors name the field: `date` or `reason`.
    pub async fn propose_disclosure_date(
        &self,
        id: Option<&ReportId>,
        key: &CaseKey,
        date: &str,
        reason: &str,
    ) -> Result<DisclosureRequest, Error> {
        let view = self.store().reporter_view(id, key).await?;
        let published = view
            .disclosure
            .as_ref()
            .is_some_and(|d| d.published_at.is_some());
        postern_core::embargo::may_propose(view.status, published, view.terms.open().is_some())
            .map_err(|m| Error::field("date", m))?;
        if reason.len() > postern_core::embargo::REASON_BYTES_MAX {
            return Err(Error::field(
                "reason",
                format!(
                    "the reason may be at most {} KiB",
                    postern_core::embargo::REASON_BYTES_MAX / 1024
                ),
            ));
        }
        let at = postern_core::embargo::parse_date(date).map_err(|m| Error::field("date", m))?;
        let project = self.served(&view.project)?;
        let now = self.now();
        postern_core::embargo::check(&project.policy, view.received_at, now, at)
            .map_err(|m| Error::field("date", m))?;
        match self
            .store()
            .request_disclosure_date(Some(&view.id), key, at, reason, now)
            .await
        {
            Ok(_) => {}
            Err(postern_store::StoreError::Conflict(m)) => return Err(Error::field("date", m)),
            Err(e) => return Err(e.into()),
        }
        let terms = self.store().disclosure_terms(&view.id).await?;
        terms.open().cloned().ok_or(Error::NotFound)
    }
}
