//! Splitting SecLang text into directives: comments, line continuations (`\` at the end of a
//! line) and quoting as ModSecurity accepts them.

use std::sync::Arc;

use super::{Directive, Span};
use crate::compile::ConfigError;

/// Splits `text` (whose first line is line `first_line` of `file`) into directives.
pub fn directives(
    text: &str,
    file: &Arc<str>,
    first_line: usize,
) -> Result<Vec<Directive>, ConfigError> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut start = 0;
    for (index, raw) in text.lines().enumerate() {
        let line_no = first_line + index;
        if logical.is_empty() {
            start = line_no;
        }
        let line = raw.trim_end_matches('\r');
        if let Some(continued) = line.strip_suffix('\\') {
            logical.push_str(continued);
            continue;
        }
        logical.push_str(line);
        let span = Span {
            file: file.clone(),
            line: start,
        };
        if let Some(directive) = split(&logical, &span)? {
            out.push(directive);
        }
        logical.clear();
    }
    if !logical.is_empty() {
        let span = Span {
            file: file.clone(),
            line: start,
        };
        if let Some(directive) = split(&logical, &span)? {
            out.push(directive);
        }
    }
    Ok(out)
}

/// One logical line -> directive name and arguments (None for blank lines and comments).
fn split(line: &str, span: &Span) -> Result<Option<Directive>, ConfigError> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let mut words = Vec::new();
    let mut chars = trimmed.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' || c == '\'' {
            let quote = c;
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == '\\' && chars.peek() == Some(&quote) {
                    // `\"` inside "..." is a literal quote; every other backslash is kept for the
                    // operator (regexes need them).
                    word.push(quote);
                    chars.next();
                } else if c == quote {
                    closed = true;
                    break;
                } else {
                    word.push(c);
                }
            }
            if !closed {
                return Err(span.error(format!("unterminated {quote}-quoted argument")));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    let name = words.remove(0);
    Ok(Some(Directive {
        name,
        args: words,
        span: span.clone(),
    }))
}

/// Splits an action list (`id:1,phase:1,msg:'a, b',t:none`) into (name, value) pairs. Commas
/// inside single quotes belong to the value; the quotes around a value are removed.
pub fn split_actions(list: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let mut actions = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let mut chars = list.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_quote && chars.peek() == Some(&'\'') => {
                current.push('\'');
                chars.next();
            }
            '\'' => {
                in_quote = !in_quote;
                current.push(c);
            }
            ',' if !in_quote => {
                push_action(&mut actions, &current)?;
                current.clear();
            }
            _ => current.push(c),
        }
    }
    if in_quote {
        return Err(format!("unterminated quote in actions \"{list}\""));
    }
    push_action(&mut actions, &current)?;
    Ok(actions)
}

fn push_action(actions: &mut Vec<(String, Option<String>)>, text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(());
    }
    let (name, value) = match text.split_once(':') {
        Some((name, value)) => (name.trim(), Some(unquote(value.trim()))),
        None => (text, None),
    };
    if name.is_empty() {
        return Err(format!("action without a name: \"{text}\""));
    }
    actions.push((name.to_string(), value));
    Ok(())
}

fn unquote(value: &str) -> String {
    if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
        value[1..value.len() - 1].to_string()
    } else {
        value.to_string()
    }
}
