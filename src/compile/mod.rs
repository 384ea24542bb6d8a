//! SecLang AST -> immutable [`Ruleset`]: regexes and literal matchers built, phases planned,
//! chains and skip targets resolved, all at configuration time. A `Ruleset` is `Send + Sync` and
//! shared through `Arc` by every nginx context that uses the same rule sources.
#![forbid(unsafe_code)]

use std::path::PathBuf;

/// Where rules come from, in the order nginx's configuration gives them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuleSource {
    /// A rules file (`secrules_file`, `modsecurity_rules_file`), an absolute path.
    File(PathBuf),
    /// SecLang text written in nginx.conf (`secrule`, `modsecurity_rules`), with the
    /// configuration file and line it was written at, for error messages and log lines.
    Inline { text: String, origin: String, line: usize },
}

/// A configuration error a person can act on: where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

impl std::error::Error for ConfigError {}
