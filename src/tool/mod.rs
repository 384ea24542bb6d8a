//! The rules tool's library side (`secrules-check`): load rule files exactly as the module
//! loads `secrules_file`s, and run a raw HTTP request through them, reporting every match with
//! its transformed value and the verdict. No nginx involved, so it runs in CI before a reload.
#![forbid(unsafe_code)]

pub mod raw_request;

use std::fmt::Write;
use std::path::PathBuf;
use std::sync::Arc;

use crate::compile::{ConfigError, RuleSource, Ruleset};
use crate::engine::{LogMessage, RequestView, Transaction};
pub use raw_request::RawRequest;

/// Loads `files` in order, as consecutive `secrules_file` directives would. Relative paths are
/// taken from the current directory.
pub fn load(files: &[PathBuf]) -> Result<Ruleset, ConfigError> {
    let sources: Vec<RuleSource> = files
        .iter()
        .map(|f| {
            let full = std::path::absolute(f).unwrap_or_else(|_| f.clone());
            RuleSource::File(full)
        })
        .collect();
    Ruleset::load(&sources)
}

/// What running a request did.
pub struct Evaluation {
    pub transaction: Transaction,
    /// The error-log lines, in order.
    pub log: Vec<LogMessage>,
    /// The status nginx would answer with, or None when the request goes on.
    pub status: Option<u16>,
}

/// Runs phases 1 and 2 (with the body, when the rules turn body access on), then phase 5, as
/// nginx does for a request; phases 3 and 4 need a response and are not run.
pub fn evaluate(ruleset: Arc<Ruleset>, request: &RawRequest) -> Evaluation {
    let mut transaction = Transaction::new(ruleset);
    transaction.set_trace(true);
    let mut log = Vec::new();
    let mut intervention = transaction.run_phase(1, request);
    log.extend(transaction.take_log());
    if intervention.is_none() {
        if transaction.wants_request_body() && !request.body().is_empty() {
            intervention =
                transaction.set_request_body(request.body().to_vec(), request.content_type());
            log.extend(transaction.take_log());
        }
        if intervention.is_none() {
            intervention = transaction.run_phase(2, request);
            log.extend(transaction.take_log());
        }
    }
    let _ = transaction.run_phase(5, request);
    log.extend(transaction.take_log());
    Evaluation {
        status: intervention.map(|i| if i.drop { 444 } else { i.status }),
        transaction,
        log,
    }
}

/// A readable account of an evaluation: each match, then the verdict.
pub fn report(evaluation: &Evaluation, request: &dyn RequestView) -> String {
    let mut out = String::new();
    let tx = &evaluation.transaction;
    for m in tx.matches() {
        let logged = if m.error_log { "" } else { " (nolog)" };
        let _ = writeln!(
            out,
            "rule {} (phase {}, {}:{}){logged}",
            m.id, m.phase, m.file, m.line
        );
        if !m.message.is_empty() {
            let _ = writeln!(out, "  msg:      {}", m.message);
        }
        let _ = writeln!(out, "  match:    {}", m.matched);
        if !m.variable.is_empty() {
            let _ = writeln!(out, "  variable: {}", m.variable);
            let _ = writeln!(
                out,
                "  value:    {}",
                crate::audit::error_log::hex_escaped(&m.value, false)
            );
        }
        if !m.data.is_empty() {
            let _ = writeln!(out, "  data:     {}", m.data);
        }
    }
    let _ = writeln!(out, "log lines: {}", evaluation.log.len());
    for line in &evaluation.log {
        let _ = writeln!(out, "  [{:?}] {}", line.level, line.text);
    }
    let _ = writeln!(
        out,
        "anomaly score: {}",
        tx.anomaly_score()
            .map_or("-".into(), |s| String::from_utf8_lossy(s).into_owned())
    );
    let _ = writeln!(out, "rule ids: {}", tx.rule_ids());
    let verdict = match evaluation.status {
        Some(status) => format!("{} {status}", tx.action()),
        None => tx.action().to_string(),
    };
    let _ = writeln!(
        out,
        "verdict: {verdict} ({} {})",
        String::from_utf8_lossy(request.method()),
        String::from_utf8_lossy(request.uri())
    );
    out
}
