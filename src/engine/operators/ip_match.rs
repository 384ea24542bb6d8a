//! `@ipMatch`: the value is an address inside one of the listed addresses or CIDR networks
//! (IPv4 and IPv6, comma-separated).

use std::net::IpAddr;

#[derive(Debug)]
pub struct IpSet {
    networks: Vec<(IpAddr, u8)>,
}

impl IpSet {
    pub fn parse(list: &str) -> Result<IpSet, String> {
        let mut networks = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, prefix) = match item.split_once('/') {
                Some((addr, bits)) => (addr, Some(bits)),
                None => (item, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("@ipMatch: \"{item}\" is not an IP address or network"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match prefix {
                Some(bits) => bits
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("@ipMatch: bad prefix length in \"{item}\""))?,
                None => max,
            };
            networks.push((addr, bits));
        }
        if networks.is_empty() {
            return Err("@ipMatch needs at least one address".to_string());
        }
        Ok(IpSet { networks })
    }

    /// `@ipMatchFromFile`: one address or network per line (`#` comments), files relative to
    /// the rule file.
    pub fn from_files(param: &str, base_dir: &std::path::Path) -> Result<IpSet, String> {
        let mut list = String::new();
        for file in param.split_ascii_whitespace() {
            let path = base_dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!("@ipMatchFromFile: cannot read \"{}\": {e}", path.display())
            })?;
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                list.push_str(line);
                list.push(',');
            }
        }
        IpSet::parse(&list)
    }

    pub fn matches(&self, value: &[u8]) -> bool {
        let Some(addr) = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
        else {
            return false;
        };
        self.networks
            .iter()
            .any(|&(network, bits)| contains(network, bits, addr))
    }
}

fn contains(network: IpAddr, bits: u8, addr: IpAddr) -> bool {
    match (network, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        // An IPv4 client seen on a dual-stack socket as ::ffff:a.b.c.d
        (IpAddr::V4(_), IpAddr::V6(a)) => a
            .to_ipv4_mapped()
            .is_some_and(|a| contains(network, bits, IpAddr::V4(a))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_networks_and_lists() {
        let set = IpSet::parse("34.242.209.15, 10.0.0.0/8,2001:db8::/32").unwrap();
        let cases: [(&str, bool); 7] = [
            ("34.242.209.15", true),
            ("34.242.209.16", false),
            ("10.200.3.4", true),
            ("11.0.0.1", false),
            ("2001:db8:1::5", true),
            ("2001:db9::1", false),
            ("::ffff:10.1.1.1", true),
        ];
        for (addr, expected) in cases {
            assert_eq!(set.matches(addr.as_bytes()), expected, "{addr}");
        }
        assert!(IpSet::parse("300.1.1.1").is_err());
        assert!(IpSet::parse("10.0.0.0/33").is_err());
    }
}
