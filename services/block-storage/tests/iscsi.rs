//! The iSCSI driver against a real tgtd: data written through the export with a
//! userspace initiator (qemu-img with libiscsi, CHAP from the connection_info)
//! lands in the volume, and the export ends with the connection.

use ferrostack_block_storage::volume::{Driver, IscsiDriver, IscsiOptions};
use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn iscsi_url(info: &serde_json::Value) -> String {
    let data = &info["data"];
    format!(
        "iscsi://{}%{}@{}/{}/{}",
        data["auth_username"].as_str().unwrap(),
        data["auth_password"].as_str().unwrap(),
        data["target_portal"].as_str().unwrap(),
        data["target_iqn"].as_str().unwrap(),
        data["target_lun"]
    )
}

fn qemu_img(args: &[&str]) -> std::process::Output {
    std::process::Command::new("qemu-img")
        .args(args)
        .output()
        .expect("qemu-img runs")
}

#[tokio::test]
async fn data_written_through_the_export_lands_in_the_volume() {
    let dir = std::env::temp_dir().join(format!("ferro-iscsi-{}", uuid::Uuid::new_v4().simple()));
    let options = IscsiOptions {
        portal: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
        target_prefix: "iqn.2010-10.org.openstack:".into(),
        control_port: 1000 + free_port() % 20000,
    };
    let driver = IscsiDriver::open(dir.clone(), options)
        .await
        .expect("tgtd starts");
    driver.create("v1", 1).await.unwrap();
    let connector = json!({"initiator": "iqn.1993-08.org.debian:01:test", "host": "h"});
    let info = driver
        .initialize_connection("v1", &connector)
        .await
        .unwrap();
    assert_eq!(info["driver_volume_type"], "iscsi");
    assert_eq!(
        info["data"]["target_iqn"],
        "iqn.2010-10.org.openstack:volume-v1"
    );
    assert_eq!(info["data"]["auth_method"], "CHAP");
    // The same connection again is idempotent.
    assert_eq!(
        driver
            .initialize_connection("v1", &connector)
            .await
            .unwrap(),
        info
    );

    let url = iscsi_url(&info);
    let payload: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let source = dir.join("payload.raw");
    std::fs::write(&source, &payload).unwrap();
    let info_out = qemu_img(&["info", &url]);
    assert!(
        info_out.status.success(),
        "{}",
        String::from_utf8_lossy(&info_out.stderr)
    );
    assert!(String::from_utf8_lossy(&info_out.stdout).contains("1 GiB"));
    let write = qemu_img(&[
        "convert",
        "-n",
        "-f",
        "raw",
        "-O",
        "raw",
        source.to_str().unwrap(),
        &url,
    ]);
    assert!(
        write.status.success(),
        "{}",
        String::from_utf8_lossy(&write.stderr)
    );
    let on_disk = std::fs::read(driver.path("v1")).unwrap();
    assert_eq!(&on_disk[..payload.len()], &payload[..]);
    // Back out through the export.
    let back = dir.join("back.raw");
    let read = qemu_img(&[
        "convert",
        "-f",
        "raw",
        "-O",
        "raw",
        &url,
        back.to_str().unwrap(),
    ]);
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    assert_eq!(
        &std::fs::read(&back).unwrap()[..payload.len()],
        &payload[..]
    );

    // Wrong CHAP secret: refused.
    let bad = url.replace(
        info["data"]["auth_password"].as_str().unwrap(),
        "wrong-secret",
    );
    assert!(!qemu_img(&["info", &bad]).status.success());
    driver.terminate_connection("v1", &connector).await.unwrap();
    assert!(!qemu_img(&["info", &url]).status.success(), "target gone");
    driver.delete("v1", "").await.unwrap();
    drop(driver);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Every process's command line, joined.
fn all_command_lines() -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(bytes) = std::fs::read(entry.path().join("cmdline")) {
            out.push_str(&String::from_utf8_lossy(&bytes));
            out.push('\n');
        }
    }
    out
}

fn target_names(control_port: u16) -> String {
    let out = std::process::Command::new("tgtadm")
        .args([
            "-C",
            &control_port.to_string(),
            "--lld",
            "iscsi",
            "--mode",
            "target",
            "--op",
            "show",
        ])
        .output()
        .expect("tgtadm runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn exports_outlive_the_manager_and_an_orphaned_tgtd_is_adopted() {
    let dir = std::env::temp_dir().join(format!("ferro-iscsi-{}", uuid::Uuid::new_v4().simple()));
    let options = IscsiOptions {
        portal: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
        target_prefix: "iqn.2010-10.org.openstack:".into(),
        control_port: 1000 + free_port() % 20000,
    };
    let port = options.control_port;
    let connector = json!({"initiator": "iqn.1993-08.org.debian:01:test", "host": "h"});

    // A tgtd left behind by a manager killed with SIGKILL, holding a target
    // nobody recorded (tid 1, the one the driver would pick first).
    let mut orphan = std::process::Command::new("tgtd")
        .args(["-f", "-C", &port.to_string(), "--iscsi"])
        .arg(format!("portal={}", options.portal))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if target_names(port).is_empty()
            && std::process::Command::new("tgtadm")
                .args(["-C", &port.to_string(), "--mode", "sys", "--op", "show"])
                .output()
                .unwrap()
                .status
                .success()
        {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(up, "tgtd answers");
    let made = std::process::Command::new("tgtadm")
        .args([
            "-C",
            &port.to_string(),
            "--lld",
            "iscsi",
            "--mode",
            "target",
            "--op",
            "new",
            "--tid",
            "1",
            "-T",
            "iqn.stale:volume-gone",
        ])
        .status()
        .unwrap();
    assert!(made.success());

    let driver = IscsiDriver::open(dir.clone(), options.clone())
        .await
        .expect("the running tgtd is adopted");
    assert!(
        !target_names(port).contains("iqn.stale"),
        "an unrecorded target is dropped"
    );
    driver.create("v1", 1).await.unwrap();
    let info = driver
        .initialize_connection("v1", &connector)
        .await
        .unwrap();
    let password = info["data"]["auth_password"].as_str().unwrap().to_string();
    assert!(
        !all_command_lines().contains(&password),
        "the CHAP secret is on no command line"
    );
    let record = dir.join(".iscsi-exports.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&record).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // The manager goes (the adopted tgtd stays, as after a SIGKILL): a new one
    // keeps the export, with the same account.
    drop(driver);
    let driver = IscsiDriver::open(dir.clone(), options.clone())
        .await
        .unwrap();
    assert!(target_names(port).contains("volume-v1"));
    assert!(qemu_img(&["info", &iscsi_url(&info)]).status.success());

    // tgtd itself goes: the next manager starts one and restores the export.
    drop(driver);
    orphan.kill().unwrap();
    orphan.wait().unwrap();
    let driver = IscsiDriver::open(dir.clone(), options.clone())
        .await
        .unwrap();
    assert!(target_names(port).contains("volume-v1"), "export restored");
    let out = qemu_img(&["info", &iscsi_url(&info)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        driver
            .initialize_connection("v1", &connector)
            .await
            .unwrap(),
        info,
        "the restored export has the recorded account"
    );
    driver.terminate_connection("v1", &connector).await.unwrap();
    assert!(!target_names(port).contains("volume-v1"));
    driver.delete("v1", "").await.unwrap();
    drop(driver);
    std::fs::remove_dir_all(dir).unwrap();
}
