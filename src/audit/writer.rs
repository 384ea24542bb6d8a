//! Where records go. Serial: appended to the `SecAuditLog` file, opened once with `O_APPEND`;
//! each record is one `write(2)` of one buffer, so records of several nginx workers never
//! interleave (the kernel appends each write whole to a regular file). Concurrent: one file per
//! record under `SecAuditLogStorageDir/YYYYMMDD/YYYYMMDD-HHMM/`, and an index line in the
//! `SecAuditLog` file when there is one, as libmodsecurity's `Parallel` writer.
//!
//! `SecAuditLog2` is libmodsecurity 3's: the Serial writer ignores it (the records go to
//! `SecAuditLog` only, and the file is not even created); the Concurrent one writes its index
//! lines there instead of `SecAuditLog` (which is still opened, so created, as libmodsecurity
//! does).
//!
//! Writes are to local files and go to the page cache, like nginx's own `access_log` without
//! `buffer=`: the worker does not wait for the disk.
//!
//! Log rotation: before each write the path is looked up again (one `stat`); when the file there
//! is no longer the one open (logrotate moved it away) the path is opened anew, so records go to
//! the new file with or without `nginx -s reopen`. nginx's workers run unprivileged: the new
//! file must be one they may open (logrotate's `create 0640 www-data adm`, as Debian's nginx
//! has it); if not, records keep going to the rotated file and the error is logged.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::config::{AuditSettings, Format, LogType};
use super::record::Record;

/// The open audit log of one rule set.
#[derive(Debug, Default)]
pub struct AuditWriter {
    /// The `SecAuditLog` file (records when Serial, index lines when Concurrent). A worker
    /// has one thread: the lock is never contended.
    file: Mutex<Option<OpenLog>>,
    /// The `SecAuditLog2` file (index lines when Concurrent).
    second: Mutex<Option<OpenLog>>,
}

#[derive(Debug)]
struct OpenLog {
    file: File,
    /// Which file it is (device, inode), to notice a rotation.
    identity: (u64, u64),
}

impl AuditWriter {
    /// Opens the `SecAuditLog` file now, so a path that cannot be written fails the
    /// configuration load (nginx opens it as the master, before dropping privileges, as it
    /// opens its own logs).
    pub fn open(&self, settings: &AuditSettings) -> Result<(), String> {
        match &settings.path {
            Some(path) => self.append(&self.file, settings, path, b""),
            None => Ok(()),
        }
    }

    /// Opens the `SecAuditLog2` file, which only the Concurrent writer uses.
    pub fn open_second(&self, settings: &AuditSettings) -> Result<(), String> {
        match (&settings.path2, settings.log_type) {
            (Some(path), LogType::Concurrent) => self.append(&self.second, settings, path, b""),
            _ => Ok(()),
        }
    }

    /// Appends `bytes` to the file at `path` held in `slot`, opening it again if it was rotated
    /// away.
    fn append(
        &self,
        slot: &Mutex<Option<OpenLog>>,
        settings: &AuditSettings,
        path: &Path,
        bytes: &[u8],
    ) -> Result<(), String> {
        let mut open = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let at_path = std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
        let mut reopen_error = None;
        if open
            .as_ref()
            .is_none_or(|log| Some(log.identity) != at_path)
        {
            match open_log(settings, path) {
                Ok(log) => *open = Some(log),
                // A worker without the right to create the new file (nginx's workers do not run
                // as root) keeps writing to the one it has rather than losing records.
                Err(reason) if open.is_some() => reopen_error = Some(reason),
                Err(reason) => return Err(reason),
            }
        }
        match open.as_ref() {
            Some(log) if !bytes.is_empty() => append(&log.file, bytes, path)?,
            _ => {}
        }
        match reopen_error {
            Some(reason) => Err(format!(
                "{reason} (the record went to the file open before)"
            )),
            None => Ok(()),
        }
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
                self.append(&self.file, settings, path, text.as_bytes())
            }
            LogType::Concurrent => {
                let dir = settings
                    .storage_dir
                    .as_deref()
                    .ok_or("no SecAuditLogStorageDir is set")?;
                let file = write_record_file(settings, dir, record, &text)?;
                let index = match (&settings.path2, &settings.path) {
                    (Some(second), _) => Some((&self.second, second)),
                    (None, Some(path)) => Some((&self.file, path)),
                    (None, None) => None,
                };
                if let Some((slot, path)) = index {
                    let line = index_line(record, &file, &text);
                    self.append(slot, settings, path, line.as_bytes())?;
                }
                Ok(())
            }
        }
    }
}

fn open_log(settings: &AuditSettings, path: &Path) -> Result<OpenLog, String> {
    let error = |e: std::io::Error| format!("cannot open audit log {}: {e}", path.display());
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(settings.file_mode.unwrap_or(0o640))
        .open(path)
        .map_err(error)?;
    let metadata = file.metadata().map_err(error)?;
    Ok(OpenLog {
        file,
        identity: (metadata.dev(), metadata.ino()),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_log_is_opened_anew_at_its_path() {
        let dir = std::env::temp_dir().join(format!("secrules-rotate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        let _ = std::fs::remove_file(&path);
        let settings = AuditSettings::default();
        let writer = AuditWriter::default();
        writer
            .append(&writer.file, &settings, &path, b"one\n")
            .unwrap();
        writer
            .append(&writer.file, &settings, &path, b"two\n")
            .unwrap();
        // What logrotate does before `nginx -s reopen`.
        std::fs::rename(&path, dir.join("audit.log.1")).unwrap();
        writer
            .append(&writer.file, &settings, &path, b"three\n")
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("audit.log.1")).unwrap(),
            "one\ntwo\n"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
