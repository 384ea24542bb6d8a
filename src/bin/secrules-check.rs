//! `secrules-check`: check SecLang rule files before nginx loads them, and try a request on them.
//!
//! ```text
//! secrules-check RULES.conf [MORE.conf ...]                  # load; errors as file:line, exit 1
//! secrules-check RULES.conf ... --request REQUEST.http       # also run a raw HTTP request
//!     [--remote-addr 192.0.2.1]
//! ```
//!
//! Exit codes: 0 rules load (and the request passes), 1 a rule file has an error, 2 bad usage or
//! an unreadable request, 3 the request was denied or dropped.
//!
//! Build it with `cargo build --release --no-default-features --bin secrules-check`: with the
//! default `nginx-module` feature the library carries the nginx glue, whose nginx symbols only
//! exist inside nginx, so that build of the tool only says how to build it.

use std::process::ExitCode;

#[cfg(feature = "nginx-module")]
fn main() -> ExitCode {
    // Not a single use of the library here: linking it would need nginx's symbols.
    eprintln!(
        "secrules-check: build it with --no-default-features (the engine without the nginx glue)"
    );
    ExitCode::from(2)
}

#[cfg(not(feature = "nginx-module"))]
use std::path::PathBuf;
#[cfg(not(feature = "nginx-module"))]
use std::sync::Arc;

#[cfg(not(feature = "nginx-module"))]
use secrules::tool::{self, RawRequest};

#[cfg(not(feature = "nginx-module"))]
const USAGE: &str =
    "usage: secrules-check RULES.conf [MORE.conf ...] [--request FILE.http] [--remote-addr ADDR]";

#[cfg(not(feature = "nginx-module"))]
fn main() -> ExitCode {
    let mut files = Vec::new();
    let mut request_file = None;
    let mut remote_addr = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--request" => request_file = args.next(),
            "--remote-addr" => remote_addr = args.next(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if arg.starts_with("--") => {
                eprintln!("unknown option {arg}\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => files.push(PathBuf::from(arg)),
        }
    }
    if files.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let ruleset = match tool::load(&files) {
        Ok(ruleset) => ruleset,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(1);
        }
    };
    let per_phase = ruleset.rule_count_per_phase();
    println!(
        "ok: {} rules (phase 1-5: {per_phase:?})",
        per_phase.iter().sum::<usize>()
    );
    let Some(request_file) = request_file else {
        return ExitCode::SUCCESS;
    };
    let raw = match std::fs::read(&request_file) {
        Ok(raw) => raw,
        Err(error) => {
            eprintln!("cannot read {request_file}: {error}");
            return ExitCode::from(2);
        }
    };
    let mut request = match RawRequest::parse(&raw) {
        Ok(request) => request,
        Err(error) => {
            eprintln!("{request_file}: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(addr) = remote_addr {
        request.remote_addr = addr.into_bytes();
    }
    let evaluation = tool::evaluate(Arc::new(ruleset), &request);
    print!("{}", tool::report(&evaluation, &request));
    if evaluation.status.is_some() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}
