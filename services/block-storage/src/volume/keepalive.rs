//! A working operation's keepalive: while a manager copies, downloads, converts
//! or uploads (or a backup host backs up or restores), it tells the api role every so often that the operation is alive,
//! which marks the volume or snapshot as updated now. The api's sweeper fails
//! only operations whose keepalives stopped — a manager that died — however long
//! a live one takes.

use std::time::Duration;

use ferrostack_rpc::Client;
use tokio_util::sync::CancellationToken;

use crate::rpc::api;
use crate::rpc::messages::{BackupUpdate, SnapshotUpdate, VolumeUpdate};

/// Sends keepalives until dropped.
pub struct Keepalive {
    stop: CancellationToken,
}

/// What a keepalive is about.
pub enum Working<'a> {
    /// A volume in one of these statuses.
    Volume(&'a str, &'a [&'a str]),
    /// A snapshot in one of these statuses.
    Snapshot(&'a str, &'a [&'a str]),
    /// A backup in one of these statuses.
    Backup(&'a str, &'a [&'a str]),
}

impl Keepalive {
    /// Starts sending keepalives for `working` every `every`.
    pub fn start(api: Client<api::Topic>, working: Working, every: Duration) -> Self {
        let stop = CancellationToken::new();
        let token = stop.clone();
        let owned = |statuses: &[&str]| statuses.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let beat: Box<dyn Fn() -> Beat + Send> = match working {
            Working::Volume(id, statuses) => {
                let update = VolumeUpdate {
                    id: id.to_string(),
                    from_status: owned(statuses),
                    ..VolumeUpdate::default()
                };
                Box::new(move || Beat::Volume(update.clone()))
            }
            Working::Snapshot(id, statuses) => {
                let update = SnapshotUpdate {
                    id: id.to_string(),
                    from_status: owned(statuses),
                    ..SnapshotUpdate::default()
                };
                Box::new(move || Beat::Snapshot(update.clone()))
            }
            Working::Backup(id, statuses) => {
                let update = BackupUpdate {
                    id: id.to_string(),
                    from_status: owned(statuses),
                    ..BackupUpdate::default()
                };
                Box::new(move || Beat::Backup(update.clone()))
            }
        };
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
                let context = ferrostack_rpc::Context::internal();
                let sent = match beat() {
                    Beat::Volume(update) => {
                        api.call::<api::VolumeUpdate>(&context, None, &update).await
                    }
                    Beat::Snapshot(update) => {
                        api.call::<api::SnapshotUpdate>(&context, None, &update)
                            .await
                    }
                    Beat::Backup(update) => {
                        api.call::<api::BackupUpdate>(&context, None, &update).await
                    }
                };
                if let Err(e) = sent {
                    tracing::warn!("keepalive not sent: {e}");
                }
            }
        });
        Keepalive { stop }
    }
}

enum Beat {
    Volume(VolumeUpdate),
    Snapshot(SnapshotUpdate),
    Backup(BackupUpdate),
}

impl Drop for Keepalive {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn keepalives_flow_while_the_guard_lives() {
        let bus = format!("memory://keepalive-{}", uuid::Uuid::new_v4().simple());
        let transport = ferrostack_rpc::connect(&bus, Default::default())
            .await
            .unwrap();
        // The api role's side: records the keepalives it gets.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let _server = ferrostack_rpc::Router::<api::Topic, _>::new(seen.clone())
            .route::<api::VolumeUpdate, _, _>(|seen, _, update| async move {
                seen.lock().unwrap().push(update);
                Ok(())
            })
            .serve(&transport, "api")
            .await
            .unwrap();
        let api = Client::new(transport, Duration::from_secs(5));
        let guard = Keepalive::start(
            api,
            Working::Volume("v1", &["creating", "downloading"]),
            Duration::from_millis(30),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(guard);
        let sent = seen.lock().unwrap().len();
        assert!(sent >= 2, "{sent} keepalives");
        let first = seen.lock().unwrap()[0].clone();
        assert_eq!(first.id, "v1");
        assert!(first.status.is_empty());
        assert_eq!(first.from_status, ["creating", "downloading"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            seen.lock().unwrap().len() <= sent + 1,
            "stopped with its guard"
        );
    }
}
