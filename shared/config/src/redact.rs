/// Hides the password of a `scheme://user:password@host/...` URL for logging.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}://{}:***{}",
            &url[..scheme_end],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn hides_password_only() {
        assert_eq!(
            redact_url("mysql://keystone:s3cr@t@db:3306/keystone"),
            "mysql://keystone:***@db:3306/keystone"
        );
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(redact_url("rabbit://guest@h/"), "rabbit://guest@h/");
        assert_eq!(redact_url("memory://"), "memory://");
    }
}
