use axum::http::{header, HeaderMap};

use crate::ServiceOptions;

/// The public base URL (`scheme://host[:port]`, no trailing slash) a client used to
/// reach us: the configured public endpoint if any; else, only when the operator
/// says a proxy sets them (`[oslo_middleware] enable_proxy_headers_parsing`),
/// `X-Forwarded-Proto` / `X-Forwarded-Host`; else the `Host` header.
pub fn base_url(headers: &HeaderMap, service: &ServiceOptions) -> String {
    url_from(
        headers,
        service.public_endpoint.as_deref(),
        service.proxy_headers,
    )
}

fn url_from(headers: &HeaderMap, public_endpoint: Option<&str>, proxy_headers: bool) -> String {
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
    let forwarded = |name: &str| first(name).filter(|_| proxy_headers);
    let scheme = forwarded("x-forwarded-proto").unwrap_or("http");
    let host = forwarded("x-forwarded-host")
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
        assert_eq!(url_from(&headers, None, true), "http://127.0.0.1:5000");
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        headers.insert("x-forwarded-host", "id.example.org, proxy".parse().unwrap());
        assert_eq!(url_from(&headers, None, true), "https://id.example.org");
        assert_eq!(
            url_from(&headers, Some("https://pub:5000/"), true),
            "https://pub:5000"
        );
    }

    #[test]
    fn forwarded_headers_count_only_behind_a_configured_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:5000".parse().unwrap());
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        headers.insert("x-forwarded-host", "evil.example".parse().unwrap());
        assert_eq!(url_from(&headers, None, false), "http://127.0.0.1:5000");
    }
}
