//! A test's HTTP exchange: send a request with a JSON body, get the status,
//! headers and the body (JSON, or the text as a JSON string).

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

/// A response as tests look at it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    /// Panics, showing the body, unless the status is `want`.
    pub fn expect(self, want: u16) -> Self {
        assert_eq!(self.status, want, "body: {}", self.body);
        self
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `method` to `url` with `headers` and, if any, a JSON `body`.
pub async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Resp {
    let mut request = http.request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("the service answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}
