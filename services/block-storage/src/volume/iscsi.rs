//! The iSCSI driver: file volumes (raw) exported through tgt. The manager runs its
//! own `tgtd` (its own control port and portal), one target per attached volume
//! named `<target_prefix>volume-<id>`, with a CHAP account of its own; the
//! connection_info is Cinder's iSCSI one. tgtd is driven over its control socket
//! (see `tgt_admin`), so CHAP secrets are on no command line. Exports are kept in
//! `.iscsi-exports.json` (mode 0600) beside the volumes: a manager that starts
//! again adopts a tgtd still running from before (a killed manager leaves it)
//! or starts one, and makes tgtd's targets exactly the recorded exports —
//! restoring missing ones, dropping ones nobody recorded.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use std::sync::Arc;

use ferrostack_config::{ConfigError, Opt, Plugin, Section};

use super::driver::{Capacity, Driver, DriverError, DriverFactory};
use super::file::FileDriver;
use super::tgt_admin::{Mode, Op, Request, TgtAdmin, TgtError, NO_TARGET, USER_EXISTS};

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

pub const TARGET_IP_ADDRESS: Opt = Opt::new(
    "",
    "target_ip_address",
    "127.0.0.1",
    "iSCSI portal address.",
);
pub const TARGET_PORT: Opt = Opt::new("", "target_port", "3260", "iSCSI portal port.");
pub const TARGET_PREFIX: Opt = Opt::new(
    "",
    "target_prefix",
    "iqn.2010-10.org.openstack:",
    "Prefix of the IQN of iSCSI targets.",
);
pub const TGTD_CONTROL_PORT: Opt = Opt::new(
    "",
    "tgtd_control_port",
    "0",
    "Control port of this backend's own tgtd (tgtd -C), so several can run on a host.",
);

/// `volume_driver = iscsi`: raw file volumes exported through tgt.
pub const PLUGIN: Plugin<Arc<dyn DriverFactory>> = Plugin {
    name: "iscsi",
    opts: &[
        TARGET_IP_ADDRESS,
        TARGET_PORT,
        TARGET_PREFIX,
        TGTD_CONTROL_PORT,
    ],
    configure: configure_iscsi,
};

fn configure_iscsi(section: &Section) -> Result<Arc<dyn DriverFactory>, ConfigError> {
    let ip: std::net::IpAddr = section.get_parsed(&TARGET_IP_ADDRESS)?;
    let port: u16 = section.get_parsed(&TARGET_PORT)?;
    Ok(Arc::new(IscsiOptions {
        portal: SocketAddr::new(ip, port),
        target_prefix: section.get_string(&TARGET_PREFIX),
        control_port: section.get_parsed(&TGTD_CONTROL_PORT)?,
    }))
}

#[async_trait::async_trait]
impl DriverFactory for IscsiOptions {
    async fn open(&self, dir: PathBuf) -> Result<Arc<dyn Driver>, DriverError> {
        Ok(Arc::new(IscsiDriver::open(dir, self.clone()).await?))
    }
}

/// One exported volume.
#[derive(Clone, Serialize, Deserialize)]
struct Export {
    tid: u32,
    user: String,
    password: String,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export")
            .field("tid", &self.tid)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// File volumes exported over iSCSI.
pub struct IscsiDriver {
    files: FileDriver,
    options: IscsiOptions,
    tgt: TgtAdmin,
    /// The exports by volume id, as recorded on disk.
    exports: tokio::sync::Mutex<HashMap<String, Export>>,
    record: PathBuf,
    /// Our tgtd, unless we adopted one already running.
    _tgtd: Option<Child>,
}

fn random_hex(bytes: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..bytes * 2].to_string()
}

fn failed(e: TgtError) -> DriverError {
    DriverError::Failed(e.to_string())
}

impl IscsiDriver {
    /// Adopts the tgtd answering on the control port, or starts one, then makes
    /// its targets the recorded exports; serves volumes under `dir`.
    pub async fn open(dir: PathBuf, options: IscsiOptions) -> Result<Self, DriverError> {
        let files = FileDriver::open(dir.clone(), "raw")?;
        super::tools::require("tgtd", "tgt")?;
        let tgt = TgtAdmin::new(options.control_port);
        let tgtd = if tgt.answers().await {
            tracing::info!(
                control_port = options.control_port,
                "adopting the tgtd already running"
            );
            None
        } else {
            let child = Command::new("tgtd")
                .args(["-f", "-C", &options.control_port.to_string(), "--iscsi"])
                .arg(format!("portal={}", options.portal))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| DriverError::Failed(format!("tgtd cannot start: {e}")))?;
            let mut up = false;
            for _ in 0..100 {
                if tgt.answers().await {
                    up = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            if !up {
                return Err(DriverError::Failed(
                    "tgtd did not answer on its control port".into(),
                ));
            }
            Some(child)
        };
        let record = dir.join(".iscsi-exports.json");
        let recorded: HashMap<String, Export> = match std::fs::read(&record) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                DriverError::Failed(format!("{} is unreadable: {e}", record.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e.into()),
        };
        let driver = IscsiDriver {
            files,
            options,
            tgt,
            exports: tokio::sync::Mutex::new(HashMap::new()),
            record,
            _tgtd: tgtd,
        };
        driver.reconcile(recorded).await?;
        Ok(driver)
    }

    /// Makes tgtd's targets the `recorded` exports.
    async fn reconcile(&self, recorded: HashMap<String, Export>) -> Result<(), DriverError> {
        let running = self.tgt.targets().await.map_err(failed)?;
        let wanted: HashMap<u32, String> = recorded
            .iter()
            .map(|(volume, e)| (e.tid, self.iqn(volume)))
            .collect();
        for (tid, name) in &running {
            if wanted.get(tid) != Some(name) {
                tracing::info!(tid, target = name, "dropping a target nobody recorded");
                self.delete_target(*tid).await?;
            }
        }
        let mut exports = self.exports.lock().await;
        for (volume, export) in recorded {
            let present = running
                .iter()
                .any(|(tid, name)| *tid == export.tid && *name == self.iqn(&volume));
            if !self.files.path(&volume).exists() {
                self.drop_account(&export.user).await;
                continue;
            }
            if !present {
                tracing::info!(volume, tid = export.tid, "restoring the export");
                self.create_target(&volume, &export).await?;
            } else {
                // The account may be gone with a tgtd that started afresh.
                self.create_account(&export).await?;
            }
            exports.insert(volume, export);
        }
        self.save(&exports)
    }

    /// Writes the exports down (mode 0600: they hold CHAP secrets).
    fn save(&self, exports: &HashMap<String, Export>) -> Result<(), DriverError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let staged = self.record.with_extension("json.tmp");
        let _ = std::fs::remove_file(&staged);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&staged)?;
        file.write_all(&serde_json::to_vec(exports).unwrap_or_default())?;
        file.sync_all()?;
        std::fs::rename(&staged, &self.record)?;
        Ok(())
    }

    /// Cinder's provider_location of an iSCSI volume: `portal iqn,tpgt lun`.
    fn location(&self, volume_id: &str) -> String {
        format!("{} {},1 1", self.options.portal, self.iqn(volume_id))
    }

    fn iqn(&self, volume_id: &str) -> String {
        format!("{}volume-{volume_id}", self.options.target_prefix)
    }

    async fn create_account(&self, export: &Export) -> Result<(), DriverError> {
        let params = [
            ("user", export.user.as_str()),
            ("password", export.password.as_str()),
        ];
        match self
            .tgt
            .request(&Request::new(Mode::Account, Op::New).params(&params))
            .await
        {
            Err(e) if e.code() != Some(USER_EXISTS) => Err(failed(e)),
            _ => Ok(()),
        }
    }

    async fn drop_account(&self, user: &str) {
        let params = [("user", user)];
        let _ = self
            .tgt
            .request(&Request::new(Mode::Account, Op::Delete).params(&params))
            .await;
    }

    /// The target, logical unit, ACL and CHAP binding of `export`.
    async fn create_target(&self, volume_id: &str, export: &Export) -> Result<(), DriverError> {
        let iqn = self.iqn(volume_id);
        let path = self.files.path(volume_id).display().to_string();
        let tid = export.tid;
        let outcome = async {
            self.tgt
                .request(
                    &Request::new(Mode::Target, Op::New)
                        .tid(tid)
                        .params(&[("targetname", &iqn)]),
                )
                .await?;
            self.tgt
                .request(
                    &Request::new(Mode::Device, Op::New)
                        .tid(tid)
                        .lun(1)
                        .params(&[("path", &path)]),
                )
                .await?;
            self.tgt
                .request(
                    &Request::new(Mode::Target, Op::Bind)
                        .tid(tid)
                        .params(&[("initiator-address", "ALL")]),
                )
                .await?;
            Ok::<(), TgtError>(())
        }
        .await;
        let outcome = match outcome {
            Ok(()) => self.create_account(export).await,
            Err(e) => Err(failed(e)),
        };
        let outcome = match outcome {
            Ok(()) => self
                .tgt
                .request(
                    &Request::new(Mode::Account, Op::Bind)
                        .tid(tid)
                        .params(&[("user", &export.user)]),
                )
                .await
                .map(|_| ())
                .map_err(failed),
            Err(e) => Err(e),
        };
        if outcome.is_err() {
            let _ = self.delete_target(tid).await;
            self.drop_account(&export.user).await;
        }
        outcome
    }

    async fn delete_target(&self, tid: u32) -> Result<(), DriverError> {
        match self
            .tgt
            .request(&Request::new(Mode::Target, Op::Delete).tid(tid).force())
            .await
        {
            Err(e) if e.code() != Some(NO_TARGET) => Err(failed(e)),
            _ => Ok(()),
        }
    }

    /// Exports `volume_id` (once); returns its CHAP account.
    async fn export(&self, volume_id: &str) -> Result<(String, String), DriverError> {
        let mut exports = self.exports.lock().await;
        if let Some(e) = exports.get(volume_id) {
            return Ok((e.user.clone(), e.password.clone()));
        }
        let tid = (1..)
            .find(|t| !exports.values().any(|e| e.tid == *t))
            .unwrap_or(1);
        let export = Export {
            tid,
            user: format!("ferro-{}", random_hex(6)),
            password: random_hex(8),
        };
        self.create_target(volume_id, &export).await?;
        let account = (export.user.clone(), export.password.clone());
        exports.insert(volume_id.to_string(), export);
        self.save(&exports)?;
        Ok(account)
    }

    /// Ends `volume_id`'s export, if it has one.
    async fn unexport(&self, volume_id: &str) -> Result<(), DriverError> {
        let mut exports = self.exports.lock().await;
        let Some(export) = exports.get(volume_id).cloned() else {
            return Ok(());
        };
        self.delete_target(export.tid).await?;
        self.drop_account(&export.user).await;
        exports.remove(volume_id);
        self.save(&exports)
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
        let (user, password) = self.export(volume_id).await?;
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
        self.unexport(volume_id).await
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
