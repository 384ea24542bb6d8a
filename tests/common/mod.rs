//! Test harness for running the real nginx with the module: a temporary prefix, certificates
//! made with the openssl command, a loopback echo backend, and curl as the client.
#![allow(dead_code)]

pub mod backend;
pub mod crs;
pub mod nginx;
pub mod pki;
pub mod reflect_backend;
#[path = "../../benches/shared/request.rs"]
pub mod request;

use std::path::PathBuf;
use std::process::Command;

#[allow(unused_imports)]
pub use backend::EchoBackend;
#[allow(unused_imports)]
pub use nginx::Nginx;
#[allow(unused_imports)]
pub use pki::Pki;

/// The module docker/build-module.sh built for this profile: target/<profile>/ngx_http_secrules_module.so.
/// (Not libsecrules.so: `cargo test --no-default-features` rebuilds that without the nginx glue.)
pub fn module_path() -> PathBuf {
    if let Ok(path) = std::env::var("SECRULES_MODULE") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let module = profile_dir.join("ngx_http_secrules_module.so");
    assert!(
        module.is_file(),
        "module not built: {} (run the README's test command)",
        module.display()
    );
    module
}

/// A free loopback TCP port (bound and released; nginx binds it right after).
pub fn free_port() -> u16 {
    // The kernel may give a port it just gave (and we released) again: a test asking for three
    // got one twice, and nginx refused a plain and an `ssl` server sharing it. Never hand out a
    // port twice in one test binary.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// What curl saw.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    /// The value of a header the echo backend reports it received (names compared lowercase).
    pub fn backend_header(&self, name: &str) -> Option<String> {
        backend::headers_in_echo(&self.body)
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every value of a header the backend received, in order.
    pub fn backend_headers(&self, name: &str) -> Vec<String> {
        backend::headers_in_echo(&self.body)
            .into_iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .collect()
    }
}

/// Runs curl with `args` (the URL among them) and returns status and body. Status 0 means the
/// connection or TLS handshake failed.
pub fn curl(args: &[&str]) -> Response {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    Response {
        status: code.trim().parse().unwrap_or(0),
        body: body.to_string(),
    }
}

/// Builds `tests/oracle/libmodsecurity_verdicts.cc` (g++, linked with libmodsecurity) as
/// `CARGO_TARGET_TMPDIR/<name>`: the incumbent's answers for the differential tests.
pub fn libmodsecurity_oracle(name: &str) -> PathBuf {
    let oracle = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let source =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/libmodsecurity_verdicts.cc");
    let status = Command::new("g++")
        .args(["-std=c++17", "-O1", "-o"])
        .arg(&oracle)
        .arg(source)
        .arg("-lmodsecurity")
        .status()
        .expect("g++ runs (package g++)");
    assert!(
        status.success(),
        "building the libmodsecurity oracle failed"
    );
    oracle
}
