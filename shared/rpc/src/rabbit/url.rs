//! `rabbit://user:pass@host:port[,user:pass@host2:port]/vhost`, as oslo.messaging reads it.

use crate::RpcError;

/// One broker node to try.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: ferrostack_config::Secret,
}

/// The nodes of a transport URL, tried in turn, and the virtual host.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BrokerUrl {
    pub nodes: Vec<Node>,
    pub vhost: String,
}

impl BrokerUrl {
    /// Parses what follows `rabbit://`.
    pub(crate) fn parse(rest: &str) -> Result<Self, RpcError> {
        let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
        let path_start = rest.rfind('@').map_or(0, |at| at + 1);
        let (authority, vhost) = match rest[path_start..].find('/') {
            Some(slash) => rest.split_at(path_start + slash),
            None => (rest, ""),
        };
        let vhost = percent_decode(vhost.trim_start_matches('/'))?;
        let nodes = authority
            .split(',')
            .map(parse_node)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BrokerUrl {
            nodes,
            vhost: if vhost.is_empty() { "/".into() } else { vhost },
        })
    }
}

fn parse_node(text: &str) -> Result<Node, RpcError> {
    let (credentials, address) = match text.rsplit_once('@') {
        Some((c, a)) => (Some(c), a),
        None => (None, text),
    };
    let (user, password) = match credentials {
        Some(c) => match c.split_once(':') {
            Some((u, p)) => (percent_decode(u)?, percent_decode(p)?),
            None => (percent_decode(c)?, String::new()),
        },
        None => ("guest".into(), "guest".into()),
    };
    let (host, port) = match address.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse()
                .map_err(|_| RpcError::InvalidUrl(format!("bad port {p:?}")))?,
        ),
        None => (address, 5672),
    };
    if host.is_empty() {
        return Err(RpcError::InvalidUrl("a rabbit:// URL needs a host".into()));
    }
    Ok(Node {
        host: host.trim_matches(['[', ']']).to_owned(),
        port,
        user,
        password: ferrostack_config::Secret::new(password),
    })
}

fn percent_decode(s: &str) -> Result<String, RpcError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| RpcError::InvalidUrl(format!("bad escape in {s:?}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| RpcError::InvalidUrl(format!("{s:?} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nodes_credentials_and_vhost() {
        let url = BrokerUrl::parse("u:p%40ss@h1:5673,v:w@h2/ferro%2Ftest").unwrap();
        assert_eq!(url.vhost, "ferro/test");
        assert_eq!(url.nodes.len(), 2);
        assert_eq!(url.nodes[0].password.expose(), "p@ss");
        assert_eq!(url.nodes[0].port, 5673);
        assert_eq!(url.nodes[1].port, 5672);
    }

    #[test]
    fn defaults_to_guest_on_root_vhost() {
        let url = BrokerUrl::parse("localhost").unwrap();
        assert_eq!(url.vhost, "/");
        assert_eq!(url.nodes[0].user, "guest");
    }

    #[test]
    fn rejects_bad_ports_and_missing_hosts() {
        assert!(BrokerUrl::parse("u:p@h:notaport/").is_err());
        assert!(BrokerUrl::parse("u:p@/vhost").is_err());
    }
}
