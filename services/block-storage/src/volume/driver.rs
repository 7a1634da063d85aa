//! What a volume backend can do, and the drivers a backend section can name.

use std::path::PathBuf;
use std::sync::Arc;

use ferrostack_config::Registry;

/// A driver failure, reported as the volume's error.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("{0}")]
    Failed(String),
}

impl From<std::io::Error> for DriverError {
    fn from(err: std::io::Error) -> Self {
        DriverError::Failed(err.to_string())
    }
}

/// A driver configured from its backend's section (`volume_driver` and the
/// driver's own options), ready to open.
#[async_trait::async_trait]
pub trait DriverFactory: std::fmt::Debug + Send + Sync {
    /// Opens the driver on the directory of its backend's volumes.
    async fn open(&self, dir: PathBuf) -> Result<Arc<dyn Driver>, DriverError>;
}

/// The drivers `volume_driver` can name.
pub const DRIVERS: Registry<Arc<dyn DriverFactory>> = Registry {
    plugins: &[super::file::PLUGIN, super::iscsi::PLUGIN],
};

/// Capacity in GiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub total_gb: f64,
    pub free_gb: f64,
    /// What the backend's volumes may grow to: the sum of their sizes.
    pub provisioned_gb: f64,
}

/// One backend's driver.
#[async_trait::async_trait]
pub trait Driver: Send + Sync {
    /// `file`, ...
    fn name(&self) -> &'static str;
    /// `file`, `iSCSI`, as Cinder's `storage_protocol`.
    fn storage_protocol(&self) -> &'static str;
    /// The format of the volume files at [`Driver::path`]: `raw` or `qcow2`.
    fn data_format(&self) -> &str;
    /// Creates an empty volume of `size_gb`; returns its provider location.
    async fn create(&self, volume_id: &str, size_gb: u64) -> Result<String, DriverError>;
    /// Creates a volume of `size_gb` holding a copy of snapshot `snapshot_id`.
    async fn create_from_snapshot(
        &self,
        volume_id: &str,
        snapshot_id: &str,
        size_gb: u64,
    ) -> Result<String, DriverError>;
    /// Creates a volume of `size_gb` holding a copy of volume `source_id`.
    async fn clone_volume(
        &self,
        volume_id: &str,
        source_id: &str,
        size_gb: u64,
    ) -> Result<String, DriverError>;
    /// Snapshots volume `volume_id` as `snapshot_id`.
    async fn create_snapshot(&self, volume_id: &str, snapshot_id: &str) -> Result<(), DriverError>;
    /// Puts the volume's data back as it was in `snapshot_id`.
    async fn revert_to_snapshot(
        &self,
        volume_id: &str,
        snapshot_id: &str,
    ) -> Result<(), DriverError>;
    /// Removes a snapshot; already gone is not an error.
    async fn delete_snapshot(&self, snapshot_id: &str) -> Result<(), DriverError>;
    /// Exports the volume to `connector`; returns Cinder's connection_info.
    async fn initialize_connection(
        &self,
        volume_id: &str,
        connector: &serde_json::Value,
    ) -> Result<serde_json::Value, DriverError>;
    /// Ends the export to `connector`.
    async fn terminate_connection(
        &self,
        volume_id: &str,
        connector: &serde_json::Value,
    ) -> Result<(), DriverError>;
    /// Creates a volume of `size_gb` holding the image at `image`, whose qemu-img
    /// format name is `image_format` — found by inspecting the data (or a volume's
    /// own format), never the format an image's owner declared; fails when the
    /// image's virtual size does not fit or it names other files.
    async fn copy_image_to_volume(
        &self,
        volume_id: &str,
        size_gb: u64,
        image: &std::path::Path,
        image_format: &str,
    ) -> Result<String, DriverError>;
    /// Like [`Driver::copy_image_to_volume`] for an `image` file that is scratch:
    /// the driver may move it into place instead of copying it.
    async fn take_image_as_volume(
        &self,
        volume_id: &str,
        size_gb: u64,
        image: &std::path::Path,
        image_format: &str,
    ) -> Result<String, DriverError> {
        self.copy_image_to_volume(volume_id, size_gb, image, image_format)
            .await
    }
    /// Writes the volume's data to `target` as a `disk_format` image.
    async fn copy_volume_to_image(
        &self,
        volume_id: &str,
        target: &std::path::Path,
        disk_format: &str,
    ) -> Result<(), DriverError>;
    /// Grows the volume to `new_size_gb`.
    async fn extend(&self, volume_id: &str, new_size_gb: u64) -> Result<(), DriverError>;
    /// Removes the volume at `provider_location`; already gone is not an error.
    async fn delete(&self, volume_id: &str, provider_location: &str) -> Result<(), DriverError>;
    /// What the backend holds and has left.
    async fn capacity(&self) -> Result<Capacity, DriverError>;
    /// The path of a volume's data on this host.
    fn path(&self, volume_id: &str) -> PathBuf;
}
