//! Reading rule files and following `Include` (a path or a glob in the last component, relative
//! to the including file's directory).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{lexer, Directive, Span};
use crate::compile::ConfigError;

/// Includes nested deeper than this are a loop.
const MAX_DEPTH: usize = 32;

pub fn load_file(
    path: &Path,
    from: Option<&Span>,
    out: &mut Vec<Directive>,
    depth: usize,
) -> Result<(), ConfigError> {
    let text = std::fs::read(path).map_err(|e| {
        let reason = format!("cannot read rules file \"{}\": {e}", path.display());
        match from {
            Some(span) => span.error(reason),
            None => ConfigError {
                file: path.display().to_string(),
                line: 0,
                reason,
            },
        }
    })?;
    let text = String::from_utf8_lossy(&text);
    let file: Arc<str> = Arc::from(path.display().to_string());
    let base = path.parent().unwrap_or(Path::new("/")).to_path_buf();
    load_text(&text, &file, 1, &base, out, depth)
}

pub fn load_text(
    text: &str,
    file: &Arc<str>,
    first_line: usize,
    base: &Path,
    out: &mut Vec<Directive>,
    depth: usize,
) -> Result<(), ConfigError> {
    for directive in lexer::directives(text, file, first_line)? {
        if !directive.name.eq_ignore_ascii_case("Include") {
            out.push(directive);
            continue;
        }
        if depth >= MAX_DEPTH {
            return Err(directive.span.error("Include nested too deeply (a loop?)"));
        }
        let [pattern] = directive.args.as_slice() else {
            return Err(directive.span.error("Include takes one path"));
        };
        let files = expand(&base.join(pattern)).map_err(|reason| directive.span.error(reason))?;
        for path in files {
            load_file(&path, Some(&directive.span), out, depth + 1)?;
        }
    }
    Ok(())
}

/// The files a path names: itself, or with `*`/`?` in its last component, the matching files in
/// name order (at least one).
fn expand(path: &Path) -> Result<Vec<PathBuf>, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        if path.is_file() {
            return Ok(vec![path.to_path_buf()]);
        }
        return Err(format!("included file \"{}\" not found", path.display()));
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list \"{}\": {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| wildcard_match(name.as_bytes(), e.file_name().to_string_lossy().as_bytes()))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no file matches \"{}\"", path.display()));
    }
    Ok(files)
}

fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard_match(&pattern[1..], name)
                || (!name.is_empty() && wildcard_match(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard_match(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => wildcard_match(&pattern[1..], &name[1..]),
        _ => false,
    }
}
