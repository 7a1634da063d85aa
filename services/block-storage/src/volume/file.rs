//! The file driver: one raw or qcow2 file per volume under a directory, made and
//! changed with `qemu-img`.

use std::path::PathBuf;
use std::sync::Arc;

use ferrostack_config::{ConfigError, Opt, Plugin, Section};
use tokio::process::Command;

use super::driver::{Capacity, Driver, DriverError, DriverFactory};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Volumes as files.
pub struct FileDriver {
    dir: PathBuf,
    format: String,
}

/// `[<backend>] volume_format`.
pub const VOLUME_FORMAT: Opt = Opt::new("", "volume_format", "raw", "raw or qcow2 files.");

/// `volume_driver = file`: volumes as raw or qcow2 files.
pub const PLUGIN: Plugin<Arc<dyn DriverFactory>> = Plugin {
    name: "file",
    opts: &[VOLUME_FORMAT],
    configure: configure_file,
};

fn configure_file(section: &Section) -> Result<Arc<dyn DriverFactory>, ConfigError> {
    let format = section.get_string(&VOLUME_FORMAT);
    if format != "raw" && format != "qcow2" {
        return Err(section.invalid(&VOLUME_FORMAT, format!("'{format}' is not raw or qcow2")));
    }
    Ok(Arc::new(FileOptions { format }))
}

/// A file backend's options.
#[derive(Debug)]
struct FileOptions {
    format: String,
}

#[async_trait::async_trait]
impl DriverFactory for FileOptions {
    async fn open(&self, dir: PathBuf) -> Result<Arc<dyn Driver>, DriverError> {
        Ok(Arc::new(FileDriver::open(dir, &self.format)?))
    }
}

impl FileDriver {
    /// A driver keeping `format` files under `dir` (created when missing).
    pub fn open(dir: PathBuf, format: &str) -> Result<Self, DriverError> {
        super::tools::require("qemu-img", "qemu-utils")?;
        std::fs::create_dir_all(&dir)?;
        // Volumes a killed manager was making: never reported, never in place.
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".volume-") && name.ends_with(".making") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(FileDriver {
            dir,
            format: format.to_string(),
        })
    }
}

/// Runs `qemu-img`; its stderr is the error.
pub(super) async fn qemu_img(args: &[&str]) -> Result<(), DriverError> {
    let output = Command::new("qemu-img")
        .args(args)
        .output()
        .await
        .map_err(|e| DriverError::Failed(format!("qemu-img cannot run: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(DriverError::Failed(format!(
            "qemu-img {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// A sparse copy of `from` at `to`, in `format`.
async fn convert(
    format: &str,
    from: &std::path::Path,
    to: &std::path::Path,
) -> Result<(), DriverError> {
    let (from, to) = (from.display().to_string(), to.display().to_string());
    qemu_img(&["convert", "-q", "-f", format, "-O", format, &from, &to]).await
}

/// The virtual size in bytes of the `format` image at `path`, which must name no
/// other file (a backing file or an external data file): a second line of defence
/// behind the inspection of the downloaded data.
async fn virtual_size(path: &std::path::Path, format: &str) -> Result<u64, DriverError> {
    let output = Command::new("qemu-img")
        .args(["info", "--output=json", "-f", format])
        .arg(path)
        .output()
        .await
        .map_err(|e| DriverError::Failed(format!("qemu-img cannot run: {e}")))?;
    if !output.status.success() {
        return Err(DriverError::Failed(format!(
            "the image is not a valid {format} image: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let info: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| DriverError::Failed(format!("unreadable qemu-img info: {e}")))?;
    if info.get("backing-filename").is_some() || info.get("full-backing-filename").is_some() {
        return Err(DriverError::Failed(
            "the image is unacceptable: it has a backing file".into(),
        ));
    }
    if info["format-specific"]["data"].get("data-file").is_some() {
        return Err(DriverError::Failed(
            "the image is unacceptable: it has an external data file".into(),
        ));
    }
    info["virtual-size"]
        .as_u64()
        .ok_or_else(|| DriverError::Failed("qemu-img info gave no virtual size".into()))
}

async fn remove(path: &std::path::Path) -> Result<(), DriverError> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

impl FileDriver {
    /// The sum of the volumes' sizes (not what their sparse files take up).
    async fn provisioned_bytes(&self) -> Result<u64, DriverError> {
        let mut total = 0u64;
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            if !entry.file_name().to_string_lossy().starts_with("volume-") {
                continue;
            }
            // A volume deleted meanwhile no longer counts.
            total += presented_size(&entry.path(), &self.format)
                .await
                .unwrap_or(0);
        }
        Ok(total)
    }

    fn snapshot_path(&self, snapshot_id: &str) -> PathBuf {
        self.dir.join(format!("snapshot-{snapshot_id}"))
    }

    /// The volume's file when it is already made: a create delivered again (after
    /// a broker redelivery, or a restart) finds it and leaves it alone, for it may
    /// hold data by now. Volumes are made beside their place and renamed into it,
    /// so an existing file is always a whole one.
    fn made(&self, volume_id: &str) -> Option<String> {
        let path = self.path(volume_id);
        path.exists().then(|| {
            tracing::info!(volume = volume_id, "already made; left as it is");
            path.display().to_string()
        })
    }

    /// Where a volume is made before it is renamed into place.
    fn staging(&self, volume_id: &str) -> PathBuf {
        self.dir.join(format!(".volume-{volume_id}.making"))
    }

    /// Makes volume `volume_id` with `make` (given the staging path), grows it to
    /// `size_gb` and renames it into place; nothing is left behind on failure.
    async fn make<F, Fut>(
        &self,
        volume_id: &str,
        size_gb: u64,
        make: F,
    ) -> Result<String, DriverError>
    where
        F: FnOnce(PathBuf) -> Fut,
        Fut: std::future::Future<Output = Result<(), DriverError>>,
    {
        if let Some(done) = self.made(volume_id) {
            return Ok(done);
        }
        let staged = self.staging(volume_id);
        let _ = remove(&staged).await;
        let text = staged.display().to_string();
        let size = format!("{size_gb}G");
        let outcome = match make(staged.clone()).await {
            Ok(()) => qemu_img(&["resize", "-q", "-f", &self.format, &text, &size]).await,
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            let _ = remove(&staged).await;
            return Err(e);
        }
        let target = self.path(volume_id);
        tokio::fs::rename(&staged, &target).await?;
        Ok(target.display().to_string())
    }

    /// A new volume from the data at `source`, grown to `size_gb`.
    async fn copy(
        &self,
        source: &std::path::Path,
        volume_id: &str,
        size_gb: u64,
    ) -> Result<String, DriverError> {
        self.make(volume_id, size_gb, |staged| async move {
            convert(&self.format, source, &staged).await
        })
        .await
    }
}

#[async_trait::async_trait]
impl Driver for FileDriver {
    fn name(&self) -> &'static str {
        "file"
    }

    fn storage_protocol(&self) -> &'static str {
        "file"
    }

    fn data_format(&self) -> &str {
        &self.format
    }

    async fn create(&self, volume_id: &str, size_gb: u64) -> Result<String, DriverError> {
        let size = format!("{size_gb}G");
        self.make(volume_id, size_gb, |staged| async move {
            let staged = staged.display().to_string();
            qemu_img(&["create", "-q", "-f", &self.format, &staged, &size]).await
        })
        .await
    }

    async fn create_from_snapshot(
        &self,
        volume_id: &str,
        snapshot_id: &str,
        size_gb: u64,
    ) -> Result<String, DriverError> {
        self.copy(&self.snapshot_path(snapshot_id), volume_id, size_gb)
            .await
    }

    async fn clone_volume(
        &self,
        volume_id: &str,
        source_id: &str,
        size_gb: u64,
    ) -> Result<String, DriverError> {
        self.copy(&self.path(source_id), volume_id, size_gb).await
    }

    async fn create_snapshot(&self, volume_id: &str, snapshot_id: &str) -> Result<(), DriverError> {
        convert(
            &self.format,
            &self.path(volume_id),
            &self.snapshot_path(snapshot_id),
        )
        .await
    }

    async fn revert_to_snapshot(
        &self,
        volume_id: &str,
        snapshot_id: &str,
    ) -> Result<(), DriverError> {
        let target = self.path(volume_id);
        let staged = self.dir.join(format!("volume-{volume_id}.reverting"));
        convert(&self.format, &self.snapshot_path(snapshot_id), &staged).await?;
        if let Err(e) = tokio::fs::rename(&staged, &target).await {
            let _ = remove(&staged).await;
            return Err(e.into());
        }
        Ok(())
    }

    async fn delete_snapshot(&self, snapshot_id: &str) -> Result<(), DriverError> {
        remove(&self.snapshot_path(snapshot_id)).await
    }

    async fn initialize_connection(
        &self,
        volume_id: &str,
        _connector: &serde_json::Value,
    ) -> Result<serde_json::Value, DriverError> {
        let path = self.path(volume_id);
        if !path.exists() {
            return Err(DriverError::Failed(format!(
                "volume {volume_id} has no data"
            )));
        }
        Ok(serde_json::json!({
            "driver_volume_type": "file",
            "data": {
                "device_path": path.display().to_string(),
                "format": self.format,
                "access_mode": "rw",
            },
        }))
    }

    async fn terminate_connection(
        &self,
        _volume_id: &str,
        _connector: &serde_json::Value,
    ) -> Result<(), DriverError> {
        Ok(())
    }

    async fn copy_image_to_volume(
        &self,
        volume_id: &str,
        size_gb: u64,
        image: &std::path::Path,
        image_format: &str,
    ) -> Result<String, DriverError> {
        let format = image_format;
        let bytes = virtual_size(image, format).await?;
        let needed_gb = bytes.div_ceil(1 << 30);
        if needed_gb > size_gb {
            return Err(DriverError::Failed(format!(
                "Image virtual size is {needed_gb}GB and doesn't fit in a volume of size {size_gb}GB."
            )));
        }
        let from = image.display().to_string();
        self.make(volume_id, size_gb, |staged| async move {
            let to = staged.display().to_string();
            qemu_img(&[
                "convert",
                "-q",
                "-f",
                format,
                "-O",
                &self.format,
                &from,
                &to,
            ])
            .await
        })
        .await
    }

    async fn take_image_as_volume(
        &self,
        volume_id: &str,
        size_gb: u64,
        image: &std::path::Path,
        image_format: &str,
    ) -> Result<String, DriverError> {
        if image_format != "raw" || self.format != "raw" {
            return self
                .copy_image_to_volume(volume_id, size_gb, image, image_format)
                .await;
        }
        if let Some(done) = self.made(volume_id) {
            return Ok(done);
        }
        let bytes = tokio::fs::metadata(image).await?.len();
        let needed_gb = bytes.div_ceil(1 << 30);
        if needed_gb > size_gb {
            return Err(DriverError::Failed(format!(
                "Image virtual size is {needed_gb}GB and doesn't fit in a volume of size {size_gb}GB."
            )));
        }
        // Grown before it moves into place, so a volume in place is a whole one.
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(image)
            .await?;
        file.set_len(size_gb << 30).await?;
        file.sync_all().await?;
        let target = self.path(volume_id);
        if tokio::fs::rename(image, &target).await.is_err() {
            // Another filesystem: copy after all.
            return self
                .copy_image_to_volume(volume_id, size_gb, image, image_format)
                .await;
        }
        Ok(target.display().to_string())
    }

    async fn copy_volume_to_image(
        &self,
        volume_id: &str,
        target: &std::path::Path,
        disk_format: &str,
    ) -> Result<(), DriverError> {
        let from = self.path(volume_id).display().to_string();
        let to = target.display().to_string();
        let format = disk_format
            .parse::<ferrostack_disk_format::DiskFormat>()
            .map_err(|e| DriverError::Failed(e.to_string()))?
            .qemu_name();
        qemu_img(&[
            "convert",
            "-q",
            "-f",
            &self.format,
            "-O",
            format,
            &from,
            &to,
        ])
        .await
    }

    async fn extend(&self, volume_id: &str, new_size_gb: u64) -> Result<(), DriverError> {
        let path = self.path(volume_id).display().to_string();
        let size = format!("{new_size_gb}G");
        qemu_img(&["resize", "-q", "-f", &self.format, &path, &size]).await
    }

    async fn delete(&self, volume_id: &str, _provider_location: &str) -> Result<(), DriverError> {
        remove(&self.path(volume_id)).await
    }

    async fn capacity(&self) -> Result<Capacity, DriverError> {
        let dir = std::ffi::CString::new(self.dir.display().to_string())
            .map_err(|e| DriverError::Failed(e.to_string()))?;
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `dir` is a valid C string and `stat` a writable statvfs.
        if unsafe { libc::statvfs(dir.as_ptr(), &mut stat) } != 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        let block = stat.f_frsize as f64;
        Ok(Capacity {
            total_gb: stat.f_blocks as f64 * block / GIB,
            free_gb: stat.f_bavail as f64 * block / GIB,
            provisioned_gb: self.provisioned_bytes().await? as f64 / GIB,
        })
    }

    fn path(&self, volume_id: &str) -> PathBuf {
        self.dir.join(format!("volume-{volume_id}"))
    }
}

/// The size a volume file of `format` presents: a raw file's length, or the
/// size in a qcow2 header (which qemu writes and guests never see).
async fn presented_size(path: &std::path::Path, format: &str) -> std::io::Result<u64> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    if format != "qcow2" {
        return Ok(tokio::fs::metadata(path).await?.len());
    }
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(std::io::SeekFrom::Start(QCOW2_SIZE_OFFSET))
        .await?;
    file.read_u64().await
}

/// Where a qcow2 header holds the image's size (big-endian bytes).
const QCOW2_SIZE_OFFSET: u64 = 24;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn creates_sparse_files_of_the_asked_size_and_deletes_them() {
        let dir = std::env::temp_dir().join(format!("ferro-file-driver-{}", uuid::Uuid::new_v4()));
        let driver = FileDriver::open(dir.clone(), "raw").unwrap();
        let location = driver.create("v1", 2).await.unwrap();
        let meta = std::fs::metadata(&location).unwrap();
        assert_eq!(meta.len(), 2 * 1024 * 1024 * 1024);
        assert!(
            std::os::unix::fs::MetadataExt::blocks(&meta) < 1024,
            "sparse"
        );
        {
            use std::os::unix::fs::FileExt;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&location)
                .unwrap();
            file.write_at(b"data at the start", 0).unwrap();
        }
        // A create delivered again leaves the data the volume holds by now.
        assert_eq!(driver.create("v1", 2).await.unwrap(), location);
        assert_eq!(
            &std::fs::read(&location).unwrap()[..17],
            b"data at the start"
        );
        // Nothing half-made is left behind.
        assert!(!driver.staging("v1").exists());
        driver.create_snapshot("v1", "s1").await.unwrap();
        let copy = driver.create_from_snapshot("v3", "s1", 3).await.unwrap();
        assert_eq!(&std::fs::read(&copy).unwrap()[..17], b"data at the start");
        assert_eq!(
            std::fs::metadata(&copy).unwrap().len(),
            3 * 1024 * 1024 * 1024
        );
        let clone = driver.clone_volume("v4", "v1", 2).await.unwrap();
        assert_eq!(&std::fs::read(&clone).unwrap()[..17], b"data at the start");
        {
            use std::os::unix::fs::FileExt;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&location)
                .unwrap();
            file.write_at(b"overwritten later", 0).unwrap();
        }
        driver.revert_to_snapshot("v1", "s1").await.unwrap();
        assert_eq!(
            &std::fs::read(&location).unwrap()[..17],
            b"data at the start"
        );
        driver.delete_snapshot("s1").await.unwrap();
        driver.delete_snapshot("s1").await.unwrap();
        driver.extend("v1", 3).await.unwrap();
        assert_eq!(
            std::fs::metadata(&location).unwrap().len(),
            3 * 1024 * 1024 * 1024
        );
        let capacity = driver.capacity().await.unwrap();
        assert!(capacity.total_gb > 0.0 && capacity.free_gb <= capacity.total_gb);
        // v1 of 3 GiB, v3 of 3 and v4 of 2; snapshots are not volumes.
        assert_eq!(capacity.provisioned_gb, 8.0);
        driver.delete("v1", &location).await.unwrap();
        driver.delete("v1", &location).await.unwrap();
        assert!(!std::path::Path::new(&location).exists());
        driver.delete("v3", &copy).await.unwrap();
        driver.delete("v4", &clone).await.unwrap();
        let qcow = FileDriver::open(dir.clone(), "qcow2").unwrap();
        let location = qcow.create("v2", 1).await.unwrap();
        let head = std::fs::read(&location).unwrap();
        assert_eq!(&head[..4], b"QFI\xfb");
        qcow.extend("v2", 2).await.unwrap();
        let head = std::fs::read(&location).unwrap();
        assert_eq!(
            u64::from_be_bytes(head[24..32].try_into().unwrap()),
            2 << 30
        );
        assert_eq!(qcow.capacity().await.unwrap().provisioned_gb, 2.0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn copies_images_in_and_out_and_refuses_ones_too_big() {
        let dir = std::env::temp_dir().join(format!("ferro-file-image-{}", uuid::Uuid::new_v4()));
        let driver = FileDriver::open(dir.clone(), "raw").unwrap();
        let image = dir.join("image.qcow2");
        let image_text = image.display().to_string();
        qemu_img(&["create", "-q", "-f", "qcow2", &image_text, "1M"])
            .await
            .unwrap();
        let raw = dir.join("seed.raw");
        std::fs::write(&raw, [b"bootable!".as_slice(), &[0u8; 512]].concat()).unwrap();
        let raw_text = raw.display().to_string();
        qemu_img(&[
            "convert",
            "-q",
            "-f",
            "raw",
            "-O",
            "qcow2",
            &raw_text,
            &image_text,
        ])
        .await
        .unwrap();
        let location = driver
            .copy_image_to_volume("v1", 1, &image, "qcow2")
            .await
            .unwrap();
        let data = std::fs::read(&location).unwrap();
        assert_eq!(data.len(), 1 << 30);
        assert_eq!(&data[..9], b"bootable!");
        let out = dir.join("out.qcow2");
        driver
            .copy_volume_to_image("v1", &out, "qcow2")
            .await
            .unwrap();
        assert_eq!(&std::fs::read(&out).unwrap()[..4], b"QFI\xfb");
        assert_eq!(virtual_size(&out, "qcow2").await.unwrap(), 1 << 30);

        let big = dir.join("big.qcow2");
        let big_text = big.display().to_string();
        qemu_img(&["create", "-q", "-f", "qcow2", &big_text, "3G"])
            .await
            .unwrap();
        let refused = driver.copy_image_to_volume("v2", 2, &big, "qcow2").await;
        assert_eq!(
            refused.unwrap_err().to_string(),
            "Image virtual size is 3GB and doesn't fit in a volume of size 2GB."
        );
        assert!(!driver.path("v2").exists());
        let scratch = dir.join("scratch.raw");
        std::fs::write(&scratch, b"raw image data").unwrap();
        let taken = driver
            .take_image_as_volume("v4", 1, &scratch, "raw")
            .await
            .unwrap();
        assert!(!scratch.exists(), "moved, not copied");
        let data = std::fs::read(&taken).unwrap();
        assert_eq!(
            (data.len(), &data[..14]),
            (1 << 30, b"raw image data".as_slice())
        );
        let not_qcow = driver.copy_image_to_volume("v3", 1, &raw, "qcow2").await;
        assert!(not_qcow
            .unwrap_err()
            .to_string()
            .contains("not a valid qcow2 image"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
