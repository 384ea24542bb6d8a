//! SecLang text -> directives. Reads rule files and inline rule text, resolves `Include` (globs
//! relative to the including file), and keeps the file and line of every directive so errors and
//! log lines can point at it. Knows the language's shape, not its meaning: names of variables,
//! operators and actions are checked by the compiler.
#![forbid(unsafe_code)]

mod include;
mod lexer;

use std::path::Path;
use std::sync::Arc;

use crate::compile::{ConfigError, RuleSource};

pub use lexer::split_actions;

/// Where a directive was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub file: Arc<str>,
    pub line: usize,
}

impl Span {
    pub fn error(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            line: self.line,
            reason: reason.into(),
        }
    }
}

/// One SecLang directive with its arguments, quotes removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub span: Span,
}

/// Parses every source in order, following `Include`s, into one list of directives.
pub fn load(sources: &[RuleSource]) -> Result<Vec<Directive>, ConfigError> {
    let mut out = Vec::new();
    for source in sources {
        match source {
            RuleSource::File(path) => include::load_file(path, None, &mut out, 0)?,
            RuleSource::Inline { text, origin, line } => {
                let base = Path::new(origin)
                    .parent()
                    .unwrap_or(Path::new("/"))
                    .to_path_buf();
                let file: Arc<str> = Arc::from(origin.as_str());
                include::load_text(text, &file, *line, &base, &mut out, 0)?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
