//! What the command-line verbs need from team mode, synchronously: a small runtime, and sharing
//! what a verb appended once it is on disk (queued when the server cannot be reached).

use super::TeamError;
use super::connect::Patience;
use super::outbox::Outbox;
use super::sync::{Folder, Link, push};
use crate::domain::team_config::TeamConfig;
use crate::store::DataDir;

/// Runs a team operation to the end on a runtime of its own.
pub fn block_on<T>(
    f: impl std::future::Future<Output = Result<T, TeamError>>,
) -> Result<T, TeamError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TeamError::Io(format!("cannot start the network runtime: {e}")))?;
    rt.block_on(f)
}

/// Shares the events a verb appended (through `data`) to shared incidents. Returns a line for
/// standard error when some are left waiting (`queued: N to share`, and why).
pub fn share_after(data: &DataDir, cfg: &TeamConfig) -> Option<String> {
    let folders: Vec<Folder> = data
        .appended_to()
        .iter()
        .map(|id| Folder::new(id, &data.incident_dir(id)))
        .filter(|f| Outbox::is_shared(&f.dir) && f.waiting() > 0)
        .collect();
    if folders.is_empty() {
        return None;
    }
    let result = if cfg.enabled() {
        block_on(async {
            let link = Link::open(cfg, Patience::Once).await?;
            for f in &folders {
                link.stream(&f.id).await?;
                push(&link, f).await?;
            }
            Ok(())
        })
    } else {
        Err(TeamError::NotSetUp)
    };
    let left: usize = folders.iter().map(Folder::waiting).sum();
    match result {
        Ok(()) if left == 0 => None,
        Ok(()) => Some(format!("queued: {left} to share")),
        Err(e) => Some(format!(
            "queued: {left} to share ({e}); `warroom sync` shares them, or any later verb or the console"
        )),
    }
}
