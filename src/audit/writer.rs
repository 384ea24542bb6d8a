//! Where records go. Serial: appended to the `SecAuditLog` file, opened once with `O_APPEND`;
//! each record is one `write(2)` of one buffer, so records of several nginx workers never
//! interleave (the kernel appends each write whole to a regular file). Concurrent: one file per
//! record under `SecAuditLogStorageDir/YYYYMMDD/YYYYMMDD-HHMM/`, and an index line in the
//! `SecAuditLog` file when there is one, as libmodsecurity's `Parallel` writer.
//!
//! Writes are to local files and go to the page cache, like nginx's own `access_log` without
//! `buffer=`: the worker does not wait for the disk.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::config::{AuditSettings, Format, LogType};
use super::record::Record;

/// The open audit log of one rule set.
#[derive(Debug, Default)]
pub struct AuditWriter {
    /// The `SecAuditLog` file (records when Serial, index lines when Concurrent).
    file: OnceLock<Result<File, String>>,
}

impl AuditWriter {
    /// Opens the `SecAuditLog` file now, so a path that cannot be written fails the
    /// configuration load (nginx opens it as the master, before dropping privileges, as it
    /// opens its own logs).
    pub fn open(&self, settings: &AuditSettings) -> Result<(), String> {
        match &settings.path {
            Some(path) => self.file(settings, path).map(|_| ()),
            None => Ok(()),
        }
    }

    fn file(&self, settings: &AuditSettings, path: &Path) -> Result<&File, String> {
        self.file
            .get_or_init(|| {
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(settings.file_mode.unwrap_or(0o640))
                    .open(path)
                    .map_err(|e| format!("cannot open audit log {}: {e}", path.display()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Writes one record as the settings say.
    pub fn write(&self, settings: &AuditSettings, record: &Record) -> Result<(), String> {
        let text = render(settings, record);
        match settings.log_type {
            LogType::Serial => {
                let path = settings
                    .path
                    .as_deref()
                    .ok_or("no SecAuditLog file is set")?;
                append(self.file(settings, path)?, text.as_bytes(), path)
            }
            LogType::Concurrent => {
                let dir = settings
                    .storage_dir
                    .as_deref()
                    .ok_or("no SecAuditLogStorageDir is set")?;
                let file = write_record_file(settings, dir, record, &text)?;
                if let Some(path) = settings.path.as_deref() {
                    let line = index_line(record, &file, &text);
                    append(self.file(settings, path)?, line.as_bytes(), path)?;
                }
                Ok(())
            }
        }
    }
}

/// The record's text in the configured format.
pub fn render(settings: &AuditSettings, record: &Record) -> String {
    match settings.format {
        Format::Json => record.to_json(),
        Format::Native => record.to_native(&boundary(record.unique_id)),
    }
}

fn append(mut file: &File, bytes: &[u8], path: &Path) -> Result<(), String> {
    // One call, one buffer: a regular file opened O_APPEND takes it whole.
    file.write_all(bytes)
        .map_err(|e| format!("cannot write audit log {}: {e}", path.display()))
}

/// `dir/YYYYMMDD/YYYYMMDD-HHMM/YYYYMMDD-HHMMSS-<unique_id>`, directories created as needed.
fn write_record_file(
    settings: &AuditSettings,
    dir: &Path,
    record: &Record,
    text: &str,
) -> Result<PathBuf, String> {
    let [day, minute, second] = record.time.storage_names();
    let folder = dir.join(day).join(minute);
    DirBuilder::new()
        .recursive(true)
        .mode(settings.dir_mode.unwrap_or(0o750))
        .create(&folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    // The id comes from nginx (`$request_id`, a header...): keep it to one safe file name.
    let id: String = String::from_utf8_lossy(record.unique_id)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = folder.join(format!("{second}-{id}"));
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(settings.file_mode.unwrap_or(0o640))
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// libmodsecurity's index line: `host client - - [time] "request line" status size referer
/// "user-agent" unique_id referer file 0 record-size md5:digest`.
fn index_line(record: &Record, file: &Path, text: &str) -> String {
    let header = |name: &str| {
        record
            .request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "-".into())
    };
    let digest: String = crate::engine::transformations::md5::apply(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{} {} - {} \"{} {} HTTP/{}\" {} {} {} \"{}\" {} {} {} 0 {} md5:{digest}\n",
        header("Host"),
        String::from_utf8_lossy(record.client_ip),
        record.time.common_log(),
        String::from_utf8_lossy(record.method),
        String::from_utf8_lossy(record.uri),
        record.http_version(),
        record.http_code,
        record.response_body.map_or(0, <[u8]>::len),
        header("Referer"),
        header("User-Agent"),
        String::from_utf8_lossy(record.unique_id),
        header("Referer"),
        file.display(),
        text.len(),
    )
}

/// 8 characters that tell one Native record's sections from another's; derived from the id
/// and the clock (not a secret, only distinct).
fn boundary(unique_id: &[u8]) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut hash: u32 = 0x811c_9dc5 ^ nanos;
    for &b in unique_id {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}
