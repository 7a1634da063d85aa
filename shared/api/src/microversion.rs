//! Microversion parsing and negotiation as Nova and Cinder do it:
//! `OpenStack-API-Version: <service> X.Y` (or `latest`), an optional legacy header,
//! the minimum when absent, 400 for a malformed value, 406 outside the range.

use std::fmt;
use std::str::FromStr;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::Failure;

/// The standard microversion header.
pub const HEADER: &str = "openstack-api-version";

/// One `major.minor` API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u16,
    pub minor: u16,
}

impl ApiVersion {
    pub const fn new(major: u16, minor: u16) -> Self {
        ApiVersion { major, minor }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for ApiVersion {
    type Err = Failure;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            Failure::bad_request(format!(
                "API Version String {s} is of invalid format. Must be of format MajorNum.MinorNum."
            ))
        };
        let (major, minor) = s.trim().split_once('.').ok_or_else(invalid)?;
        let number = |part: &str| {
            if part.is_empty()
                || !part.bytes().all(|b| b.is_ascii_digit())
                || (part.len() > 1 && part.starts_with('0'))
            {
                return Err(invalid());
            }
            part.parse::<u16>().map_err(|_| invalid())
        };
        Ok(ApiVersion::new(number(major)?, number(minor)?))
    }
}

/// A service's microversion contract.
#[derive(Debug, Clone, Copy)]
pub struct Microversions {
    /// The service type named in the header (`compute`, `volume`).
    pub service_type: &'static str,
    /// A pre-standard header some clients still send (`X-OpenStack-Nova-API-Version`).
    pub legacy_header: Option<&'static str>,
    pub min: ApiVersion,
    pub max: ApiVersion,
}

impl Microversions {
    /// The version a request asked for, or the failure to return.
    pub fn negotiate(&self, headers: &HeaderMap) -> Result<ApiVersion, Failure> {
        let requested = self.requested(headers);
        let Some(requested) = requested else {
            return Ok(self.min);
        };
        if requested.trim().eq_ignore_ascii_case("latest") {
            return Ok(self.max);
        }
        let version: ApiVersion = requested.parse()?;
        if version < self.min || version > self.max {
            return Err(Failure::new(
                StatusCode::NOT_ACCEPTABLE,
                format!(
                    "Version {version} is not supported by the API. Minimum is {} and maximum is {}.",
                    self.min, self.max
                ),
            ));
        }
        Ok(version)
    }

    fn requested<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        for value in headers.get_all(HEADER) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut words = item.split_whitespace();
                if let (Some(service), Some(version)) = (words.next(), words.next()) {
                    if service.eq_ignore_ascii_case(self.service_type) {
                        return Some(version);
                    }
                }
            }
        }
        self.legacy_header
            .and_then(|name| headers.get(name))
            .and_then(|v| v.to_str().ok())
    }

    /// Headers every response carries: the version served, the legacy echo and `Vary`.
    pub fn response_headers(&self, version: ApiVersion) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers = Vec::with_capacity(3);
        let standard = format!("{} {version}", self.service_type);
        headers.push((
            HeaderName::from_static(HEADER),
            HeaderValue::from_str(&standard).expect("ascii version header"),
        ));
        let mut vary = HEADER.to_string();
        if let Some(legacy) = self.legacy_header {
            if let Ok(name) = HeaderName::from_bytes(legacy.as_bytes()) {
                headers.push((
                    name,
                    HeaderValue::from_str(&version.to_string()).expect("ascii"),
                ));
                vary = format!("{vary}, {legacy}");
            }
        }
        headers.push((
            axum::http::header::VARY,
            HeaderValue::from_str(&vary).expect("ascii vary"),
        ));
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPUTE: Microversions = Microversions {
        service_type: "compute",
        legacy_header: Some("x-openstack-nova-api-version"),
        min: ApiVersion::new(2, 1),
        max: ApiVersion::new(2, 100),
    };

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn negotiation() {
        assert_eq!(
            COMPUTE.negotiate(&headers(&[])).unwrap(),
            ApiVersion::new(2, 1)
        );
        let h = headers(&[(HEADER, "compute 2.37")]);
        assert_eq!(COMPUTE.negotiate(&h).unwrap(), ApiVersion::new(2, 37));
        let h = headers(&[(HEADER, "volume 3.5, compute latest")]);
        assert_eq!(COMPUTE.negotiate(&h).unwrap(), ApiVersion::new(2, 100));
        let h = headers(&[("x-openstack-nova-api-version", "2.10")]);
        assert_eq!(COMPUTE.negotiate(&h).unwrap(), ApiVersion::new(2, 10));
        let h = headers(&[
            (HEADER, "compute 2.20"),
            ("x-openstack-nova-api-version", "2.10"),
        ]);
        assert_eq!(COMPUTE.negotiate(&h).unwrap(), ApiVersion::new(2, 20));
        let h = headers(&[(HEADER, "volume 3.5")]);
        assert_eq!(COMPUTE.negotiate(&h).unwrap(), ApiVersion::new(2, 1));
    }

    #[test]
    fn bad_and_out_of_range() {
        let h = headers(&[(HEADER, "compute 2.101")]);
        assert_eq!(COMPUTE.negotiate(&h).unwrap_err().status, 406);
        let h = headers(&[(HEADER, "compute 1.0")]);
        assert_eq!(COMPUTE.negotiate(&h).unwrap_err().status, 406);
        for bad in ["compute 2", "compute 2.x", "compute 02.1", "compute -2.1"] {
            let h = headers(&[(HEADER, bad)]);
            assert_eq!(COMPUTE.negotiate(&h).unwrap_err().status, 400, "{bad}");
        }
    }

    #[test]
    fn response_headers_echo_and_vary() {
        let h = COMPUTE.response_headers(ApiVersion::new(2, 5));
        let find = |n: &str| {
            h.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.to_str().unwrap().to_string())
        };
        assert_eq!(find(HEADER).unwrap(), "compute 2.5");
        assert_eq!(find("x-openstack-nova-api-version").unwrap(), "2.5");
        assert!(find("vary")
            .unwrap()
            .contains("x-openstack-nova-api-version"));
    }
}
