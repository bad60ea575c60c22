//! Subscription destinations: what the server may POST to. A subscriber names a URL, so
//! without a check any query key could make the server call its own network (cloud metadata
//! at 169.254.169.254, a database on localhost) and read the answer's success from
//! `lastNotifiedAt`. Destinations must be https, carry no credentials, and resolve only to
//! public addresses, unless the operator allows private ones (`allow_private`: development and
//! tests, or a hub inside a private network).

use std::net::{IpAddr, ToSocketAddrs};

/// The host and port of an http(s) URL, or why it is not one the server calls.
fn host_and_port(dest: &str, allow_private: bool) -> Result<(String, u16), String> {
    let (scheme, rest) = dest.split_once("://").ok_or("not an absolute URL")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        "http" if allow_private => 80,
        "http" => return Err("plain http is refused; use https".to_owned()),
        other => return Err(format!("scheme {other} is not http or https")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "credentials in the URL are refused; the signatureToken signs deliveries".to_owned()
        );
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("an unclosed [IPv6] host")?;
        let port = after.strip_prefix(':').map(str::parse::<u16>).transpose();
        (host.to_owned(), port.map_err(|_| "not a port number")?)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => {
                (host.to_owned(), Some(port.parse::<u16>().map_err(|_| "not a port number")?))
            }
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() {
        return Err("no host".to_owned());
    }
    Ok((host, port.unwrap_or(default_port)))
}

/// Whether `ip` is an address of the public internet.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80) // link local
        }
    }
}

/// Checks `dest` now: its form, and every address its host resolves to (DNS is consulted:
/// call it off the async workers).
pub fn check(dest: &str, allow_private: bool) -> Result<(), String> {
    if dest.len() > 2048 {
        return Err("longer than 2048 bytes".to_owned());
    }
    let (host, port) = host_and_port(dest, allow_private)?;
    if allow_private {
        return Ok(());
    }
    let addresses: Vec<IpAddr> = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("host {host} does not resolve: {e}"))?
        .map(|a| a.ip())
        .collect();
    if addresses.is_empty() {
        return Err(format!("host {host} resolves to no address"));
    }
    if let Some(private) = addresses.iter().find(|ip| !is_public(**ip)) {
        return Err(format!("host {host} resolves to {private}, which is not a public address"));
    }
    Ok(())
}

/// `dest` as logs may show it: without anything that could be a credential (query string).
pub fn for_log(dest: &str) -> &str {
    dest.split(['?', '#']).next().unwrap_or(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_malformed_destinations_are_refused() {
        for (dest, why) in [
            ("http://example.com/hook", "plain http"),
            ("https://user:pw@example.com/hook", "credentials"),
            ("ftp://example.com/", "scheme ftp"),
            ("https://127.0.0.1/hook", "not a public address"),
            ("https://169.254.169.254/latest/meta-data", "not a public address"),
            ("https://10.1.2.3:8443/x", "not a public address"),
            ("https://[::1]/x", "not a public address"),
            ("https://[::ffff:192.168.1.1]/x", "not a public address"),
            ("https://100.64.0.1/x", "not a public address"),
            ("https://localhost/x", "not a public address"),
            ("https:///x", "no host"),
            ("https://example.com:99999/x", "port"),
            ("example.com", "absolute"),
        ] {
            let error = check(dest, false).expect_err(dest);
            assert!(error.contains(why), "{dest}: {error}");
        }
        assert!(check("https://8.8.8.8/hook", false).is_ok(), "a public address literal");
        assert!(check("http://127.0.0.1:9/hook", true).is_ok(), "allowed by the operator");
        assert!(check("https://user@127.0.0.1/hook", true).is_err(), "never credentials");
        assert_eq!(for_log("https://x.example/hook?token=secret"), "https://x.example/hook");
    }
}
