//! CRS v4 at paranoia level 1 as people deploy it, a raw HTTP/1.1 client for requests curl will
//! not send, and what /proc says about nginx's processes (for "the worker is still alive" and
//! "its memory is flat").

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// CRS v4.28.0 from ../shared beside the project.
pub fn crs_v4_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/crs/v4.28.0")
        .canonicalize()
        .expect("../shared/crs/v4.28.0 beside the project")
}

/// Writes `conf/crs-v4-pl1.conf` into `prefix` and returns its path: the benchmark's engine
/// settings (CRS CI's base configuration, blocking: benches/waf/engine.conf), CRS's
/// crs-setup.conf.example, paranoia level 1, every rule file, then `extra` SecLang lines.
pub fn write_crs_v4_pl1(prefix: &Path, extra: &str) -> PathBuf {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crs = crs_v4_dir();
    let path = prefix.join("conf/crs-v4-pl1.conf");
    std::fs::write(
        &path,
        format!(
            "Include {engine}\n\
             SecUnicodeMapFile {crs}/../test-config/unicode.mapping 20127\n\
             Include {crs}/crs-setup.conf.example\n\
             Include {pl1}\n\
             Include {crs}/rules/*.conf\n\
             {extra}\n",
            engine = project.join("benches/waf/engine.conf").display(),
            pl1 = project.join("benches/waf/pl1.conf").display(),
            crs = crs.display(),
        ),
    )
    .unwrap();
    path
}

/// What came back on a raw connection.
#[derive(Debug)]
pub struct RawResponse {
    /// 0 when no status line came back (connection closed or reset first).
    pub status: u16,
    pub text: String,
}

/// Sends `request` as it is on a new connection and reads the answer until the server closes
/// (requests say `Connection: close`). The connection stays open for writing: nginx takes a
/// half-close for a client that went away and drops the request.
pub fn raw_request(port: u16, request: &[u8]) -> RawResponse {
    send(port, request, false)
}

/// As `raw_request`, then half-closes the connection: the request ends where the bytes end.
pub fn raw_request_then_eof(port: u16, request: &[u8]) -> RawResponse {
    send(port, request, true)
}

fn send(port: u16, request: &[u8], eof: bool) -> RawResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    // A server that answers early (413, 400) may close before the whole request was written.
    let _ = stream.write_all(request);
    if eof {
        let _ = stream.shutdown(Shutdown::Write);
    }
    read_response(stream)
}

/// Reads what the server sends until it closes, and parses the status line.
pub fn read_response(mut stream: TcpStream) -> RawResponse {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    RawResponse { status, text }
}

/// Pids of the processes whose parent is `parent` (nginx's workers, given the master's pid).
pub fn children(parent: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may contain spaces, so split after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            pids.push(pid);
        }
    }
    pids.sort_unstable();
    pids
}

/// Resident set size in kB (`VmRSS` of /proc/PID/status); 0 when the process is gone.
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Number of open file descriptors of `pid`.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}
