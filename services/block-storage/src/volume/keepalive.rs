//! A working operation's keepalive: while a manager copies, downloads, converts
//! or uploads, it tells the api role every so often that the operation is alive,
//! which marks the volume or snapshot as updated now. The api's sweeper fails
//! only operations whose keepalives stopped — a manager that died — however long
//! a live one takes.

use std::time::Duration;

use ferrostack_proto::block_storage::{Empty, SnapshotUpdate, VolumeUpdate};
use ferrostack_rpc::RpcClient;
use tokio_util::sync::CancellationToken;

use crate::rpc;

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
}

impl Keepalive {
    /// Starts sending keepalives for `working` every `every`.
    pub fn start(api: RpcClient, working: Working, every: Duration) -> Self {
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
        };
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
                let context = rpc::internal_context();
                let sent: Result<Empty, _> = match beat() {
                    Beat::Volume(update) => {
                        api.call(&context, None, rpc::VOLUME_UPDATE, &update).await
                    }
                    Beat::Snapshot(update) => {
                        api.call(&context, None, rpc::SNAPSHOT_UPDATE, &update)
                            .await
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
}

impl Drop for Keepalive {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use std::sync::{Arc, Mutex};

    /// The api role's side: records the keepalives it gets.
    struct Api(Arc<Mutex<Vec<VolumeUpdate>>>);

    #[async_trait::async_trait]
    impl ferrostack_rpc::Handler for Api {
        async fn handle(
            &self,
            request: ferrostack_rpc::Request,
        ) -> Result<bytes::Bytes, ferrostack_rpc::RemoteError> {
            let update = VolumeUpdate::decode(request.payload.as_slice()).unwrap();
            self.0.lock().unwrap().push(update);
            Ok(Empty::default().encode_to_vec().into())
        }
    }

    #[tokio::test]
    async fn keepalives_flow_while_the_guard_lives() {
        let bus = format!("memory://keepalive-{}", uuid::Uuid::new_v4().simple());
        let transport = ferrostack_rpc::connect(&bus, Default::default())
            .await
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let _server = transport
            .serve(rpc::API_TOPIC, "api", Arc::new(Api(seen.clone())))
            .await
            .unwrap();
        let api = RpcClient::new(transport, rpc::API_TOPIC, Duration::from_secs(5));
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
