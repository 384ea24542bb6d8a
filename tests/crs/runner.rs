//! Runs stages against the real nginx with the module and judges them as go-ftw does: the
//! stage's error-log lines are those between a start and an end marker request, which rule
//! 999999 logs; rule ids are read from `[id "N"]`.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use regex::Regex;

use super::request;
use super::suite::{Expected, Stage};
use crate::common::free_port;
use crate::common::nginx::{temp_prefix, test_config, write_conf, Nginx};
use crate::common::reflect_backend::ReflectBackend;

const MARKER_HEADER: &str = "X-CRS-Test";

pub struct Runner {
    nginx: Nginx,
    _backend: ReflectBackend,
    port: u16,
    log: File,
    /// Log bytes read but not yet attributed to a stage (nginx writes request lines raw, so
    /// they need not be UTF-8).
    unread: Vec<u8>,
    markers_sent: u64,
    id_pattern: Regex,
}

/// What one stage did, judged.
pub struct Outcome {
    pub passed: bool,
    /// What was expected and what happened, when it failed.
    pub detail: String,
    pub ids: Vec<u32>,
    /// The response's status; None when there was no response.
    pub status: Option<u16>,
}

impl Runner {
    /// nginx (one worker, no keep-alive so every response ends with a close) with the module and
    /// `rules` on every request, proxying to the reflect backend.
    pub fn start(name: &str, rules: &Path) -> Runner {
        let backend = ReflectBackend::start();
        let port = free_port();
        let prefix = temp_prefix(name);
        write_conf(
            &prefix,
            &format!(
                r#"
    keepalive_timeout 0;
    client_header_timeout 3s;
    client_body_timeout 3s;
    client_max_body_size 100m;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        secrules on;
        secrules_file {rules};
        location / {{
            proxy_pass http://127.0.0.1:{backend};
        }}
    }}
"#,
                rules = rules.display(),
                backend = backend.port,
            ),
        );
        let (ok, output) = test_config(&prefix);
        assert!(ok, "nginx -t failed:\n{output}");
        let nginx = Nginx::start(&prefix, &[port]);
        let log = File::open(prefix.join("logs/error.log")).unwrap();
        let mut runner = Runner {
            nginx,
            _backend: backend,
            port,
            log,
            unread: Vec::new(),
            markers_sent: 0,
            id_pattern: Regex::new(r#"\[(?:id |\\?"id\\?":)\\?"(\d+)\\?"\]"#).unwrap(),
        };
        // Everything logged at start-up is nobody's.
        runner.mark("startup");
        runner
    }

    /// Sends `raw` and reads the response until nginx closes the connection.
    fn send(&self, raw: &[u8]) -> Result<Vec<u8>, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(8)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(8)))
            .unwrap();
        // nginx may answer (400) and close before reading everything; the answer still counts.
        let _ = stream.write_all(raw);
        let mut response = Vec::new();
        let mut buf = [0u8; 16384];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
                Err(e) if response.is_empty() => return Err(format!("reading the response: {e}")),
                Err(_) => break,
            }
        }
        if response.is_empty() {
            return Err("connection closed without a response".into());
        }
        if !response.starts_with(b"HTTP/") {
            return Err("the response has no HTTP status line".into());
        }
        Ok(response)
    }

    /// Sends a marker request and returns the log lines written before its line.
    fn mark(&mut self, what: &str) -> Vec<String> {
        self.markers_sent += 1;
        let marker = format!("{what}-{}-{}", std::process::id(), self.markers_sent);
        let needle = marker.to_lowercase();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut next_send = Instant::now();
        loop {
            if Instant::now() >= next_send {
                let _ = self.send(&request::marker(MARKER_HEADER, &marker));
                next_send = Instant::now() + Duration::from_secs(2);
            }
            self.log.read_to_end(&mut self.unread).unwrap();
            let lowercase = self.unread.to_ascii_lowercase();
            if let Some(found) = find(&lowercase, needle.as_bytes()) {
                let line_start = lowercase[..found]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                if let Some(line_end) = lowercase[found..].iter().position(|&b| b == b'\n') {
                    let before: Vec<String> = String::from_utf8_lossy(&self.unread[..line_start])
                        .lines()
                        .map(str::to_string)
                        .collect();
                    self.unread.drain(..found + line_end + 1);
                    return before;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the marker {marker} never reached the error log (is the marker rule 999999 loaded?)"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn run_stage(&mut self, stage: &Stage) -> Outcome {
        let outcome = self.run_once(stage);
        if !outcome.passed && stage.expected.retry_once {
            return self.run_once(stage);
        }
        outcome
    }

    fn run_once(&mut self, stage: &Stage) -> Outcome {
        let name = format!("{}-{}-{}", stage.rule_id, stage.test_id, stage.stage);
        self.mark(&format!("{name}-s"));
        let response = self.send(&request::build(&stage.input));
        let lines = self.mark(&format!("{name}-e"));
        judge(&stage.expected, response, &lines, &self.id_pattern)
    }

    pub fn error_log(&self) -> String {
        self.nginx.error_log()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn status_of(response: &[u8]) -> Option<u16> {
    let line = response.split(|&b| b == b'\n').next()?;
    let line = String::from_utf8_lossy(line);
    line.split_whitespace().nth(1)?.parse().ok()
}

/// go-ftw's order: an expected error decides alone; then status, response_contains, the log.
fn judge(
    expected: &Expected,
    response: Result<Vec<u8>, String>,
    lines: &[String],
    id_pattern: &Regex,
) -> Outcome {
    let mut ids: Vec<u32> = lines
        .iter()
        .flat_map(|line| id_pattern.captures_iter(line))
        .filter_map(|c| c[1].parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let status = response.as_ref().ok().and_then(|r| status_of(r));
    let fail = |detail: String, ids: Vec<u32>| Outcome {
        passed: false,
        detail,
        ids,
        status,
    };
    let response = match (response, expected.expect_error) {
        (Err(_), true) => {
            return Outcome {
                passed: true,
                detail: String::new(),
                ids,
                status,
            }
        }
        (Ok(r), true) => {
            return fail(
                format!(
                    "expected a connection error, got status {:?}",
                    status_of(&r)
                ),
                ids,
            )
        }
        (Err(e), false) => return fail(format!("unexpected error: {e}"), ids),
        (Ok(r), false) => r,
    };
    if !expected.status.is_empty() && !status.is_some_and(|s| expected.status.contains(&s)) {
        return fail(
            format!("expected status {:?}, got {status:?}", expected.status),
            ids,
        );
    }
    if let Some(pattern) = &expected.response_contains {
        let text = String::from_utf8_lossy(&response);
        if !Regex::new(pattern).is_ok_and(|re| re.is_match(&text)) {
            return fail(format!("response does not contain /{pattern}/"), ids);
        }
    }
    if let Some(pattern) = &expected.match_regex {
        let re = Regex::new(pattern).expect("match_regex compiles");
        if !lines.iter().any(|line| re.is_match(line)) {
            return fail(
                format!("no log line matches /{pattern}/ (ids {ids:?})"),
                ids,
            );
        }
    }
    let missing: Vec<u32> = expected
        .expect_ids
        .iter()
        .copied()
        .filter(|id| !ids.contains(id))
        .collect();
    if !missing.is_empty() {
        return fail(
            format!("expected ids {missing:?} missing; logged {ids:?}"),
            ids,
        );
    }
    if expected.isolated && ids.len() != 1 {
        return fail(format!("isolated, but logged {ids:?}"), ids);
    }
    if let Some(pattern) = &expected.no_match_regex {
        let re = Regex::new(pattern).expect("no_match_regex compiles");
        if let Some(line) = lines.iter().find(|line| re.is_match(line)) {
            return fail(format!("a log line matches /{pattern}/: {line}"), ids);
        }
    }
    let unwanted: Vec<u32> = expected
        .no_expect_ids
        .iter()
        .copied()
        .filter(|id| ids.contains(id))
        .collect();
    if !unwanted.is_empty() {
        return fail(format!("ids {unwanted:?} logged but not expected"), ids);
    }
    Outcome {
        passed: true,
        detail: String::new(),
        ids,
        status,
    }
}
