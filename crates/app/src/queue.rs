//! The team's work queue and its search: one use case for the team's pages and the terminal.
//! The queue lists only the projects the actor sees; a search (`core::search::SearchQuery`)
//! narrows it by words of the reports' sealed contents, through keyed tokens (the store's
//! `search`), and combines with every other filter and order.

use postern_core::search::SearchQuery;
use postern_store::team::{QueueFilter, QueueRow};

use crate::{Actor, App, Error};

impl App {
    /// The reports of the queue the actor may see, as `filter` asks (a project the actor may
    /// not see is a `NotFound`), found by every word of `search` when it is not blank (a search
    /// with nothing to search for is `Invalid` on the field `search`, saying what to type);
    /// at most `limit` (`postern_store::team::QUEUE_PAGE_MAX`), each under its title. A list,
    /// not a view of any report: nothing is audited (see ARCHITECTURE.md).
    pub async fn queue(
        &self,
        actor: &Actor,
        mut filter: QueueFilter,
        search: &str,
        limit: usize,
    ) -> Result<Vec<QueueRow>, Error> {
        filter.search = match search.trim() {
            "" => None,
            text => Some(SearchQuery::parse(text).map_err(|m| Error::field("search", m))?),
        };
        filter.projects = match filter.projects.take() {
            Some(asked) => {
                for project in &asked {
                    actor.check_sees(project)?;
                }
                Some(asked)
            }
            None => actor.project_filter(),
        };
        Ok(self.store().queue(&filter, limit).await?)
    }
}
