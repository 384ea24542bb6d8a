//! The `SecAudit*` directives: whether a transaction gets an audit record, what the record
//! holds (parts), its format, and where it goes. Defaults are libmodsecurity's.

use std::path::PathBuf;

use crate::engine::regex::Regex;
use crate::seclang::Directive;

/// `SecAuditEngine` (and `ctl:auditEngine`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuditEngine {
    /// Every transaction is recorded.
    On,
    #[default]
    Off,
    /// Transactions with a logged match, or whose status matches `SecAuditLogRelevantStatus`.
    RelevantOnly,
}

impl AuditEngine {
    pub fn parse(value: &str) -> Result<AuditEngine, String> {
        match value.to_ascii_lowercase().as_str() {
            "on" => Ok(AuditEngine::On),
            "off" => Ok(AuditEngine::Off),
            "relevantonly" => Ok(AuditEngine::RelevantOnly),
            _ => Err(format!("\"{value}\" is not On, Off or RelevantOnly")),
        }
    }
}

/// A set of audit log parts, one bit per letter A..K and Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts(u32);

impl Parts {
    /// libmodsecurity's default when `SecAuditLogParts` is not given: ABCFHZ.
    pub const DEFAULT: Parts = Parts(
        Parts::bit(b'A')
            | Parts::bit(b'B')
            | Parts::bit(b'C')
            | Parts::bit(b'F')
            | Parts::bit(b'H')
            | Parts::bit(b'Z'),
    );

    const fn bit(letter: u8) -> u32 {
        if letter == b'Z' {
            1 << 11
        } else {
            1 << (letter - b'A')
        }
    }

    /// Letters from A-K and Z.
    pub fn parse(letters: &str) -> Result<Parts, String> {
        let mut bits = 0;
        for letter in letters.bytes() {
            if !matches!(letter, b'A'..=b'K' | b'Z') {
                return Err(format!(
                    "\"{letters}\": audit log parts are letters from A-K and Z"
                ));
            }
            bits |= Parts::bit(letter);
        }
        Ok(Parts(bits))
    }

    pub fn has(self, letter: u8) -> bool {
        self.0 & Parts::bit(letter) != 0
    }

    pub fn with(self, other: Parts) -> Parts {
        Parts(self.0 | other.0)
    }

    pub fn without(self, other: Parts) -> Parts {
        Parts(self.0 & !other.0)
    }
}

/// `ctl:auditLogParts=ABC` replaces the parts, `=+E` adds, `=-E` removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartsChange {
    Set(Parts),
    Add(Parts),
    Remove(Parts),
}

impl PartsChange {
    pub fn parse(value: &str) -> Result<PartsChange, String> {
        Ok(match value.as_bytes().first() {
            Some(b'+') => PartsChange::Add(Parts::parse(&value[1..])?),
            Some(b'-') => PartsChange::Remove(Parts::parse(&value[1..])?),
            _ => PartsChange::Set(Parts::parse(value)?),
        })
    }

    pub fn apply(self, parts: Parts) -> Parts {
        match self {
            PartsChange::Set(new) => new,
            PartsChange::Add(more) => parts.with(more),
            PartsChange::Remove(less) => parts.without(less),
        }
    }
}

/// `SecAuditLogFormat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line, libmodsecurity's schema.
    Json,
    /// ModSecurity's multipart text format (`--boundary-A--` sections).
    #[default]
    Native,
}

/// `SecAuditLogType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogType {
    /// Every record appended to the `SecAuditLog` file.
    #[default]
    Serial,
    /// One file per record under `SecAuditLogStorageDir`, an index line in `SecAuditLog`.
    Concurrent,
}

/// Everything the `SecAudit*` directives and `SecComponentSignature` set.
#[derive(Clone, Debug, Default)]
pub struct AuditSettings {
    pub engine: AuditEngine,
    pub parts: Option<Parts>,
    /// `SecAuditLogRelevantStatus`, searched in the status code's decimal text.
    pub relevant_status: Option<std::sync::Arc<Regex>>,
    pub path: Option<PathBuf>,
    /// `SecAuditLog2`: where the Concurrent writer's index lines go (Serial ignores it).
    pub path2: Option<PathBuf>,
    pub format: Format,
    pub log_type: LogType,
    pub storage_dir: Option<PathBuf>,
    /// `SecAuditLogFileMode` / `SecAuditLogDirMode` (octal), libmodsecurity's 0640 / 0750.
    pub file_mode: Option<u32>,
    pub dir_mode: Option<u32>,
    /// `SecComponentSignature`, listed in the record's `producer.components`.
    pub components: Vec<String>,
    /// Where `SecAuditEngine` was set, for the error when nothing says where records go.
    pub engine_span: Option<crate::seclang::Span>,
    /// Where `SecAuditLog` was set, for the error when the file cannot be opened.
    pub path_span: Option<crate::seclang::Span>,
    /// Where `SecAuditLog2` was set, likewise.
    pub path2_span: Option<crate::seclang::Span>,
}

impl AuditSettings {
    pub fn parts(&self) -> Parts {
        self.parts.unwrap_or(Parts::DEFAULT)
    }

    /// Whether the status is one `SecAuditLogRelevantStatus` calls relevant.
    pub fn is_relevant_status(&self, status: u16) -> bool {
        self.relevant_status
            .as_ref()
            .is_some_and(|regex| regex.is_match(status.to_string().as_bytes()))
    }

    /// Whether some record could ever be written: a transaction can switch the audit engine on
    /// with `ctl:auditEngine`, so a path is what counts.
    pub fn has_destination(&self) -> bool {
        match self.log_type {
            LogType::Serial => self.path.is_some(),
            LogType::Concurrent => self.storage_dir.is_some(),
        }
    }

    /// The problem with the settings as a whole, checked once all directives are in.
    pub fn check(&self) -> Result<(), String> {
        if self.engine == AuditEngine::Off || self.has_destination() {
            return Ok(());
        }
        Err(match self.log_type {
            LogType::Serial => "SecAuditEngine is on but no SecAuditLog file is set".into(),
            LogType::Concurrent => "SecAuditLogType Concurrent needs SecAuditLogStorageDir".into(),
        })
    }
}

/// Handles the directive if it is an audit log directive; Ok(false) if it is not. Relative
/// paths are taken from the directory of the file that names them, as `Include` paths.
pub fn apply(settings: &mut AuditSettings, directive: &Directive) -> Result<bool, String> {
    let name = directive.name.to_ascii_lowercase();
    if !name.starts_with("secaudit") && name != "seccomponentsignature" {
        return Ok(false);
    }
    let [value] = directive.args.as_slice() else {
        return Err(format!("{} takes one argument", directive.name));
    };
    let path = || {
        let base = std::path::Path::new(&*directive.span.file)
            .parent()
            .unwrap_or(std::path::Path::new("/"));
        base.join(value)
    };
    match name.as_str() {
        "secauditengine" => {
            settings.engine =
                AuditEngine::parse(value).map_err(|e| format!("SecAuditEngine: {e}"))?;
            settings.engine_span = Some(directive.span.clone());
        }
        "secauditlogparts" => {
            settings.parts =
                Some(Parts::parse(value).map_err(|e| format!("SecAuditLogParts: {e}"))?)
        }
        "secauditlogrelevantstatus" => {
            let regex = Regex::new(value).map_err(|e| format!("SecAuditLogRelevantStatus: {e}"))?;
            settings.relevant_status = Some(std::sync::Arc::new(regex));
        }
        "secauditlog" => {
            settings.path = Some(path());
            settings.path_span = Some(directive.span.clone());
        }
        "secauditlog2" => {
            settings.path2 = Some(path());
            settings.path2_span = Some(directive.span.clone());
        }
        "secauditlogstoragedir" => settings.storage_dir = Some(path()),
        "secauditlogformat" => {
            settings.format = match value.to_ascii_lowercase().as_str() {
                "json" => Format::Json,
                "native" => Format::Native,
                _ => {
                    return Err(format!(
                        "SecAuditLogFormat: \"{value}\" is not JSON or Native"
                    ))
                }
            }
        }
        "secauditlogtype" => {
            settings.log_type = match value.to_ascii_lowercase().as_str() {
                "serial" => LogType::Serial,
                "concurrent" | "parallel" => LogType::Concurrent,
                // libmodsecurity 3 posts each record with curl from inside the request (a
                // blocking call, its result ignored): in an nginx worker that would stall every
                // connection of the worker for as long as the collector takes to answer.
                "https" => {
                    return Err("SecAuditLogType HTTPS is not supported: libmodsecurity sends each \
                        record with a blocking HTTPS request from the worker, which would stall all \
                        of that worker's connections; use Serial or Concurrent and ship the file \
                        (e.g. with a log shipper)"
                        .into())
                }
                _ => {
                    return Err(format!(
                "SecAuditLogType: \"{value}\" is not Serial, Concurrent or HTTPS"
            ))
                }
            }
        }
        "secauditlogfilemode" | "secauditlogdirmode" => {
            let mode = u32::from_str_radix(value, 8)
                .ok()
                .filter(|&m| m <= 0o7777)
                .ok_or_else(|| format!("{}: \"{value}\" is not an octal mode", directive.name))?;
            if name == "secauditlogfilemode" {
                settings.file_mode = Some(mode);
            } else {
                settings.dir_mode = Some(mode);
            }
        }
        "seccomponentsignature" => settings.components.push(value.clone()),
        _ => {
            return Err(format!(
                "unknown or unsupported directive \"{}\"",
                directive.name
            ))
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_parse_and_change() {
        let abc = Parts::parse("ABC").unwrap();
        assert!(abc.has(b'A') && abc.has(b'C') && !abc.has(b'Z'));
        assert!(Parts::parse("ABX").is_err());
        let plus_e = PartsChange::parse("+E").unwrap().apply(abc);
        assert!(plus_e.has(b'E') && plus_e.has(b'B'));
        let minus_b = PartsChange::parse("-B").unwrap().apply(abc);
        assert!(!minus_b.has(b'B') && minus_b.has(b'A'));
        assert_eq!(
            PartsChange::parse("Z").unwrap().apply(abc),
            Parts::parse("Z").unwrap()
        );
        assert!(Parts::DEFAULT.has(b'H') && !Parts::DEFAULT.has(b'E'));
    }
}
