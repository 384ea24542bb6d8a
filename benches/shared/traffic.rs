//! What both engine benchmarks share (`benches/engine.rs`, and `benches/peer/peer.rs`, which
//! compares secrules with `zentinel-modsec`): the requests of each traffic type, built the way
//! `bench.py` builds them, the CRS entry file of each paranoia level, the answers the nginx
//! benchmark expects, and one whole secrules transaction. Included with `#[path]`; the including
//! file defines `REPO_ROOT`, the repository's top directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrules::compile::Ruleset;
use secrules::engine::Transaction;

use super::REPO_ROOT;

#[path = "request.rs"]
mod request;
pub use request::Request;

/// A small deterministic generator (no rand dependency): xorshift64.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn word(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";

/// The browser headers bench.py sends too (`benches/browser-headers.txt`).
fn browser_headers() -> Vec<(String, String)> {
    let path = Path::new(REPO_ROOT).join("benches/browser-headers.txt");
    std::fs::read_to_string(path)
        .expect("benches/browser-headers.txt")
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn request(
    method: &'static str,
    uri: &str,
    content_type: Option<String>,
    body: Vec<u8>,
) -> Request {
    let mut headers = browser_headers();
    if let Some(ct) = content_type {
        headers.push(("Content-Type".into(), ct));
    }
    if method == "POST" {
        headers.push(("Content-Length".into(), body.len().to_string()));
    }
    let mut request = Request::new(method, uri);
    request.unique_id = "bench".into();
    request.headers = headers;
    request.body = body;
    request
}

pub fn traffic() -> Vec<(&'static str, Request)> {
    let mut g = Gen(0x5eed_1234_abcd_0007);
    let clean = request(
        "GET",
        "/shop/search?q=walking-shoes&category=outdoor&size=42&sort=price_asc&page=2",
        None,
        Vec::new(),
    );
    let sqli = request(
        "GET",
        "/shop/search?q=1%27%20OR%20%271%27%3D%271%27%20--&category=outdoor",
        None,
        Vec::new(),
    );
    let form: Vec<String> = (0..42)
        .map(|i| format!("field{i:02}_{}={}", g.word(4, LOWER), g.word(34, ALNUM)))
        .collect();
    let form = request(
        "POST",
        "/shop/checkout",
        Some("application/x-www-form-urlencoded".into()),
        form.join("&").into_bytes(),
    );
    let items: Vec<String> = (0..190)
        .map(|i| {
            format!(
                r#"{{"id":{},"name":"{}-{}","sku":"SKU-{}","quantity":{},"price":"{}.{:02}"}}"#,
                100000 + i,
                g.word(9, LOWER),
                g.word(8, LOWER),
                g.word(10, UPPER_DIGITS),
                1 + g.next() % 20,
                1 + g.next() % 999,
                g.next() % 100
            )
        })
        .collect();
    let json = format!(
        r#"{{"order":"ord-{}","items":[{}]}}"#,
        g.word(12, LOWER),
        items.join(",")
    );
    let mut json = request(
        "POST",
        "/api/orders",
        Some("application/json".into()),
        json.into_bytes(),
    );
    json.headers
        .retain(|(n, _)| n != "Upgrade-Insecure-Requests"); // as bench.py sends it
    let boundary = format!("----benchboundary{}", g.word(16, b"0123456789abcdef"));
    let mut csv = String::new();
    while csv.len() < 100 * 1024 {
        csv += &format!(
            "{},{},{},{}.{:02}\n",
            1 + g.next() % 99999,
            g.word(12, LOWER),
            g.word(8, LOWER),
            g.next() % 10000,
            g.next() % 100
        );
    }
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nquarterly-inventory\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"inventory.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let multipart = request(
        "POST",
        "/upload",
        Some(format!("multipart/form-data; boundary={boundary}")),
        multipart.into_bytes(),
    );
    vec![
        ("get-clean", clean),
        ("get-sqli", sqli),
        ("post-form", form),
        ("post-json", json),
        ("post-multipart", multipart),
    ]
}

fn crs_dir() -> PathBuf {
    let root = Path::new(REPO_ROOT);
    std::env::var_os("CRS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/crs/v4.28.0"))
}

/// The entry file of one paranoia level, as bench.py writes it (absolute paths).
pub fn entry_file(level: u8) -> PathBuf {
    let root = Path::new(REPO_ROOT);
    let crs = crs_dir().canonicalize().expect("CRS v4.28.0 (set CRS_DIR)");
    let map = crs.join("../test-config/unicode.mapping");
    let mut text = format!(
        "Include {}\n",
        root.join("benches/waf/engine.conf").display()
    );
    if map.exists() {
        text += &format!("SecUnicodeMapFile {} 20127\n", map.display());
    }
    text += &format!(
        "Include {}\nInclude {}\nInclude {}\n",
        crs.join("crs-setup.conf.example").display(),
        root.join(format!("benches/waf/pl{level}.conf")).display(),
        crs.join("rules/*.conf").display()
    );
    let path = std::env::temp_dir().join(format!("secrules-engine-bench-pl{level}.conf"));
    std::fs::write(&path, text).expect("write the entry file");
    path
}

/// The answer the nginx benchmark expects for a traffic type at a paranoia level: the status if
/// the request is refused. At PL4 CRS's stricter rules also refuse the JSON and multipart bodies.
pub fn expected(name: &str, level: u8) -> Option<u16> {
    match (name, level) {
        ("get-sqli", _) | ("post-json", 4) | ("post-multipart", 4) => Some(403),
        _ => None,
    }
}

/// One whole secrules transaction; returns the status if the request was refused.
pub fn transaction(ruleset: &Arc<Ruleset>, request: &Request) -> Option<u16> {
    let mut tx = Transaction::new(Arc::clone(ruleset));
    let intervention = tx.run_phase(1, request).or_else(|| {
        if !request.body.is_empty() {
            if let Some(refused) =
                tx.set_request_body(request.body.clone(), request.content_type().as_bytes())
            {
                return Some(refused);
            }
        }
        tx.run_phase(2, request)
    });
    intervention.map(|i| i.status)
}

/// [`transaction`], then, if the request passed, what nginx runs on the benchmark backend's
/// answer: phase 3 on its status and headers, phase 4 on its body, and phase 5.
#[allow(dead_code)] // the peer benchmark compares request phases only
pub fn transaction_with_response(ruleset: &Arc<Ruleset>, request: &Request) -> Option<u16> {
    let mut tx = Transaction::new(Arc::clone(ruleset));
    let mut intervention = tx.run_phase(1, request).or_else(|| {
        if !request.body.is_empty() {
            if let Some(refused) =
                tx.set_request_body(request.body.clone(), request.content_type().as_bytes())
            {
                return Some(refused);
            }
        }
        tx.run_phase(2, request)
    });
    if intervention.is_none() {
        let headers = vec![
            (b"Content-Type".to_vec(), b"text/plain".to_vec()),
            (b"Content-Length".to_vec(), b"3".to_vec()),
        ];
        tx.set_response_headers(200, b"HTTP/1.1", headers);
        intervention = tx.run_phase(3, request);
        if intervention.is_none() && tx.wants_response_body() {
            tx.set_response_body(b"ok\n".to_vec());
            intervention = tx.run_phase(4, request);
        }
    }
    let _ = tx.run_phase(5, request);
    intervention.map(|i| i.status)
}
