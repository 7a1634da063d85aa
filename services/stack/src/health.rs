use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Polls `GET /healthcheck` until it answers 200 or `timeout` passes.
pub async fn wait_healthy(addr: SocketAddr, timeout: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        if probe(addr).await.unwrap_or(false) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > timeout {
            anyhow::bail!("no healthy answer from {addr} within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn probe(addr: SocketAddr) -> std::io::Result<bool> {
    let mut stream =
        tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(addr)).await??;
    stream
        .write_all(b"GET /healthcheck HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await?;
    let mut head = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut head)).await??;
    Ok(head.starts_with(b"HTTP/1.") && &head[9..12] == b"200")
}
