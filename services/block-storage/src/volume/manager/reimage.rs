//! os-reimage on the volume host: the image downloaded and checked as for a
//! volume made from it, then written in place of the volume's data; the
//! volume returns to its status, or ends in error with a user message.

use super::{user_message, BackendManager};
use crate::rpc::messages::{ReimageVolume, VolumeUpdate};
use crate::volume::keepalive::Working;

/// The status the volume has while it is reimaged.
const DOWNLOADING: [&str; 1] = ["downloading"];

impl BackendManager {
    pub(super) async fn reimage(&self, request: ReimageVolume, token: &str) {
        let Some(spec) = request.volume else { return };
        let _alive = self.keepalive(Working::Volume(&spec.id, &DOWNLOADING));
        let size = u64::try_from(spec.size_gb).unwrap_or(0);
        let written = self
            .write_image(&spec, token, size, Some(&request.provider_location))
            .await;
        let from_status = DOWNLOADING.map(String::from).to_vec();
        let update = match written {
            Ok(location) => VolumeUpdate {
                id: spec.id.clone(),
                status: request.done_status,
                from_status,
                provider_location: location,
                bootable: true,
                ..VolumeUpdate::default()
            },
            Err(e) => {
                tracing::warn!(volume = spec.id, "reimage failed: {e}");
                VolumeUpdate {
                    id: spec.id.clone(),
                    status: "error".into(),
                    from_status,
                    error: e.to_string(),
                    message: user_message("016", "001"),
                    ..VolumeUpdate::default()
                }
            }
        };
        self.report(update).await;
    }
}
