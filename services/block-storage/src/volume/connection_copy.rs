//! Writes a volume's data into another host's volume through the export that
//! host made of it (its connection_info), as Cinder's generic migration does
//! after attaching both volumes: iSCSI targets through qemu-img's userspace
//! initiator, with the CHAP secret passed in a file and never on a command
//! line; file exports when their path is reachable from here (shared storage).

use std::path::Path;

use serde_json::Value;

use super::driver::DriverError;
use super::file::qemu_img;

/// The connector a volume host presents when it attaches another host's volume.
pub fn connector(host: &str) -> Value {
    serde_json::json!({
        "host": host,
        "initiator": format!("iqn.2004-10.org.ferrostack:{}", host.replace(['@', '_'], "-")),
        "multipath": false,
        "os_type": "linux",
        "platform": "x86_64",
    })
}

fn text<'a>(data: &'a Value, key: &str) -> Result<&'a str, DriverError> {
    data[key]
        .as_str()
        .ok_or_else(|| DriverError::Failed(format!("the connection_info has no {key}")))
}

/// A qemu `--image-opts` value: commas in it are doubled.
fn opt(value: &str) -> String {
    value.replace(',', ",,")
}

/// An iSCSI export as qemu `--image-opts` with its CHAP secret object, the
/// secret written to `secret` (a new file).
async fn iscsi_opts(data: &Value, secret: &Path) -> Result<(String, String), DriverError> {
    write_secret(secret, text(data, "auth_password")?).await?;
    let lun = data["target_lun"].as_u64().unwrap_or(0);
    let target = format!(
        "driver=iscsi,transport=tcp,portal={},target={},lun={lun},user={},password-secret=chap",
        opt(text(data, "target_portal")?),
        opt(text(data, "target_iqn")?),
        opt(text(data, "auth_username")?),
    );
    let object = format!("secret,id=chap,file={}", opt(&secret.display().to_string()));
    Ok((target, object))
}

/// The path and format of a file export reachable from this host.
fn file_export(data: &Value) -> Result<(&str, &str), DriverError> {
    let path = text(data, "device_path")?;
    if !Path::new(path).exists() {
        return Err(DriverError::Failed(format!(
            "the volume's file {path} is not reachable from this host"
        )));
    }
    Ok((path, data["format"].as_str().unwrap_or("raw")))
}

fn unattachable(info: &Value) -> DriverError {
    DriverError::Failed(format!(
        "this host cannot attach a volume of driver_volume_type '{}'",
        info["driver_volume_type"].as_str().unwrap_or_default()
    ))
}

/// Copies `source` (a `source_format` file) over the whole volume `info` exports;
/// a CHAP secret is written to `secret` (a new file, removed after).
pub async fn copy_into(
    source: &Path,
    source_format: &str,
    info: &Value,
    secret: &Path,
) -> Result<(), DriverError> {
    let data = &info["data"];
    let source = source.display().to_string();
    match info["driver_volume_type"].as_str().unwrap_or_default() {
        "iscsi" => {
            let (target, object) = iscsi_opts(data, secret).await?;
            let copied = qemu_img(&[
                "convert",
                "-q",
                "-n",
                "--object",
                &object,
                "-f",
                source_format,
                &source,
                "--target-image-opts",
                &target,
            ])
            .await;
            let _ = tokio::fs::remove_file(secret).await;
            copied
        }
        "file" => {
            let (path, format) = file_export(data)?;
            if same_file(Path::new(&source), Path::new(path)) {
                return Err(DriverError::Failed(format!(
                    "the target {path} is the source's own file here, not the other host's"
                )));
            }
            qemu_img(&[
                "convert",
                "-q",
                "-n",
                "-f",
                source_format,
                &source,
                "-O",
                format,
                path,
            ])
            .await
        }
        _ => Err(unattachable(info)),
    }
}

/// Copies the whole volume `info` exports into `target`, a new raw image; a
/// CHAP secret is written to `secret` (a new file, removed after).
pub async fn copy_from(info: &Value, target: &Path, secret: &Path) -> Result<(), DriverError> {
    let data = &info["data"];
    let target = target.display().to_string();
    match info["driver_volume_type"].as_str().unwrap_or_default() {
        "iscsi" => {
            let (source, object) = iscsi_opts(data, secret).await?;
            let copied = qemu_img(&[
                "convert",
                "-q",
                "--object",
                &object,
                "--image-opts",
                &source,
                "-O",
                "raw",
                &target,
            ])
            .await;
            let _ = tokio::fs::remove_file(secret).await;
            copied
        }
        "file" => {
            let (path, format) = file_export(data)?;
            qemu_img(&["convert", "-q", "-f", format, path, "-O", "raw", &target]).await
        }
        _ => Err(unattachable(info)),
    }
}

/// Whether two paths name one file (same device and inode).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

async fn write_secret(path: &Path, secret: &str) -> Result<(), DriverError> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await?;
    file.write_all(secret.as_bytes()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_and_unreachable_exports_are_refused() {
        let secret = std::env::temp_dir().join(format!("chap-{}", uuid::Uuid::new_v4()));
        let source = Path::new("/nonexistent-source");
        let rbd = serde_json::json!({"driver_volume_type": "rbd", "data": {}});
        let err = copy_into(source, "raw", &rbd, &secret).await.unwrap_err();
        assert!(err.to_string().contains("'rbd'"), "{err}");
        let far = serde_json::json!({
            "driver_volume_type": "file",
            "data": {"device_path": "/nonexistent/ferro-volume", "format": "raw"},
        });
        let err = copy_into(source, "raw", &far, &secret).await.unwrap_err();
        assert!(err.to_string().contains("not reachable"), "{err}");
        let own = std::env::temp_dir().join(format!("ferro-own-{}", uuid::Uuid::new_v4()));
        std::fs::write(&own, b"data").unwrap();
        let itself = serde_json::json!({
            "driver_volume_type": "file",
            "data": {"device_path": own.display().to_string(), "format": "raw"},
        });
        let err = copy_into(&own, "raw", &itself, &secret).await.unwrap_err();
        assert!(err.to_string().contains("source's own file"), "{err}");
        assert_eq!(std::fs::read(&own).unwrap(), b"data");
        std::fs::remove_file(own).unwrap();
        let bare = serde_json::json!({"driver_volume_type": "iscsi", "data": {}});
        let err = copy_into(source, "raw", &bare, &secret).await.unwrap_err();
        assert!(err.to_string().contains("auth_password"), "{err}");
    }

    #[tokio::test]
    async fn file_exports_copy_out_as_raw() {
        let dir = std::env::temp_dir().join(format!("ferro-copy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let volume = dir.join("volume");
        std::fs::write(&volume, vec![5u8; 65536]).unwrap();
        let info = serde_json::json!({
            "driver_volume_type": "file",
            "data": {"device_path": volume.display().to_string(), "format": "raw"},
        });
        let (out, secret) = (dir.join("out.raw"), dir.join("chap"));
        copy_from(&info, &out, &secret).await.unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), vec![5u8; 65536]);
        let rbd = serde_json::json!({"driver_volume_type": "rbd", "data": {}});
        let err = copy_from(&rbd, &out, &secret).await.unwrap_err();
        assert!(err.to_string().contains("'rbd'"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn connector_names_an_initiator_of_the_host() {
        let c = connector("node1@gold");
        assert_eq!(c["initiator"], "iqn.2004-10.org.ferrostack:node1-gold");
        assert_eq!(c["host"], "node1@gold");
    }
}
