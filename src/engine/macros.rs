//! Macro expansion (`%{TX.score}`, `%{MATCHED_VAR}`, `%{REQUEST_HEADERS.host}`) in `msg`,
//! `logdata` and `setvar` values. Parsed once at load time into literal and variable parts.

use std::borrow::Cow;

use super::variables::{lookup, Variable};
use super::EvalContext;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `key` lower-cased, as collections keep their keys.
    Variable {
        name: String,
        variable: Variable,
        key: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Macro {
    parts: Vec<Part>,
}

impl Macro {
    pub fn parse(text: &str) -> Result<Macro, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("%{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("unterminated macro in \"{text}\""))?;
            let reference = &after[..end];
            let (name, key) = match reference.split_once(['.', ':']) {
                Some((name, key)) => (name, Some(key.to_string())),
                None => (reference, None),
            };
            let variable =
                Variable::from_name(name).map_err(|e| format!("in macro %{{{reference}}}: {e}"))?;
            parts.push(Part::Variable {
                name: name.to_string(),
                variable,
                key: key.map(|k| k.to_ascii_lowercase()),
            });
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Macro { parts })
    }

    /// Whether the text refers to variable `name` (case-insensitive).
    pub fn mentions(&self, name: &str) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Variable { name: n, .. } if n.eq_ignore_ascii_case(name)))
    }

    /// The text, when it holds no macro.
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// The text with its macros expanded. A text that is one literal or one macro (most of
    /// CRS's: `%{tx.critical_anomaly_score}`) is borrowed, not copied.
    pub fn expand<'s>(&'s self, ctx: &EvalContext<'s>) -> Cow<'s, [u8]> {
        let value_of = |variable: &Variable, key: &Option<String>| {
            lookup(ctx, *variable, key.as_deref()).unwrap_or(Cow::Borrowed(b""))
        };
        match self.parts.as_slice() {
            [] => Cow::Borrowed(b""),
            [Part::Literal(text)] => Cow::Borrowed(text.as_bytes()),
            [Part::Variable { variable, key, .. }] => value_of(variable, key),
            parts => {
                let mut out = Vec::new();
                for part in parts {
                    match part {
                        Part::Literal(text) => out.extend_from_slice(text.as_bytes()),
                        Part::Variable { variable, key, .. } => {
                            out.extend_from_slice(&value_of(variable, key))
                        }
                    }
                }
                Cow::Owned(out)
            }
        }
    }
}
