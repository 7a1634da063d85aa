//! HTTP between services. Every client has a connect timeout and a read timeout
//! (the longest a peer may stay silent, not a bound on a whole transfer), so a
//! request never hangs on a peer that stopped answering; idempotent requests are
//! retried a bounded number of times with exponential backoff when the peer was
//! unreachable, timed out or answered 502/503/504 (a peer restarting, identity
//! away behind it).

use std::future::Future;
use std::time::Duration;

/// Attempts of an idempotent request, the first included.
pub const ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// How long a peer may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// To establish a connection.
    pub connect: Duration,
    /// Between two reads of an answer.
    pub read: Duration,
}

/// A client with these timeouts.
pub fn client(timeouts: Timeouts) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .build()
        .expect("an HTTP client")
}

/// Whether an outcome is worth another attempt.
pub fn is_transient(outcome: &Result<reqwest::Response, reqwest::Error>) -> bool {
    match outcome {
        Ok(resp) => matches!(resp.status().as_u16(), 502..=504),
        Err(e) => e.is_connect() || e.is_timeout(),
    }
}

/// Sends an idempotent request made by `send` up to [`ATTEMPTS`] times, waiting
/// 0.5 s, then 1 s between attempts; returns the last outcome.
pub async fn retrying<F, Fut>(mut send: F) -> Result<reqwest::Response, reqwest::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<reqwest::Response, reqwest::Error>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        let outcome = send().await;
        if attempt >= ATTEMPTS || !is_transient(&outcome) {
            return outcome;
        }
        tracing::warn!(
            attempt,
            "{}; trying again in {} ms",
            match &outcome {
                Ok(resp) => format!("the peer answered {}", resp.status()),
                Err(e) => format!("the peer is unreachable: {e}"),
            },
            backoff.as_millis()
        );
        tokio::time::sleep(backoff).await;
        backoff *= 2;
        attempt += 1;
    }
}

/// Sends a JSON request on `token` with `headers`, retried as [`retrying`]
/// when its method is idempotent: the status and the JSON body (null when the
/// answer has none).
pub async fn send_json(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> Result<(u16, serde_json::Value), reqwest::Error> {
    use reqwest::Method;
    let idempotent = matches!(
        method,
        Method::GET | Method::HEAD | Method::DELETE | Method::PUT
    );
    let request = || {
        let mut request = http
            .request(method.clone(), url)
            .header("X-Auth-Token", token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send()
    };
    let resp = if idempotent {
        retrying(request).await
    } else {
        request().await
    }?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or(serde_json::Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    /// A one-route server answering 503 `failures` times, then 200.
    async fn flaky(failures: u32) -> (String, Arc<AtomicU32>) {
        let hits = Arc::new(AtomicU32::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let counter = counter.clone();
                async move {
                    if counter.fetch_add(1, Ordering::SeqCst) < failures {
                        axum::http::StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, hits)
    }

    fn quick() -> reqwest::Client {
        client(Timeouts {
            connect: Duration::from_secs(1),
            read: Duration::from_millis(300),
        })
    }

    #[tokio::test]
    async fn transient_answers_are_retried_a_bounded_number_of_times() {
        let (url, hits) = flaky(2).await;
        let http = quick();
        let resp = retrying(|| http.get(&url).send()).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(hits.load(Ordering::SeqCst), 3);
        let (url, hits) = flaky(10).await;
        let resp = retrying(|| http.get(&url).send()).await.unwrap();
        assert_eq!(resp.status(), 503);
        assert_eq!(hits.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test]
    async fn a_silent_peer_times_out() {
        // Accepts, never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let _held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                open.push(stream);
            }
        });
        let started = std::time::Instant::now();
        let err = quick().get(&url).send().await.unwrap_err();
        assert!(err.is_timeout(), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
