//! The file driver: one raw or qcow2 file per volume under a directory, made and
//! changed with `qemu-img`.

use std::path::PathBuf;

use tokio::process::Command;

use super::driver::{Capacity, Driver, DriverError};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Volumes as files.
pub struct FileDriver {
    dir: PathBuf,
    format: String,
}

impl FileDriver {
    /// A driver keeping `format` files under `dir` (created when missing).
    pub fn open(dir: PathBuf, format: &str) -> Result<Self, DriverError> {
        std::fs::create_dir_all(&dir)?;
        Ok(FileDriver {
            dir,
            format: format.to_string(),
        })
    }
}

async fn qemu_img(args: &[&str]) -> Result<(), DriverError> {
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

#[async_trait::async_trait]
impl Driver for FileDriver {
    fn name(&self) -> &'static str {
        "file"
    }

    fn storage_protocol(&self) -> &'static str {
        "file"
    }

    async fn create(&self, volume_id: &str, size_gb: u64) -> Result<String, DriverError> {
        let path = self.path(volume_id);
        let path_text = path.display().to_string();
        let size = format!("{size_gb}G");
        qemu_img(&["create", "-q", "-f", &self.format, &path_text, &size]).await?;
        Ok(path_text)
    }

    async fn extend(&self, volume_id: &str, new_size_gb: u64) -> Result<(), DriverError> {
        let path = self.path(volume_id).display().to_string();
        let size = format!("{new_size_gb}G");
        qemu_img(&["resize", "-q", "-f", &self.format, &path, &size]).await
    }

    async fn delete(&self, volume_id: &str, _provider_location: &str) -> Result<(), DriverError> {
        match tokio::fs::remove_file(self.path(volume_id)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
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
        })
    }

    fn path(&self, volume_id: &str) -> PathBuf {
        self.dir.join(format!("volume-{volume_id}"))
    }
}

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
        driver.extend("v1", 3).await.unwrap();
        assert_eq!(
            std::fs::metadata(&location).unwrap().len(),
            3 * 1024 * 1024 * 1024
        );
        let capacity = driver.capacity().await.unwrap();
        assert!(capacity.total_gb > 0.0 && capacity.free_gb <= capacity.total_gb);
        driver.delete("v1", &location).await.unwrap();
        driver.delete("v1", &location).await.unwrap();
        assert!(!std::path::Path::new(&location).exists());
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
        std::fs::remove_dir_all(dir).unwrap();
    }
}
