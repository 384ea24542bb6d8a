//! Every derived value is compared with what the openssl command (and so nginx, which calls the
//! same OpenSSL functions) says about certificates made here by a throwaway CA.

use std::path::PathBuf;
use std::process::Command;

use super::*;

/// A temporary directory with a CA in it; removed on drop.
struct Pki {
    dir: PathBuf,
    made: usize,
}

const CA_SUBJECT: &str = "/C=NL/O=Test CA, \"Quoted\" \\+ Co/CN=Test Root\\\\CA";

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("secrules-mtls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pki = Pki { dir, made: 0 };
        pki.config("ca", "utf8only", None);
        pki.openssl(&[
            "req",
            "-x509",
            "-config",
            "ca.cnf",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-multivalue-rdn",
            "-days",
            "2",
            "-subj",
            CA_SUBJECT,
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        pki
    }

    fn openssl(&self, args: &[&str]) -> String {
        let output = Command::new("openssl")
            .current_dir(&self.dir)
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("openssl prints ASCII here")
    }

    /// `string_mask` picks the string types openssl encodes the subject with: `utf8only`
    /// (UTF8String, PrintableString for C), `default` (PrintableString, T61String, BMPString or
    /// UTF8String, whichever fits first), `nombstr` (PrintableString, T61String).
    fn config(&self, name: &str, string_mask: &str, san: Option<&str>) {
        let mut text = format!(
            "[req]\ndistinguished_name = dn\nstring_mask = {string_mask}\nutf8 = yes\n[dn]\n"
        );
        if let Some(san) = san {
            text.push_str(&format!("[ext]\nsubjectAltName = @alt\n[alt]\n{san}\n"));
        }
        std::fs::write(self.dir.join(format!("{name}.cnf")), text).unwrap();
    }

    /// A client certificate the CA signed; its DER.
    fn client(
        &mut self,
        subject: &str,
        string_mask: &str,
        serial: Option<&str>,
        san: Option<&str>,
    ) -> Vec<u8> {
        self.made += 1;
        let name = format!("c{}", self.made);
        let (cnf, key, csr, pem) = (
            format!("{name}.cnf"),
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        self.config(&name, string_mask, san);
        self.openssl(&[
            "req",
            "-new",
            "-config",
            &cnf,
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-multivalue-rdn",
            "-subj",
            subject,
            "-keyout",
            &key,
            "-out",
            &csr,
        ]);
        let mut args = vec![
            "x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "2",
            "-outform", "DER", "-out", &pem,
        ];
        if let Some(serial) = serial {
            args.extend(["-set_serial", serial]);
        }
        if san.is_some() {
            args.extend(["-extfile", &cnf, "-extensions", "ext"]);
        }
        self.openssl(&args);
        std::fs::read(self.dir.join(&pem)).unwrap()
    }

    /// What openssl prints for `der`: subject, issuer, serial, SHA-1 and SHA-256 fingerprints.
    fn openssl_view(&self, der: &[u8]) -> [String; 5] {
        std::fs::write(self.dir.join("view.der"), der).unwrap();
        let view = |args: &[&str]| {
            let mut all = vec![
                "x509", "-inform", "DER", "-in", "view.der", "-noout", "-nameopt", "RFC2253",
            ];
            all.extend(args);
            let out = self.openssl(&all);
            out.strip_suffix('\n')
                .unwrap_or(&out)
                .split_once('=')
                .unwrap()
                .1
                .to_string()
        };
        let fingerprint = |digest| {
            view(&["-fingerprint", digest])
                .replace(':', "")
                .to_ascii_lowercase()
        };
        [
            view(&["-subject"]),
            view(&["-issuer"]),
            view(&["-serial"]),
            fingerprint("-sha1"),
            fingerprint("-sha256"),
        ]
    }

    fn assert_same_as_openssl(&self, der: &[u8], what: &str) -> ClientCertificate {
        let cert = ClientCertificate::from_der(der).unwrap_or_else(|e| panic!("{what}: {e}"));
        let [subject, issuer, serial, sha1, sha256] = self.openssl_view(der);
        assert_eq!(cert.subject_dn, subject, "subject of {what}");
        assert_eq!(cert.issuer_dn, issuer, "issuer of {what}");
        assert_eq!(cert.serial_hex, serial, "serial of {what}");
        assert_eq!(cert.sha1_hex, sha1, "sha1 of {what}");
        assert_eq!(cert.sha256_hex, sha256, "sha256 of {what}");
        cert
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `der` with the only occurrence of `from` replaced by `to` (same length, so no DER length
/// changes). The signature no longer verifies, which neither side checks.
fn patched(der: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at: Vec<usize> = der
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "{from:02X?} once in the certificate");
    let mut out = der.to_vec();
    out[at[0]..at[0] + from.len()].copy_from_slice(to);
    out
}

/// The DER of AttributeTypeAndValue { 2.5.4.3 (CN), <tag> <value> }.
fn cn_attribute(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![
        0x30,
        (7 + value.len()) as u8,
        0x06,
        0x03,
        0x55,
        0x04,
        0x03,
        tag,
        value.len() as u8,
    ];
    out.extend_from_slice(value);
    out
}

#[test]
fn subjects_issuer_serials_and_fingerprints_equal_openssls() {
    let mut pki = Pki::new("dn");
    // (subject in `openssl -subj` syntax, string_mask, serial)
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("/C=NL/O=General Hospital/OU=Orders/CN=svc-orders", "utf8only", None),
        ("/CN=comma, plus\\+ quote\" back\\\\slash <less> semi;colon =equals/O=a\\/b", "utf8only", Some("1")),
        ("/CN=# leading hash/O= leading and trailing space /OU=#/L= /ST=a#b c", "utf8only", Some("0")),
        ("/CN=multi+UID=valued+OU=three/O=Org", "utf8only", Some("255")),
        ("/CN=Zoë Ærø/O=Ziekenhuis Ünïcode/L=Москва/OU=😀 emoji", "utf8only", Some("0x7F")),
        ("/CN=Zoë Ærø/O=Ωmega/L=Москва/OU=😀 emoji/ST=plain", "default", Some("0x8000")),
        ("/CN=Zoë Ærø/O=Latin-1 ÿ/L=plain", "nombstr", Some("0x0123456789ABCDEF0123")),
        ("/emailAddress=ops@general.example/CN=mail", "utf8only", Some("-1")),
        ("/DC=example/DC=org/CN=dc-name", "utf8only", Some("-256")),
        ("/1.2.3.4.5=unknown oid/CN=with unknown/2.999.1=x+CN=y", "utf8only", Some("-0x80")),
        (
            "/serialNumber=12345/title=Dr/GN=Ann/SN=Smith/street=Main St 1/postalCode=1234AB/ST=Noord/L=Amsterdam/CN=many",
            "utf8only",
            Some("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
        ),
        ("/CN=tab\there\x01ctl\x7fdel/O=\\,", "utf8only", Some("0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")),
        ("/jurisdictionC=NL/businessCategory=Private Organization/organizationIdentifier=NTRNL-1234/CN=ev", "utf8only", None),
        ("/O=Single/OU=x/CN=\\\\", "utf8only", Some("0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")),
    ];
    let mut ran = 0;
    for (subject, mask, serial) in cases {
        let der = pki.client(subject, mask, *serial, None);
        let cert = pki.assert_same_as_openssl(&der, subject);
        assert!(
            cert.issuer_dn
                .starts_with("CN=Test Root\\\\CA,O=Test CA\\, \\\"Quoted\\\" \\+ Co,C=NL"),
            "{}",
            cert.issuer_dn
        );
        ran += 1;
    }
    assert_eq!(ran, 14);
}

/// Every attribute type with a short name, in one subject: the names must be OpenSSL's.
#[test]
fn every_short_name_is_openssls() {
    let mut pki = Pki::new("names");
    // Country codes take exactly two characters, c3 and n3 three digits.
    let value = |short: &str| if short.ends_with('C') { "NL" } else { "123" };
    let subject: String = dn::SHORT_NAMES
        .iter()
        .map(|(oid, short)| format!("/{oid}={}", value(short)))
        .collect();
    let der = pki.client(&subject, "utf8only", None, None);
    let cert = pki.assert_same_as_openssl(&der, "all short names");
    assert_eq!(cert.subject_dn.split(',').count(), dn::SHORT_NAMES.len());
    assert_eq!(dn::SHORT_NAMES.len(), 119);
}

/// Values openssl will not write itself, made by patching a certificate's bytes: other string
/// types, bytes a type should not hold, an unsorted multi-valued RDN. (OpenSSL 3 refuses to load
/// certificates whose names hold invalid UTF-8, lone surrogates or non-string values such as
/// OCTET STRING, so nginx never gets to print those and they are not compared.)
#[test]
fn patched_values_equal_openssls() {
    let mut pki = Pki::new("patched");
    let der = pki.client(
        "/O=Org/CN=abé+UID=uid0/OU=unit",
        "utf8only",
        Some("42"),
        None,
    );
    let utf8 = cn_attribute(0x0C, "abé".as_bytes());
    let uid = b"\x30\x12\x06\x0a\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01\x0c\x04uid0".to_vec();
    let mut swapped = der.windows(utf8.len() + uid.len());
    let pair: Vec<u8> = [utf8.clone(), uid.clone()].concat();
    assert!(
        swapped.any(|w| w == pair.as_slice()),
        "the RDN's entries are DER-sorted: the shorter CN first"
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("as made", der.clone()),
        (
            "unsorted multi-valued RDN",
            patched(&der, &pair, &[uid.clone(), utf8.clone()].concat()),
        ),
        (
            "T61String",
            patched(&der, &utf8, &cn_attribute(0x14, "abé".as_bytes())),
        ),
        (
            "IA5String with high bytes",
            patched(&der, &utf8, &cn_attribute(0x16, "abé".as_bytes())),
        ),
        (
            "PrintableString with high bytes",
            patched(&der, &utf8, &cn_attribute(0x13, "abé".as_bytes())),
        ),
        (
            "BIT STRING",
            patched(&der, &utf8, &cn_attribute(0x03, b"\x00#a ")),
        ),
        (
            "SEQUENCE",
            patched(&der, &utf8, &cn_attribute(0x30, b"\x05\x00\x05\x00")),
        ),
        (
            "NumericString",
            patched(&der, &utf8, &cn_attribute(0x12, b"1234")),
        ),
        (
            "BMPString",
            patched(&der, &utf8, &cn_attribute(0x1E, b"\x00#\x00 ")),
        ),
        (
            "BMPString, two characters",
            patched(&der, &utf8, &cn_attribute(0x1E, b"\x00#\x00\xe9")),
        ),
    ];
    let mut ran = 0;
    for (what, der) in &cases {
        pki.assert_same_as_openssl(der, what);
        ran += 1;
    }
    assert_eq!(ran, 10);
}

#[test]
fn subject_alt_names_in_order_and_xfcc() {
    let mut pki = Pki::new("san");
    let san = "DNS.1 = a.example\nURI.1 = spiffe://h/orders\nemail.1 = ops@h.example\nIP.1 = 10.1.2.3\n\
               IP.2 = 2001:db8::1\nDNS.2 = b.example\nURI.2 = https://h/x\nRID.1 = 1.2.3.4\n\
               otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:upn@h.example\ndirName.1 = dir\n[dir]\nCN = in a dirName\n";
    let der = pki.client(
        "/O=General Hospital/CN=svc \"quoted\" \\\\ back",
        "utf8only",
        None,
        Some(san),
    );
    let cert = pki.assert_same_as_openssl(&der, "with SANs");
    assert_eq!(
        cert.subject_alt_names,
        vec![
            SubjectAltName::Dns("a.example".into()),
            SubjectAltName::Uri("spiffe://h/orders".into()),
            SubjectAltName::Email("ops@h.example".into()),
            SubjectAltName::Ip("10.1.2.3".parse().unwrap()),
            SubjectAltName::Ip("2001:db8::1".parse().unwrap()),
            SubjectAltName::Dns("b.example".into()),
            SubjectAltName::Uri("https://h/x".into()),
        ]
    );
    assert_eq!(
        cert.subject_dn,
        r#"CN=svc \"quoted\" \\ back,O=General Hospital"#
    );
    // The subject goes in as nginx (and Envoy) print it, within quotes.
    assert_eq!(
        cert.xfcc(),
        format!(
            r#"Hash={};Subject="CN=svc \"quoted\" \\ back,O=General Hospital";URI=spiffe://h/orders;URI=https://h/x;DNS=a.example;DNS=b.example"#,
            cert.sha256_hex
        )
    );
    assert_eq!(
        cert.subject_alt_names
            .iter()
            .map(SubjectAltName::kind)
            .collect::<Vec<_>>(),
        ["dns", "uri", "email", "ip", "ip", "dns", "uri"]
    );
    assert_eq!(cert.subject_alt_names[4].value(), "2001:db8::1");

    // No URI SAN: Envoy still writes the key. No SAN at all: no DNS key either.
    let der = pki.client("/CN=plain", "utf8only", None, Some("DNS.1 = only.example"));
    let cert = ClientCertificate::from_der(&der).unwrap();
    assert_eq!(
        cert.xfcc(),
        format!(
            "Hash={};Subject=\"CN=plain\";URI=;DNS=only.example",
            cert.sha256_hex
        )
    );
    let der = pki.client("/CN=plain", "utf8only", None, None);
    let cert = ClientCertificate::from_der(&der).unwrap();
    assert!(cert.subject_alt_names.is_empty());
    assert_eq!(
        cert.xfcc(),
        format!("Hash={};Subject=\"CN=plain\";URI=", cert.sha256_hex)
    );
}

/// A SAN must not be able to add pairs or elements to the XFCC element, nor break the header.
#[test]
fn hostile_subject_alt_names_stay_inside_their_xfcc_value() {
    let mut pki = Pki::new("hostile");
    let san = "URI.1 = spiffe://h/a,By=evil;DNS=admin\nDNS.1 = x\x01y.example\nDNS.2 = q\\\"uo\\\\te.example\n\
               URI.2 = https://h/?a=b\nDNS.3 = ok.example\n";
    let der = pki.client("/CN=hostile", "utf8only", None, Some(san));
    let cert = ClientCertificate::from_der(&der).unwrap();
    assert_eq!(
        cert.subject_alt_names,
        vec![
            SubjectAltName::Uri("spiffe://h/a,By=evil;DNS=admin".into()),
            SubjectAltName::Dns("x\x01y.example".into()),
            SubjectAltName::Dns(r#"q"uo\te.example"#.into()),
            SubjectAltName::Uri("https://h/?a=b".into()),
            SubjectAltName::Dns("ok.example".into()),
        ]
    );
    assert_eq!(
        cert.xfcc(),
        format!(
            r#"Hash={};Subject="CN=hostile";URI="spiffe://h/a,By=evil;DNS=admin";URI="https://h/?a=b";DNS="q\"uo\\te.example";DNS=ok.example"#,
            cert.sha256_hex
        )
    );
}

#[test]
fn fingerprint_digest_picks_the_hex() {
    let mut pki = Pki::new("digest");
    let der = pki.client("/CN=digest", "utf8only", None, None);
    let cert = ClientCertificate::from_der(&der).unwrap();
    assert_eq!(FingerprintDigest::Sha1.hex_of(&cert), cert.sha1_hex);
    assert_eq!(FingerprintDigest::Sha256.hex_of(&cert), cert.sha256_hex);
    assert_eq!(cert.sha1_hex.len(), 40);
    assert_eq!(cert.sha256_hex.len(), 64);
}

#[test]
fn malformed_der_is_an_error_not_a_panic() {
    let mut pki = Pki::new("bad");
    let der = pki.client("/CN=ok", "utf8only", None, None);
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x80],
        vec![0xff; 64],
        b"-----BEGIN CERTIFICATE-----".to_vec(),
    ];
    for cut in [1, 2, 10, der.len() / 2, der.len() - 1] {
        inputs.push(der[..cut].to_vec());
    }
    let mut flipped = der.clone();
    flipped[4] ^= 0xff;
    inputs.push(flipped);
    inputs.push([der.as_slice(), &[0]].concat());
    // Every length byte made too large, every tag byte made SET or garbage.
    let mut mutated = 0;
    for i in 0..der.len().min(200) {
        for replacement in [0x31, 0xff, 0x00] {
            let mut bad = der.clone();
            bad[i] = replacement;
            if ClientCertificate::from_der(&bad).is_ok() {
                mutated += 1;
            }
        }
    }
    for input in &inputs {
        assert!(
            ClientCertificate::from_der(input).is_err(),
            "{} bytes accepted",
            input.len()
        );
    }
    assert_eq!(inputs.len(), 12);
    // Some single-byte changes still parse (inside a key or signature); none may panic.
    assert!(mutated > 0);
}

/// Where `x509-cert` is stricter than OpenSSL: nginx would print these, secrules rejects them.
#[test]
fn known_divergences_are_errors() {
    let mut pki = Pki::new("diverge");
    // Serial numbers over 21 bytes (RFC 5280 allows 20). From 36 bytes on, OpenSSL's
    // i2a_ASN1_INTEGER (and so $ssl_client_serial) even breaks the hex with a backslash-newline.
    for bytes in [22, 40] {
        let serial = format!("0x01{}", "AB".repeat(bytes - 1));
        let der = pki.client("/CN=long serial", "utf8only", Some(&serial), None);
        assert_eq!(
            pki.openssl_view(&der)[2].len(),
            2 * bytes + if bytes > 35 { 2 } else { 0 }
        );
        assert!(ClientCertificate::from_der(&der).is_err());
    }
    // UniversalString (tag 28), a type the `der` crate does not know.
    let der = pki.client("/CN=abcd", "utf8only", None, None);
    let universal = patched(
        &der,
        &cn_attribute(0x0C, b"abcd"),
        &cn_attribute(0x1C, b"\0\0\0a"),
    );
    assert_eq!(pki.openssl_view(&universal)[0], "CN=a");
    assert!(ClientCertificate::from_der(&universal).is_err());
}
