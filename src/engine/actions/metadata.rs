//! `id`, `rev`, `ver`, `maturity`, `accuracy`, `msg`, `logdata`, `tag`, `severity`: what a rule
//! says about itself in log lines.

use crate::engine::macros::Macro;

/// A rule's description, as log lines show it.
#[derive(Clone, Debug, Default)]
pub struct RuleMetadata {
    pub msg: Option<Macro>,
    pub logdata: Option<Macro>,
    pub tags: Vec<String>,
    pub severity: Option<u8>,
    pub rev: String,
    pub ver: String,
    pub maturity: u8,
    pub accuracy: u8,
}

pub fn id(value: &str) -> Result<u64, String> {
    let value = value.trim().trim_matches('\'');
    match value.parse::<u64>() {
        Ok(0) | Err(_) => Err(format!("\"id:{value}\": the id must be a positive number")),
        Ok(id) => Ok(id),
    }
}

pub fn small_number(action: &str, value: &str) -> Result<u8, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("\"{action}:{value}\" is not a number from 0 to 9"))
}

/// Numbers 0-7, or syslog's names as ModSecurity accepts them.
pub fn severity(value: &str) -> Result<u8, String> {
    const NAMES: [&str; 8] = [
        "EMERGENCY",
        "ALERT",
        "CRITICAL",
        "ERROR",
        "WARNING",
        "NOTICE",
        "INFO",
        "DEBUG",
    ];
    let value = value.trim();
    if let Ok(n @ 0..=7) = value.parse::<u8>() {
        return Ok(n);
    }
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(value))
        .map(|p| p as u8)
        .ok_or_else(|| format!("unknown severity \"{value}\""))
}
