//! Engine micro-benchmarks (issue 7, item 6), in-process, without nginx:
//! CRS v4.28.0 load + compile, and one whole transaction (phase 1, body, phase 2) for each
//! traffic type of the nginx benchmark (`benches/bench.py`), at paranoia levels 1 and 4.
//!
//! ```sh
//! cargo bench --no-default-features --bench engine
//! CRS_DIR=/path/to/coreruleset-4.28.0 cargo bench --no-default-features --bench engine
//! ```
//!
//! The rules are those of the nginx benchmark: `benches/waf/engine.conf`, CRS's
//! `crs-setup.conf.example`, `benches/waf/pl<N>.conf`, `rules/*.conf`. The requests are built in
//! `benches/shared/traffic.rs` the way `bench.py` builds them (letters, digits, `-` and `.`; same
//! sizes and counts).
//!
//! For profilers, `SECRULES_BENCH_PROFILE=pl1/post-json:200` runs only that transaction that
//! many times and exits, without criterion's timing loop: under `valgrind --tool=callgrind
//! --toggle-collect='*run_transactions*'` this gives instruction counts per transaction that do
//! not depend on what else the machine is doing. `SECRULES_BENCH_PROFILE=pl1/get-clean:200:response`
//! also runs what nginx runs after the request phases when the request passes: phases 3 and 4 on
//! the benchmark backend's answer (200, `text/plain`, `ok`) and phase 5.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use secrules::compile::{RuleSource, Ruleset};

/// The requests, the CRS entry files and the secrules transaction, shared with the peer
/// benchmark (`benches/peer/`).
#[path = "shared/traffic.rs"]
mod traffic;
use traffic::{entry_file, expected, traffic, transaction, transaction_with_response, Request};

const REPO_ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn entry_source(level: u8) -> RuleSource {
    RuleSource::File(entry_file(level))
}

/// The profiling mode (see the top of this file).
fn profile(spec: &str) {
    let (which, count) = spec.split_once(':').unwrap_or((spec, "100"));
    let (count, response) = match count.split_once(':') {
        Some((count, "response")) => (count, true),
        Some((_, other)) => panic!("unknown profiling option {other}"),
        None => (count, false),
    };
    let (level, name) = which.split_once('/').expect("pl<N>/<traffic>:<count>");
    let level: u8 = level
        .trim_start_matches("pl")
        .parse()
        .expect("paranoia level");
    let count: usize = count.parse().expect("count");
    let ruleset = Arc::new(Ruleset::load(&[entry_source(level)]).expect("CRS loads"));
    let (_, request) = traffic()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no traffic type {name}"));
    let started = std::time::Instant::now();
    let refused = run_transactions(&ruleset, &request, count, response);
    eprintln!(
        "{which}: {count} transactions, {refused} refused, {:?} each",
        started.elapsed() / count as u32
    );
}

#[inline(never)]
fn run_transactions(
    ruleset: &Arc<Ruleset>,
    request: &Request,
    count: usize,
    response: bool,
) -> usize {
    let run = if response {
        transaction_with_response
    } else {
        transaction
    };
    (0..count)
        .filter(|_| run(ruleset, request).is_some())
        .count()
}

fn benches(c: &mut Criterion) {
    if let Ok(spec) = std::env::var("SECRULES_BENCH_PROFILE") {
        profile(&spec);
        return;
    }
    let sources = [entry_source(1), entry_source(4)];
    let mut group = c.benchmark_group("crs-v4-load");
    group.sample_size(10);
    group.bench_function("load+compile PL1", |b| {
        b.iter(|| Ruleset::load(&sources[..1]).expect("CRS loads"))
    });
    group.finish();

    let traffic = traffic();
    for (level, source) in [(1u8, &sources[0]), (4, &sources[1])] {
        let ruleset = Arc::new(Ruleset::load(std::slice::from_ref(source)).expect("CRS loads"));
        let mut group = c.benchmark_group(format!("transaction-pl{level}"));
        group.sample_size(20);
        group.warm_up_time(std::time::Duration::from_secs(1));
        for (name, request) in &traffic {
            // the same answers as the nginx benchmark expects
            assert_eq!(
                transaction(&ruleset, request),
                expected(name, level),
                "{name} at PL{level}"
            );
            group.bench_with_input(BenchmarkId::from_parameter(name), request, |b, r| {
                b.iter(|| transaction(&ruleset, r))
            });
        }
        group.finish();
    }
}

criterion_group!(engine, benches);
criterion_main!(engine);
