//! Certificates for the tests, made fresh by the openssl command: a CA the server trusts, a
//! server certificate for 127.0.0.1, client certificates from two organisations, and a client
//! certificate from a CA nobody trusts.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pki {
    pub dir: PathBuf,
}

/// A certificate and its key.
pub struct Identity {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {:?}: {}",
        args,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Pki {
    /// Makes every certificate in `dir`.
    pub fn generate(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        let pki = Pki {
            dir: dir.to_path_buf(),
        };
        pki.ca("ca", "/O=Hospital Network/CN=Hospital Test CA");
        pki.ca("rogue-ca", "/O=Hospital Network/CN=Hospital Test CA");
        pki.leaf(
            "server",
            "ca",
            "/CN=localhost",
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth",
        );
        pki.leaf(
            "general",
            "ca",
            "/C=NL/O=General Hospital/OU=Orders/CN=svc-orders",
            "subjectAltName=DNS:orders.general.example,URI:spiffe://general.example/orders\nextendedKeyUsage=clientAuth",
        );
        pki.leaf(
            "other",
            "ca",
            "/C=NL/O=Other Clinic/CN=svc-x",
            "extendedKeyUsage=clientAuth",
        );
        // Same subject as `general`, issued by an untrusted CA: an impostor.
        pki.leaf(
            "rogue",
            "rogue-ca",
            "/C=NL/O=General Hospital/OU=Orders/CN=svc-orders",
            "extendedKeyUsage=clientAuth",
        );
        pki
    }

    fn ca(&self, name: &str, subject: &str) {
        openssl(
            &self.dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.crt"),
                "-subj",
                subject,
                "-days",
                "3",
            ],
        );
    }

    fn leaf(&self, name: &str, ca: &str, subject: &str, extensions: &str) {
        let ext = format!("{name}.ext");
        std::fs::write(self.dir.join(&ext), format!("{extensions}\n")).unwrap();
        openssl(
            &self.dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                subject,
            ],
        );
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                &format!("{ca}.crt"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-out",
                &format!("{name}.crt"),
                "-days",
                "3",
                "-extfile",
                &ext,
            ],
        );
    }

    pub fn path(&self, file: &str) -> String {
        self.dir.join(file).to_string_lossy().into_owned()
    }

    pub fn identity(&self, name: &str) -> Identity {
        Identity {
            cert: self.dir.join(format!("{name}.crt")),
            key: self.dir.join(format!("{name}.key")),
        }
    }

    /// curl arguments presenting `name`'s certificate and trusting our CA.
    pub fn curl_client(&self, name: &str) -> Vec<String> {
        let mut args = self.curl_anonymous();
        args.extend([
            "--cert".into(),
            self.path(&format!("{name}.crt")),
            "--key".into(),
            self.path(&format!("{name}.key")),
        ]);
        args
    }

    /// curl arguments trusting our CA, presenting no certificate.
    pub fn curl_anonymous(&self) -> Vec<String> {
        vec!["--cacert".into(), self.path("ca.crt")]
    }

    /// What openssl says the certificate's SHA-1/SHA-256 fingerprint is, as nginx prints it.
    pub fn fingerprint(&self, name: &str, digest: &str) -> String {
        let out = openssl(
            &self.dir,
            &[
                "x509",
                "-noout",
                "-fingerprint",
                &format!("-{digest}"),
                "-in",
                &format!("{name}.crt"),
            ],
        );
        out.trim()
            .split_once('=')
            .unwrap()
            .1
            .replace(':', "")
            .to_lowercase()
    }

    /// The RFC 2253 subject or issuer (`-subject` / `-issuer`) as openssl (and nginx) print it.
    pub fn dn(&self, name: &str, which: &str) -> String {
        let out = openssl(
            &self.dir,
            &[
                "x509",
                "-noout",
                which,
                "-nameopt",
                "RFC2253",
                "-in",
                &format!("{name}.crt"),
            ],
        );
        out.trim().split_once('=').unwrap().1.to_string()
    }
}
