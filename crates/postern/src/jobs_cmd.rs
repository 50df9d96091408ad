//! `postern jobs list [--dead]` and `postern jobs retry ID`: the outbox seen from the terminal,
//! so that a notice that could not be sent is visible and can be sent again.

use std::process::ExitCode;

use anyhow::Context as _;
use postern_store::StoreError;
use postern_store::jobs::JobState;

use crate::cli::JobsCommand;

pub fn run(command: JobsCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match command {
            JobsCommand::List(args) => {
                let store = crate::open::open_store(&args.storage).await?;
                let (jobs, more) = store
                    .jobs_page(args.dead.then_some(JobState::Dead), usize::from(args.limit))
                    .await
                    .context("cannot read the jobs")?;
                store.close().await;
                if jobs.is_empty() {
                    println!("No jobs.");
                }
                for job in jobs {
                    println!(
                        "{}  {:<7}  {:<21}  attempts={}/{}  due={}  report={}  {}",
                        job.id,
                        job.state.name(),
                        job.kind,
                        job.attempts,
                        job.max_attempts,
                        job.run_at,
                        job.report_id.as_deref().unwrap_or("-"),
                        job.last_error.as_deref().unwrap_or(""),
                    );
                }
                if more {
                    println!(
                        "Only the newest {} job(s) are listed; there are more (--limit, at most 500; --dead for the dead ones).",
                        args.limit
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            JobsCommand::Retry(args) => {
                let store = crate::open::open_store(&args.storage).await?;
                let result = store.retry_job(&args.id, jiff::Timestamp::now()).await;
                store.close().await;
                match result {
                    Ok(()) => {
                        println!(
                            "Job {} is pending again; a running `postern serve` tries it within seconds.",
                            args.id
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(StoreError::NotFound) => anyhow::bail!(
                        "there is no dead job {}; `postern jobs list --dead` shows them",
                        args.id
                    ),
                    Err(error) => Err(error).context("cannot retry the job"),
                }
            }
        }
    })
}
