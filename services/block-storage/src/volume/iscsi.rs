//! The iSCSI driver: file volumes (raw) exported through tgt. The manager runs its
//! own `tgtd` (its own control port and portal), one target per attached volume
//! named `<target_prefix>volume-<id>`, with a CHAP account of its own; the
//! connection_info is Cinder's iSCSI one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use super::driver::{Capacity, Driver, DriverError};
use super::file::FileDriver;

/// How the iSCSI driver reaches tgt and what it advertises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IscsiOptions {
    /// `target_ip_address:target_port`: the portal initiators connect to.
    pub portal: SocketAddr,
    /// `target_prefix`: the IQN prefix of targets.
    pub target_prefix: String,
    /// The tgtd control port (`tgtd -C N`), so several tgtd can run on one host.
    pub control_port: u16,
}

struct Export {
    tid: u32,
    user: String,
    password: String,
}

/// File volumes exported over iSCSI.
pub struct IscsiDriver {
    files: FileDriver,
    options: IscsiOptions,
    exports: Mutex<HashMap<String, Export>>,
    _tgtd: Child,
}

fn random_hex(bytes: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..bytes * 2].to_string()
}

impl IscsiDriver {
    /// Starts `tgtd` for `options` and serves volumes under `dir`.
    pub async fn open(dir: PathBuf, options: IscsiOptions) -> Result<Self, DriverError> {
        let files = FileDriver::open(dir, "raw")?;
        super::tools::require("tgtd", "tgt")?;
        super::tools::require("tgtadm", "tgt")?;
        let tgtd = Command::new("tgtd")
            .args(["-f", "-C", &options.control_port.to_string(), "--iscsi"])
            .arg(format!("portal={}", options.portal))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| DriverError::Failed(format!("tgtd cannot start: {e}")))?;
        let driver = IscsiDriver {
            files,
            options,
            exports: Mutex::new(HashMap::new()),
            _tgtd: tgtd,
        };
        for _ in 0..100 {
            if driver
                .tgtadm(&["--op", "show", "--mode", "sys"])
                .await
                .is_ok()
            {
                return Ok(driver);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(DriverError::Failed(
            "tgtd did not answer on its control port".into(),
        ))
    }

    async fn tgtadm(&self, args: &[&str]) -> Result<(), DriverError> {
        let output = Command::new("tgtadm")
            .args([
                "-C",
                &self.options.control_port.to_string(),
                "--lld",
                "iscsi",
            ])
            .args(args)
            .output()
            .await
            .map_err(|e| DriverError::Failed(format!("tgtadm cannot run: {e}")))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(DriverError::Failed(format!(
                "tgtadm {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }

    /// Cinder's provider_location of an iSCSI volume: `portal iqn,tpgt lun`.
    fn location(&self, volume_id: &str) -> String {
        format!("{} {},1 1", self.options.portal, self.iqn(volume_id))
    }

    fn iqn(&self, volume_id: &str) -> String {
        format!("{}volume-{volume_id}", self.options.target_prefix)
    }

    /// Creates the target of `volume_id`; returns its tid and CHAP account.
    async fn export(&self, volume_id: &str) -> Result<(u32, String, String), DriverError> {
        if let Some(e) = self.exports.lock().expect("exports lock").get(volume_id) {
            return Ok((e.tid, e.user.clone(), e.password.clone()));
        }
        let tid = {
            let exports = self.exports.lock().expect("exports lock");
            (1..)
                .find(|t| !exports.values().any(|e| e.tid == *t))
                .unwrap_or(1)
        };
        let tid_text = tid.to_string();
        let path = self.files.path(volume_id).display().to_string();
        let (user, password) = (format!("ferro-{}", random_hex(6)), random_hex(8));
        self.tgtadm(&[
            "--op",
            "new",
            "--mode",
            "target",
            "--tid",
            &tid_text,
            "-T",
            &self.iqn(volume_id),
        ])
        .await?;
        let steps: [&[&str]; 4] = [
            &[
                "--op",
                "new",
                "--mode",
                "logicalunit",
                "--tid",
                &tid_text,
                "--lun",
                "1",
                "-b",
                &path,
            ],
            &[
                "--op", "bind", "--mode", "target", "--tid", &tid_text, "-I", "ALL",
            ],
            &[
                "--op",
                "new",
                "--mode",
                "account",
                "--user",
                &user,
                "--password",
                &password,
            ],
            &[
                "--op", "bind", "--mode", "account", "--tid", &tid_text, "--user", &user,
            ],
        ];
        for step in steps {
            if let Err(e) = self.tgtadm(step).await {
                let _ = self.unexport_tid(&tid_text, &user).await;
                return Err(e);
            }
        }
        self.exports.lock().expect("exports lock").insert(
            volume_id.to_string(),
            Export {
                tid,
                user: user.clone(),
                password: password.clone(),
            },
        );
        Ok((tid, user, password))
    }

    async fn unexport_tid(&self, tid: &str, user: &str) -> Result<(), DriverError> {
        let deleted = self
            .tgtadm(&[
                "--op", "delete", "--mode", "target", "--tid", tid, "--force",
            ])
            .await;
        let _ = self
            .tgtadm(&["--op", "delete", "--mode", "account", "--user", user])
            .await;
        deleted
    }
}

#[async_trait::async_trait]
impl Driver for IscsiDriver {
    fn name(&self) -> &'static str {
        "iscsi"
    }

    fn storage_protocol(&self) -> &'static str {
        "iSCSI"
    }

    fn data_format(&self) -> &str {
        self.files.data_format()
    }

    async fn create(&self, volume_id: &str, size_gb: u64) -> Result<String, DriverError> {
        self.files.create(volume_id, size_gb).await?;
        Ok(self.location(volume_id))
    }

    async fn create_from_snapshot(
        &self,
        volume_id: &str,
        snapshot_id: &str,
        size_gb: u64,
    ) -> Result<String, DriverError> {
        self.files
            .create_from_snapshot(volume_id, snapshot_id, size_gb)
            .await?;
        Ok(self.location(volume_id))
    }

    async fn clone_volume(
        &self,
        volume_id: &str,
        source_id: &str,
        size_gb: u64,
    ) -> Result<String, DriverError> {
        self.files
            .clone_volume(volume_id, source_id, size_gb)
            .await?;
        Ok(self.location(volume_id))
    }

    async fn create_snapshot(&self, volume_id: &str, snapshot_id: &str) -> Result<(), DriverError> {
        self.files.create_snapshot(volume_id, snapshot_id).await
    }

    async fn copy_image_to_volume(
        &self,
        volume_id: &str,
        size_gb: u64,
        image: &std::path::Path,
        image_format: &str,
    ) -> Result<String, DriverError> {
        self.files
            .copy_image_to_volume(volume_id, size_gb, image, image_format)
            .await?;
        Ok(self.location(volume_id))
    }

    async fn take_image_as_volume(
        &self,
        volume_id: &str,
        size_gb: u64,
        image: &std::path::Path,
        image_format: &str,
    ) -> Result<String, DriverError> {
        self.files
            .take_image_as_volume(volume_id, size_gb, image, image_format)
            .await?;
        Ok(self.location(volume_id))
    }

    async fn copy_volume_to_image(
        &self,
        volume_id: &str,
        target: &std::path::Path,
        disk_format: &str,
    ) -> Result<(), DriverError> {
        self.files
            .copy_volume_to_image(volume_id, target, disk_format)
            .await
    }

    async fn revert_to_snapshot(
        &self,
        volume_id: &str,
        snapshot_id: &str,
    ) -> Result<(), DriverError> {
        self.files.revert_to_snapshot(volume_id, snapshot_id).await
    }

    async fn delete_snapshot(&self, snapshot_id: &str) -> Result<(), DriverError> {
        self.files.delete_snapshot(snapshot_id).await
    }

    async fn initialize_connection(
        &self,
        volume_id: &str,
        _connector: &Value,
    ) -> Result<Value, DriverError> {
        if !self.files.path(volume_id).exists() {
            return Err(DriverError::Failed(format!(
                "volume {volume_id} has no data"
            )));
        }
        let (_, user, password) = self.export(volume_id).await?;
        Ok(json!({
            "driver_volume_type": "iscsi",
            "data": {
                "target_discovered": false,
                "target_portal": self.options.portal.to_string(),
                "target_iqn": self.iqn(volume_id),
                "target_lun": 1,
                "volume_id": volume_id,
                "auth_method": "CHAP",
                "auth_username": user,
                "auth_password": password,
                "encrypted": false,
                "qos_specs": null,
                "access_mode": "rw",
            },
        }))
    }

    async fn terminate_connection(
        &self,
        volume_id: &str,
        _connector: &Value,
    ) -> Result<(), DriverError> {
        let export = self.exports.lock().expect("exports lock").remove(volume_id);
        match export {
            Some(e) => self.unexport_tid(&e.tid.to_string(), &e.user).await,
            None => Ok(()),
        }
    }

    async fn extend(&self, volume_id: &str, new_size_gb: u64) -> Result<(), DriverError> {
        self.files.extend(volume_id, new_size_gb).await
    }

    async fn delete(&self, volume_id: &str, provider_location: &str) -> Result<(), DriverError> {
        self.terminate_connection(volume_id, &Value::Null).await?;
        self.files.delete(volume_id, provider_location).await
    }

    async fn capacity(&self) -> Result<Capacity, DriverError> {
        self.files.capacity().await
    }

    fn path(&self, volume_id: &str) -> PathBuf {
        self.files.path(volume_id)
    }
}
