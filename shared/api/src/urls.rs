use axum::http::{header, HeaderMap};

/// The public base URL (`scheme://host[:port]`, no trailing slash) a client used to
/// reach us: the configured public endpoint if any, else `X-Forwarded-Proto` /
/// `X-Forwarded-Host` from a proxy, else the `Host` header.
pub fn base_url(headers: &HeaderMap, public_endpoint: Option<&str>) -> String {
    if let Some(endpoint) = public_endpoint.filter(|e| !e.is_empty()) {
        return endpoint.trim_end_matches('/').to_string();
    }
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let scheme = first("x-forwarded-proto").unwrap_or("http");
    let host = first("x-forwarded-host")
        .or_else(|| first(header::HOST.as_str()))
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:5000".parse().unwrap());
        assert_eq!(base_url(&headers, None), "http://127.0.0.1:5000");
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        headers.insert("x-forwarded-host", "id.example.org, proxy".parse().unwrap());
        assert_eq!(base_url(&headers, None), "https://id.example.org");
        assert_eq!(
            base_url(&headers, Some("https://pub:5000/")),
            "https://pub:5000"
        );
    }
}
