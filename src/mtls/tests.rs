//! Every derived value is compared with what the openssl command (and so nginx, which calls the
//! same OpenSSL functions) says about certificates made here.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("secrules-mtls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A self-signed certificate with `subject` (openssl -subj syntax, `-multivalue-rdn` on) and
/// extensions; returns its DER.
fn make_cert(dir: &Path, name: &str, subject: &str, extensions: &[&str], serial: Option<&str>) -> Vec<u8> {
    let mut args = vec![
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-utf8",
        "-multivalue-rdn", "-days", "2", "-subj", subject,
    ];
    let key = format!("{name}.key");
    let pem = format!("{name}.pem");
    args.extend(["-keyout", &key, "-out", &pem]);
    for ext in extensions {
        args.extend(["-addext", ext]);
    }
    if let Some(serial) = serial {
        args.extend(["-set_serial", serial]);
    }
    openssl(dir, &args);
    let der = format!("{name}.der");
    openssl(dir, &["x509", "-in", &pem, "-outform", "DER", "-out", &der]);
    std::fs::read(dir.join(der)).unwrap()
}

fn openssl_field(dir: &Path, name: &str, args: &[&str]) -> String {
    let pem = format!("{name}.pem");
    let mut all = vec!["x509", "-noout", "-in", &pem];
    all.extend(args);
    let out = openssl(dir, &all);
    out.trim().split_once('=').map(|(_, v)| v.to_string()).unwrap_or_default()
}

#[test]
fn names_fingerprints_and_serials_equal_openssls() {
    let dir = workdir("dn");
    let subjects = [
        "/C=NL/O=General Hospital/OU=Orders/CN=svc-orders",
        "/CN=comma, plus\\+ quote\" back\\\\slash <less> semi;colon",
        "/CN=# leading hash/O= leading and trailing space ",
        "/CN=multi+UID=valued/O=Org",
        "/CN=Zoë Ærø/O=Ziekenhuis Ünïcode/L=Москва",
        "/emailAddress=ops@general.example/CN=mail",
        "/DC=example/DC=org/CN=dc-name",
        "/1.2.3.4.5=unknown oid/CN=with unknown",
        "/serialNumber=12345/title=Dr/GN=Ann/SN=Smith/street=Main St 1/postalCode=1234AB/ST=Noord/L=Amsterdam/CN=many",
        "/CN=tab\there",
    ];
    let serials = [None, Some("0"), Some("1"), Some("255"), Some("0x7F"), Some("0x8000"), Some("0x0123456789ABCDEF0123"), None, None, None];
    let mut ran = 0;
    for (i, subject) in subjects.iter().enumerate() {
        let name = format!("c{i}");
        let der = make_cert(&dir, &name, subject, &[], serials[i]);
        let cert = ClientCertificate::from_der(&der).expect("parses");
        assert_eq!(cert.subject_dn, openssl_field(&dir, &name, &["-subject", "-nameopt", "RFC2253"]), "{subject}");
        assert_eq!(cert.issuer_dn, openssl_field(&dir, &name, &["-issuer", "-nameopt", "RFC2253"]), "{subject}");
        assert_eq!(cert.serial_hex, openssl_field(&dir, &name, &["-serial"]), "{subject}");
        let sha1 = openssl_field(&dir, &name, &["-fingerprint", "-sha1"]).replace(':', "").to_lowercase();
        assert_eq!(cert.sha1_hex, sha1);
        let sha256 = openssl_field(&dir, &name, &["-fingerprint", "-sha256"]).replace(':', "").to_lowercase();
        assert_eq!(cert.sha256_hex, sha256);
        ran += 1;
    }
    assert_eq!(ran, subjects.len());
    assert_eq!(ran, 10);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn subject_alt_names_in_order_and_xfcc() {
    let dir = workdir("san");
    let der = make_cert(
        &dir,
        "san",
        "/O=General Hospital/CN=svc \"quoted\"",
        &["subjectAltName=DNS:a.example,URI:spiffe://h/orders,email:ops@h.example,IP:10.1.2.3,IP:2001:db8::1,DNS:b.example"],
        None,
    );
    let cert = ClientCertificate::from_der(&der).unwrap();
    assert_eq!(
        cert.subject_alt_names,
        vec![
            SubjectAltName::Dns("a.example".into()),
            SubjectAltName::Uri("spiffe://h/orders".into()),
            SubjectAltName::Email("ops@h.example".into()),
            SubjectAltName::Ip("10.1.2.3".parse().unwrap()),
            SubjectAltName::Ip("2001:db8::1".parse().unwrap()),
            SubjectAltName::Dns("b.example".into()),
        ]
    );
    assert_eq!(cert.subject_dn, "CN=svc \\\"quoted\\\",O=General Hospital");
    assert_eq!(
        cert.xfcc(),
        format!(
            "Hash={};Subject=\"CN=svc \\\\\\\"quoted\\\\\\\",O=General Hospital\";URI=spiffe://h/orders;DNS=a.example;DNS=b.example",
            cert.sha256_hex
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn malformed_der_is_an_error_not_a_panic() {
    let dir = workdir("bad");
    let der = make_cert(&dir, "ok", "/CN=ok", &[], None);
    let mut inputs: Vec<Vec<u8>> = vec![vec![], vec![0x30], vec![0xff; 64], b"-----BEGIN CERTIFICATE-----".to_vec()];
    for cut in [1, 10, der.len() / 2, der.len() - 1] {
        inputs.push(der[..cut].to_vec());
    }
    let mut flipped = der.clone();
    flipped[4] ^= 0xff;
    inputs.push(flipped);
    for input in &inputs {
        assert!(ClientCertificate::from_der(input).is_err(), "{} bytes accepted", input.len());
    }
    assert_eq!(inputs.len(), 9);
    let _ = std::fs::remove_dir_all(&dir);
}
