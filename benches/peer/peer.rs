//! secrules beside the Rust library `zentinel-modsec` (issue 7, item 6): the same CRS v4.28.0
//! configuration, the same requests, in one process and one run.
//!
//! ```sh
//! cd benches/peer && cargo bench -- --warm-up-time 1 --measurement-time 3
//! python3 medians.py           # criterion's medians, and zentinel-modsec / secrules
//! bash instructions.sh         # instructions per transaction, under callgrind (see `profile`)
//! ```
//!
//! The requests, the entry files and the secrules transaction are `benches/engine.rs`'s
//! (`benches/shared/traffic.rs`). Before timing anything it checks what each engine answers for
//! every request (refused with which status, or passed) and prints it beside what the nginx
//! benchmark expects, with the rules zentinel-modsec matched; a request is timed for both engines
//! only when both give the expected answer, so no figure compares a request one engine refuses
//! early with the same request the other runs through every rule.
//!
//! zentinel-modsec 0.5.0 refuses `benches/waf/engine.conf` as it is: its parser takes `id:` only
//! unquoted, and that file (CRS CI's base configuration) writes `id:'200000'`; and it does not
//! know `MULTIPART_UNMATCHED_BOUNDARY` (rule 200004). It gets a copy with the quotes removed,
//! which means the same to ModSecurity and to secrules, and without the directives it still
//! refuses (printed by the check). It also compiles each `@rx` on first use rather than at load,
//! so its load time leaves out what secrules's includes; "load + first requests" (loading, then
//! one request of each type) is the figure where both have built what these requests need.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use secrules::compile::{RuleSource, Ruleset};
use zentinel_modsec::ModSecurity;

#[path = "../shared/traffic.rs"]
mod traffic;
use traffic::{entry_file, expected, traffic, transaction, Request};

const REPO_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

const LEVELS: [u8; 2] = [1, 4];

fn secrules_load(level: u8) -> Arc<Ruleset> {
    Arc::new(Ruleset::load(&[RuleSource::File(entry_file(level))]).expect("secrules loads CRS"))
}

/// The entry file of one paranoia level for zentinel-modsec: secrules's, with `engine.conf`
/// replaced by the copy [`zentinel_engine_conf`] writes.
fn zentinel_entry_file(level: u8) -> String {
    let engine_conf = Path::new(REPO_ROOT).join("benches/waf/engine.conf");
    let (text, _) = zentinel_engine_conf(&engine_conf);
    let copy = std::env::temp_dir().join("secrules-peer-bench-engine.conf");
    std::fs::write(&copy, text).expect("write the engine.conf copy");
    let entry = std::fs::read_to_string(entry_file(level))
        .expect("read the entry file")
        .replace(
            &engine_conf.display().to_string(),
            &copy.display().to_string(),
        );
    let path: PathBuf = std::env::temp_dir().join(format!("secrules-peer-bench-pl{level}.conf"));
    std::fs::write(&path, entry).expect("write the entry file");
    path.display().to_string()
}

/// `engine.conf` as zentinel-modsec takes it: rule ids unquoted, then only the directives it
/// loads. Returns the text and each directive it refused, with its error.
fn zentinel_engine_conf(path: &Path) -> (String, Vec<(String, String)>) {
    let text = unquote_ids(&std::fs::read_to_string(path).expect("read engine.conf"));
    let mut kept = String::new();
    let mut refused = Vec::new();
    for directive in directives(&text) {
        match ModSecurity::from_string(&directive) {
            Ok(_) => kept += &format!("{directive}\n"),
            Err(e) => refused.push((directive, e.to_string())),
        }
    }
    (kept, refused)
}

/// The directives of a configuration file, each on one line: comments and blank lines
/// dropped, continuation lines (ending in `\`) joined.
fn directives(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => current += start,
            None => {
                current += line;
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// `id:'200000'` becomes `id:200000`; nothing else changes.
fn unquote_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("id:'") {
        let digits = rest[at + 4..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let end = at + 4 + digits;
        if digits > 0 && rest[end..].starts_with('\'') {
            out.push_str(&rest[..at + 3]);
            out.push_str(&rest[at + 4..end]);
            rest = &rest[end + 1..];
        } else {
            out.push_str(&rest[..at + 4]);
            rest = &rest[at + 4..];
        }
    }
    out.push_str(rest);
    out
}

fn zentinel_load(entry: &str) -> ModSecurity {
    ModSecurity::from_file(entry).expect("zentinel-modsec loads CRS")
}

/// One whole zentinel-modsec transaction, the same steps as secrules's: phase 1, then the body
/// (if any) and phase 2. Returns the status if the request was refused, and the transaction for
/// the report.
fn zentinel_run(modsec: &ModSecurity, request: &Request) -> zentinel_modsec::Transaction {
    let mut tx = modsec.new_transaction();
    tx.set_client_addr("127.0.0.1", 40000);
    tx.set_server_addr("127.0.0.1", 80);
    tx.set_server_name("127.0.0.1");
    let steps = |tx: &mut zentinel_modsec::Transaction| -> zentinel_modsec::Result<()> {
        tx.process_uri(&request.uri, request.method, "HTTP/1.1")?;
        for (name, value) in &request.headers {
            tx.add_request_header(name, value)?;
        }
        tx.process_request_headers()?;
        if tx.has_intervention() {
            return Ok(());
        }
        if !request.body.is_empty() {
            tx.append_request_body(&request.body)?;
        }
        tx.process_request_body()
    };
    steps(&mut tx).expect("zentinel-modsec transaction");
    tx
}

fn zentinel_transaction(modsec: &ModSecurity, request: &Request) -> Option<u16> {
    zentinel_run(modsec, request)
        .intervention()
        .map(|i| i.status)
}

fn answer(status: Option<u16>) -> String {
    status.map_or("pass".into(), |s| s.to_string())
}

/// Both engines' answers for every request at every level, printed; returns the (level, traffic)
/// pairs on which both give the nginx benchmark's answer.
fn check() -> Vec<(u8, &'static str)> {
    let mut agreed = Vec::new();
    let (_, refused) = zentinel_engine_conf(&Path::new(REPO_ROOT).join("benches/waf/engine.conf"));
    println!(
        "benches/waf/engine.conf, ids unquoted: directives zentinel-modsec refuses, left out:"
    );
    for (directive, error) in refused {
        println!("  {directive}\n    -> {error}");
    }
    println!(
        "answers (expected / secrules / zentinel-modsec; detection rules zentinel-modsec matched):"
    );
    for level in LEVELS {
        let ours = secrules_load(level);
        let peer = zentinel_load(&zentinel_entry_file(level));
        println!(
            "PL{level}: zentinel-modsec loaded {} rules",
            peer.rule_count()
        );
        for (name, request) in traffic() {
            let want = expected(name, level);
            let got = transaction(&ours, &request);
            let tx = zentinel_run(&peer, &request);
            let theirs = tx.intervention().map(|i| i.status);
            println!(
                "  PL{level} {name:15} {:>4} / {:>4} / {:>4}  {:?}",
                answer(want),
                answer(got),
                answer(theirs),
                detections(tx.matched_rules())
            );
            assert_eq!(got, want, "secrules, {name} at PL{level}");
            if theirs == want {
                agreed.push((level, name));
            }
        }
    }
    agreed
}

/// CRS's detection rules among matched rule ids: 911100-944999 without the paranoia-level gates
/// (9xx011-9xx018) and the initialization, exception and scoring rules around them.
fn detections(matched: &[String]) -> Vec<&str> {
    matched
        .iter()
        .map(String::as_str)
        .filter(|id| {
            id.parse()
                .is_ok_and(|n: u32| (911_100..945_000).contains(&n) && n % 1000 >= 100)
        })
        .collect()
}

/// The instruction-count mode: `PEER_BENCH_PROFILE=<secrules|zentinel-modsec>/pl<N>:<count>`
/// loads one engine, runs every request once (so zentinel-modsec has compiled the regexes they
/// reach), then each traffic type `count` times in its own call of `run_transactions`, in the
/// order of `traffic()`, and exits without criterion. `instructions.sh` runs it under callgrind,
/// which counts instructions per call; counts do not depend on what else the machine is doing.
fn profile(spec: &str) {
    let (which, count) = spec.split_once(':').unwrap_or((spec, "2"));
    let (engine, level) = which.split_once("/pl").expect("<engine>/pl<N>:<count>");
    let level: u8 = level.parse().expect("paranoia level");
    let count: usize = count.parse().expect("count");
    let requests = traffic();
    let run: Box<Run> = match engine {
        "secrules" => {
            let ruleset = secrules_load(level);
            Box::new(move |r| transaction(&ruleset, r))
        }
        "zentinel-modsec" => {
            let modsec = zentinel_load(&zentinel_entry_file(level));
            Box::new(move |r| zentinel_transaction(&modsec, r))
        }
        _ => panic!("no engine {engine}"),
    };
    for (name, request) in &requests {
        assert_eq!(
            run(request),
            expected(name, level),
            "{engine}, {name} at PL{level}"
        );
    }
    for (name, request) in &requests {
        run_transactions(&run, request, count);
        eprintln!("{engine} PL{level} {name}: {count} transactions");
    }
}

/// One whole transaction of either engine; returns the status if the request was refused.
type Run = dyn Fn(&Request) -> Option<u16>;

#[inline(never)]
fn run_transactions(run: &Run, request: &Request, count: usize) {
    for _ in 0..count {
        std::hint::black_box(run(std::hint::black_box(request)));
    }
}

fn benches(c: &mut Criterion) {
    if let Ok(spec) = std::env::var("PEER_BENCH_PROFILE") {
        profile(&spec);
        return;
    }
    // While checking, zentinel-modsec's warnings (what it skips or cannot run) go to stderr;
    // not while timing.
    let warnings = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .finish();
    let agreed = tracing::subscriber::with_default(warnings, check);
    let zentinel_entry = zentinel_entry_file(1);
    let requests = traffic();

    let mut group = c.benchmark_group("crs-v4-load-pl1");
    group.sample_size(10);
    group.bench_function("secrules/load", |b| b.iter(|| secrules_load(1)));
    group.bench_function("zentinel-modsec/load", |b| {
        b.iter(|| zentinel_load(&zentinel_entry))
    });
    group.bench_function("secrules/load+first-requests", |b| {
        b.iter(|| {
            let ruleset = secrules_load(1);
            requests.iter().for_each(|(_, r)| {
                transaction(&ruleset, r);
            });
        })
    });
    group.bench_function("zentinel-modsec/load+first-requests", |b| {
        b.iter(|| {
            let modsec = zentinel_load(&zentinel_entry);
            requests.iter().for_each(|(_, r)| {
                zentinel_transaction(&modsec, r);
            });
        })
    });
    group.finish();

    for level in LEVELS {
        let ours = secrules_load(level);
        let peer = zentinel_load(&zentinel_entry_file(level));
        let mut group = c.benchmark_group(format!("transaction-pl{level}"));
        group.sample_size(20);
        group.warm_up_time(Duration::from_secs(1));
        for (name, request) in &requests {
            if !agreed.contains(&(level, *name)) {
                println!("PL{level} {name}: not timed, zentinel-modsec answers otherwise");
                continue;
            }
            group.bench_with_input(BenchmarkId::new("secrules", name), request, |b, r| {
                b.iter(|| transaction(&ours, r))
            });
            group.bench_with_input(
                BenchmarkId::new("zentinel-modsec", name),
                request,
                |b, r| b.iter(|| zentinel_transaction(&peer, r)),
            );
        }
        group.finish();
    }
}

criterion_group!(peer, benches);
criterion_main!(peer);
