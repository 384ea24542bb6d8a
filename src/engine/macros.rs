//! Macro expansion (`%{TX.score}`, `%{MATCHED_VAR}`, `%{REQUEST_HEADERS.host}`) in `msg`,
//! `logdata` and `setvar` values. Parsed once at load time into literal and variable parts.

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

    pub fn expand(&self, ctx: &EvalContext) -> Vec<u8> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.extend_from_slice(text.as_bytes()),
                Part::Variable { variable, key, .. } => {
                    if let Some(value) = lookup(ctx, *variable, key.as_deref()) {
                        out.extend_from_slice(&value);
                    }
                }
            }
        }
        out
    }
}
