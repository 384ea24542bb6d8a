//! `@rbl zone`: asks a DNS block list whether the IPv4 address is listed (a lookup of
//! `d.c.b.a.zone`; listed when it resolves). The lookup uses the system resolver and waits for
//! it, as ModSecurity does, so a slow resolver slows the worker: use block lists only with a local
//! caching resolver. Project Honeypot's `dnsbl.httpbl.org` needs an access key (`SecHttpBlKey`,
//! not supported here), so it never matches, as in libmodsecurity without a key.

use std::net::{Ipv4Addr, ToSocketAddrs};

#[derive(Debug)]
pub struct BlockList {
    zone: String,
}

impl BlockList {
    pub fn parse(param: &str) -> Result<BlockList, String> {
        let zone = param.trim().trim_matches('.');
        let valid = !zone.is_empty()
            && zone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !valid {
            return Err(format!("@rbl: \"{param}\" is not a DNS zone"));
        }
        Ok(BlockList {
            zone: zone.to_ascii_lowercase(),
        })
    }

    pub fn lists(&self, address: &[u8]) -> bool {
        if self.zone.ends_with("httpbl.org") {
            return false;
        }
        let Some(ip) = std::str::from_utf8(address)
            .ok()
            .and_then(|a| a.trim().parse::<Ipv4Addr>().ok())
        else {
            return false;
        };
        let [a, b, c, d] = ip.octets();
        let name = format!("{d}.{c}.{b}.{a}.{}", self.zone);
        (name.as_str(), 0)
            .to_socket_addrs()
            .is_ok_and(|mut found| found.next().is_some())
    }
}
