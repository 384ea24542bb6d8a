//! go-ftw test files (CRS v4 format, and the legacy CRS v3 format) and go-ftw override files,
//! read into one model: a list of stages, each with what to send and what to expect.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_yaml::Value;

#[derive(Clone, Debug, Default)]
pub struct Input {
    pub method: String,
    pub uri: String,
    pub version: String,
    /// In the order go-ftw sends them (a `headers` map is sorted by name).
    pub headers: Vec<(String, String)>,
    pub data: Vec<u8>,
    pub autocomplete_headers: bool,
    /// `encoded_request` (or the legacy `raw_request`): sent byte for byte.
    pub raw_request: Option<Vec<u8>>,
    /// go-ftw turns every LF of a multipart body into CRLF; the legacy ftw sent it as written.
    pub multipart_lf_to_crlf: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Expected {
    /// Any of these (empty: not checked).
    pub status: Vec<u16>,
    pub expect_ids: Vec<u32>,
    pub no_expect_ids: Vec<u32>,
    pub match_regex: Option<String>,
    pub no_match_regex: Option<String>,
    pub response_contains: Option<String>,
    pub expect_error: bool,
    pub isolated: bool,
    pub retry_once: bool,
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub rule_id: u32,
    pub test_id: String,
    /// 1-based, within the test.
    pub stage: usize,
    pub file: PathBuf,
    pub input: Input,
    pub expected: Expected,
    /// The reason, when an override file replaced `expected`.
    pub overridden: Option<String>,
}

impl Stage {
    pub fn name(&self) -> String {
        format!("{}-{} stage {}", self.rule_id, self.test_id, self.stage)
    }
}

/// Every `*.yaml` under `dir`, sorted, so runs are reproducible.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read the tests folder {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Which runner a test file was written for: go-ftw renders Go templates in `data`; the legacy
/// Python ftw sent it as written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    GoFtw,
    LegacyFtw,
}

/// Whether a legacy test file is switched on (`meta: {enabled: false}` switches it off).
pub fn is_enabled(path: &Path) -> bool {
    let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc.get("meta")
        .and_then(|m| m.get("enabled"))
        .and_then(Value::as_bool)
        != Some(false)
}

/// The stages of one test file, in either format.
pub fn load_file(path: &Path, dialect: Dialect) -> Vec<Stage> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
    let file_rule_id = doc
        .get("rule_id")
        .and_then(Value::as_u64)
        .or_else(|| rule_id_from_name(path))
        .unwrap_or_else(|| panic!("{}: no rule_id", path.display())) as u32;
    let mut stages = Vec::new();
    let tests = doc.get("tests").and_then(Value::as_sequence);
    for (index, test) in tests.into_iter().flatten().enumerate() {
        // v4: test_id (a number); legacy: test_title "920100-1".
        let (rule_id, test_id) = match (test.get("test_id"), test.get("test_title")) {
            (Some(id), _) => (file_rule_id, scalar(id)),
            (None, Some(title)) => {
                let title = scalar(title);
                match title.rsplit_once('-') {
                    Some((rule, id)) if rule.parse::<u32>().is_ok() => {
                        (rule.parse().unwrap(), id.to_string())
                    }
                    _ => (file_rule_id, title),
                }
            }
            (None, None) => (file_rule_id, (index + 1).to_string()),
        };
        let test_stages = test.get("stages").and_then(Value::as_sequence);
        for (stage_index, stage) in test_stages.into_iter().flatten().enumerate() {
            // legacy files wrap each stage in `stage:`
            let stage = stage.get("stage").unwrap_or(stage);
            let input = stage.get("input").cloned().unwrap_or(Value::Null);
            let output = stage.get("output").cloned().unwrap_or(Value::Null);
            stages.push(Stage {
                rule_id,
                test_id: test_id.clone(),
                stage: stage_index + 1,
                file: path.to_path_buf(),
                input: read_input(&input, path, dialect),
                expected: read_output(&output),
                overridden: None,
            });
        }
    }
    stages
}

/// go-ftw runs `data` through Go's text/template with sprig's functions. The suites use one
/// action, `{{ "x" | repeat N }}`; any other is refused here rather than sent unrendered.
fn render_template(data: &str, path: &Path) -> Vec<u8> {
    let mut out = String::with_capacity(data.len());
    let mut rest = data;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .unwrap_or_else(|| panic!("{}: unclosed template action", path.display()))
            + start;
        let action = rest[start + 2..end].trim();
        let repeat = action.split_once('|').and_then(|(text, function)| {
            let text = text.trim().strip_prefix('"')?.strip_suffix('"')?;
            let count: usize = function
                .trim()
                .strip_prefix("repeat")?
                .trim()
                .parse()
                .ok()?;
            Some(text.repeat(count))
        });
        out.push_str(&repeat.unwrap_or_else(|| {
            panic!(
                "{}: unsupported template action {{{{{action}}}}}",
                path.display()
            )
        }));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out.into_bytes()
}

fn rule_id_from_name(path: &Path) -> Option<u64> {
    let name = path.file_stem()?.to_str()?;
    let digits: String = name.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A YAML scalar as the string go-ftw would read (numbers and booleans as written).
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => serde_yaml::to_string(other).unwrap().trim().to_string(),
    }
}

fn string_field(map: &Value, key: &str) -> Option<String> {
    map.get(key).map(scalar)
}

fn read_input(input: &Value, path: &Path, dialect: Dialect) -> Input {
    let base64 = base64::engine::general_purpose::STANDARD;
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(ordered) = input.get("ordered_headers").and_then(Value::as_sequence) {
        for tuple in ordered {
            headers.push((
                string_field(tuple, "name").unwrap_or_default(),
                string_field(tuple, "value").unwrap_or_default(),
            ));
        }
    } else if let Some(map) = input.get("headers").and_then(Value::as_mapping) {
        for (name, value) in map {
            headers.push((scalar(name), scalar(value)));
        }
        // go-ftw sorts a header map by name (byte order) for a stable request.
        headers.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let data = match input.get("data") {
        None | Some(Value::Null) => Vec::new(),
        // legacy: a list of lines, joined as the Python ftw did
        Some(Value::Sequence(lines)) => lines
            .iter()
            .map(scalar)
            .collect::<Vec<_>>()
            .join("\r\n")
            .into_bytes(),
        Some(value) if dialect == Dialect::GoFtw => render_template(&scalar(value), path),
        Some(value) => scalar(value).into_bytes(),
    };
    let data = match input.get("encoded_data") {
        Some(encoded) => base64
            .decode(scalar(encoded))
            .unwrap_or_else(|e| panic!("{}: encoded_data: {e}", path.display())),
        None => data,
    };
    let raw_request = match (input.get("encoded_request"), input.get("raw_request")) {
        (Some(encoded), _) => Some(
            base64
                // Go's decoder skips line breaks, which YAML block scalars contain
                .decode(scalar(encoded).replace(['\r', '\n'], ""))
                .unwrap_or_else(|e| panic!("{}: encoded_request: {e}", path.display())),
        ),
        (None, Some(raw)) => Some(scalar(raw).into_bytes()),
        (None, None) => None,
    };
    // `stop_magic` is the legacy, inverted name of `autocomplete_headers`.
    let autocomplete_headers = match (
        input.get("autocomplete_headers").and_then(Value::as_bool),
        input.get("stop_magic").and_then(Value::as_bool),
    ) {
        (Some(value), _) => value,
        (None, Some(stop_magic)) => !stop_magic,
        (None, None) => true,
    };
    Input {
        method: string_field(input, "method").unwrap_or_else(|| "GET".into()),
        uri: string_field(input, "uri").unwrap_or_else(|| "/".into()),
        version: string_field(input, "version").unwrap_or_else(|| "HTTP/1.1".into()),
        headers,
        data,
        autocomplete_headers,
        raw_request,
        multipart_lf_to_crlf: dialect == Dialect::GoFtw,
    }
}

fn ids(value: Option<&Value>) -> Vec<u32> {
    value
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|v| scalar(v).parse().ok())
        .collect()
}

fn read_output(output: &Value) -> Expected {
    let log = output.get("log").cloned().unwrap_or(Value::Null);
    let status = match output.get("status") {
        Some(Value::Sequence(list)) => list.iter().filter_map(|v| scalar(v).parse().ok()).collect(),
        Some(value) => scalar(value).parse().into_iter().collect(),
        None => Vec::new(),
    };
    let mut expected = Expected {
        status,
        expect_ids: ids(log.get("expect_ids")),
        no_expect_ids: ids(log.get("no_expect_ids")),
        match_regex: string_field(&log, "match_regex").filter(|s| !s.is_empty()),
        no_match_regex: string_field(&log, "no_match_regex").filter(|s| !s.is_empty()),
        response_contains: string_field(output, "response_contains").filter(|s| !s.is_empty()),
        expect_error: output.get("expect_error").and_then(Value::as_bool) == Some(true),
        isolated: output.get("isolated").and_then(Value::as_bool) == Some(true),
        retry_once: output.get("retry_once").and_then(Value::as_bool) == Some(true),
    };
    // The legacy keys, read as go-ftw reads them (only where the new ones are absent).
    if let Some(contains) = string_field(output, "log_contains").filter(|s| !s.is_empty()) {
        if expected.expect_ids.is_empty() && expected.match_regex.is_none() {
            expected.match_regex = Some(contains);
        }
    }
    if let Some(contains) = string_field(output, "no_log_contains").filter(|s| !s.is_empty()) {
        if expected.no_expect_ids.is_empty() && expected.no_match_regex.is_none() {
            expected.no_match_regex = Some(contains);
        }
    }
    expected
}

/// One override: the tests it names get `output` as their whole expectation.
pub struct Override {
    pub rule_id: u32,
    pub test_ids: Vec<String>,
    pub reason: String,
    pub expected: Expected,
}

/// The `test_overrides` of a go-ftw override file.
pub fn load_overrides(path: &Path) -> Vec<Override> {
    read_override_list(path, "test_overrides")
}

/// Our own extension: `withdrawn_overrides` names entries of another override file whose cause
/// does not apply to secrules, each with its reason.
pub fn load_withdrawn(path: &Path) -> Vec<Override> {
    read_override_list(path, "withdrawn_overrides")
}

/// Drops from `overrides` every test a withdrawal names.
pub fn withdraw(overrides: &mut Vec<Override>, withdrawn: &[Override]) -> usize {
    let mut count = 0;
    for w in withdrawn {
        for o in overrides.iter_mut().filter(|o| o.rule_id == w.rule_id) {
            let before = o.test_ids.len();
            o.test_ids.retain(|id| !w.test_ids.contains(id));
            count += before - o.test_ids.len();
        }
    }
    overrides.retain(|o| !o.test_ids.is_empty());
    count
}

fn read_override_list(path: &Path, key: &str) -> Vec<Override> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read overrides {}: {e}", path.display()));
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    doc.get(key)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|entry| {
            let reason = string_field(entry, "reason").unwrap_or_default();
            assert!(
                !reason.trim().is_empty(),
                "{}: every override needs a reason",
                path.display()
            );
            Override {
                rule_id: entry.get("rule_id").and_then(Value::as_u64).unwrap() as u32,
                test_ids: entry
                    .get("test_ids")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .map(scalar)
                    .collect(),
                reason: reason.trim().to_string(),
                expected: read_output(entry.get("output").unwrap_or(&Value::Null)),
            }
        })
        .collect()
}

/// Replaces the expectation of every stage an override names; returns how many stages changed.
pub fn apply_overrides(stages: &mut [Stage], overrides: &[Override]) -> usize {
    let mut changed = 0;
    for stage in stages.iter_mut() {
        if let Some(o) = overrides
            .iter()
            .find(|o| o.rule_id == stage.rule_id && o.test_ids.contains(&stage.test_id))
        {
            stage.expected = o.expected.clone();
            stage.overridden = Some(o.reason.clone());
            changed += 1;
        }
    }
    changed
}
