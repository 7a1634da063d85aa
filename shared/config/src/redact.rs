/// Hides the passwords of a `scheme://user:password@host/...` URL for logging,
/// also of every host of a multi-host URL (`rabbit://u:p@h1,u:p@h2/vhost`), and of
/// passwords holding `@`, `/` or `,`: the user information of a host is all up to
/// its last `@`, and the authority ends at the first `/` after the last `@`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let before_query = &rest[..rest.find('?').unwrap_or(rest.len())];
    let Some(last_at) = before_query.rfind('@') else {
        return url.to_string();
    };
    let authority_end = before_query[last_at..]
        .find('/')
        .map_or(before_query.len(), |i| last_at + i);
    let (authority, tail) = rest.split_at(authority_end);
    let mut hosts: Vec<String> = Vec::new();
    let mut pending = String::new();
    for piece in authority.split(',') {
        if !pending.is_empty() {
            pending.push(',');
        }
        pending.push_str(piece);
        // A piece without `@` may be part of a password that held a `,`.
        if pending.contains('@') {
            hosts.push(redact_host(&pending));
            pending.clear();
        }
    }
    if !pending.is_empty() {
        hosts.push(pending);
    }
    format!("{}://{}{tail}", &url[..scheme_end], hosts.join(","))
}

/// `user:password@host` → `user:***@host`.
fn redact_host(host: &str) -> String {
    let at = host.rfind('@').unwrap_or(0);
    let userinfo = &host[..at];
    match userinfo.find(':') {
        Some(colon) => format!("{}:***{}", &userinfo[..colon], &host[at..]),
        None => host.to_string(),
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

    #[test]
    fn passwords_with_slashes_commas_and_several_hosts() {
        assert_eq!(
            redact_url("postgres://u:pa/ss@db:5432/name"),
            "postgres://u:***@db:5432/name"
        );
        assert_eq!(
            redact_url("rabbit://a:p1@h1:5672,b:p/2@h2:5672/vhost"),
            "rabbit://a:***@h1:5672,b:***@h2:5672/vhost"
        );
        assert_eq!(
            redact_url("rabbit://a:p,q@h1,h2/v?ssl=1"),
            "rabbit://a:***@h1,h2/v?ssl=1"
        );
        assert_eq!(
            redact_url("mysql://u:x@y/db?opt=a@b"),
            "mysql://u:***@y/db?opt=a@b"
        );
    }
}
