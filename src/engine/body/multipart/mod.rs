//! The `multipart/form-data` body processor, with libmodsecurity 3.0.10+'s semantics: form
//! fields become ARGS_POST, file parts FILES (name -> file name), FILES_SIZES, ...; every part
//! header line is kept for MULTIPART_PART_HEADERS (without its line ending); and the body's
//! oddities raise the MULTIPART_* flags, whose OR is MULTIPART_STRICT_ERROR.
//!
//! The body is scanned once, line by line, in libmodsecurity's 4 KiB pieces (a longer line is
//! cut, and only a piece that starts a line can be a boundary); every byte is looked at a
//! bounded number of times. Files are not written anywhere: FILES_TMPNAMES is always empty.
//!
//! Where this differs from libmodsecurity, on purpose:
//! - a form field's value keeps the line breaks between its lines (libmodsecurity drops them,
//!   a bug: `a\r\nb` becomes `ab`), as ModSecurity 2 and Coraza do;
//! - an empty boundary (`boundary=` or `boundary=""`) is an error (libmodsecurity silently
//!   skips the body);
//! - an unterminated quoted Content-Disposition value ends at the end of the header, with the
//!   invalid-quoting flag (libmodsecurity reads past its string there);
//! - against hostile bodies: a folded part header stops growing at 4 KiB (already an error), a
//!   Content-Disposition is parsed again after an error only when it changed and at most
//!   [`DISPOSITION_ATTEMPTS`] times (a parse again would fail again on the duplicate name), and
//!   only the first parse adds to MULTIPART_NAME / MULTIPART_FILENAME.

mod content_type;
mod disposition;

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use aho_corasick::AhoCorasick;

use content_type::is_space;

/// libmodsecurity's buffer: lines are processed in pieces of at most this many bytes.
const PIECE: usize = 4096;
/// A part's Content-Disposition is parsed again (after an error) at most this many times.
const DISPOSITION_ATTEMPTS: u8 = 16;

/// The flags of MULTIPART_* variables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// A hard error: the Content-Type could not be used, or the scan had to stop.
    pub error: bool,
    pub boundary_quoted: bool,
    pub boundary_whitespace: bool,
    pub data_before: bool,
    pub data_after: bool,
    pub header_folding: bool,
    pub lf_line: bool,
    pub crlf_line: bool,
    pub missing_semicolon: bool,
    pub invalid_quoting: bool,
    pub invalid_part: bool,
    pub invalid_header_folding: bool,
    /// SecUploadFileLimit counts files written to disk; this engine writes none, so it stays 0.
    pub file_limit_exceeded: bool,
    /// 1: a line that looks like a boundary but is not ours; 2: our boundary again (normal).
    pub unmatched_boundary: u8,
}

impl Flags {
    /// MULTIPART_STRICT_ERROR: every flag but the CRLF one and the unmatched boundary.
    pub fn strict_error(&self) -> bool {
        self.error
            || self.boundary_quoted
            || self.boundary_whitespace
            || self.data_before
            || self.data_after
            || self.header_folding
            || self.lf_line
            || self.missing_semicolon
            || self.invalid_quoting
            || self.invalid_part
            || self.invalid_header_folding
            || self.file_limit_exceeded
    }

    /// MULTIPART_CRLF_LF_LINES: both line endings were used.
    pub fn mixed_line_endings(&self) -> bool {
        self.crlf_line && self.lf_line
    }
}

/// A part with a file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilePart {
    pub name: Vec<u8>,
    pub filename: Vec<u8>,
    /// Where its content is in the body (FILES_SIZES is its length).
    pub content: Range<usize>,
}

/// What the processor made of a body.
#[derive(Debug, Default)]
pub struct Multipart {
    /// ARGS_POST: (name, value) of the parts without a file name, at most the arguments limit.
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    pub files: Vec<FilePart>,
    /// MULTIPART_PART_HEADERS: (part name, "Header: value") of every finished part.
    pub part_headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// MULTIPART_NAME and MULTIPART_FILENAME: every `name=` and `filename=` value seen.
    pub names: Vec<Vec<u8>>,
    pub filenames: Vec<Vec<u8>>,
    pub flags: Flags,
    /// REQBODY_ERROR_MSG's text after "Multipart parsing error: " (the last error wins, as in
    /// libmodsecurity).
    pub error: Option<String>,
    /// Bytes of part headers and form fields: what SecRequestBodyNoFilesLimit limits.
    pub no_files_length: usize,
}

impl Multipart {
    /// The sum of the file sizes (FILES_COMBINED_SIZE).
    pub fn combined_file_size(&self) -> usize {
        self.files.iter().map(|f| f.content.len()).sum()
    }
}

/// Parses `body` sent with Content-Type `content_type`; at most `max_fields` form fields are
/// kept.
pub fn parse(content_type: &[u8], body: &[u8], max_fields: usize) -> Multipart {
    let scanner = scan(content_type, body, max_fields);
    let mut out = scanner.out;
    out.error = scanner.error.map(|e| e.to_string());
    out
}

fn scan<'a>(content_type: &[u8], body: &'a [u8], max_fields: usize) -> Scanner<'a> {
    let mut scanner = Scanner {
        body,
        boundary: Vec::new(),
        finder: None,
        max_fields,
        out: Multipart::default(),
        error: None,
        part: None,
        boundaries: 0,
        complete: false,
        stopped: false,
        at_line_start: true,
        bare_lf_before: false,
        #[cfg(test)]
        errors: Vec::new(),
    };
    match content_type::boundary(content_type, &mut scanner.out.flags) {
        Ok(boundary) => scanner.boundary = boundary,
        Err(message) => {
            scanner.out.flags.error = true;
            scanner.error(message);
            return scanner;
        }
    }
    let mut marker = b"--".to_vec();
    marker.extend_from_slice(&scanner.boundary);
    scanner.finder = AhoCorasick::new([&marker]).ok();
    let tail = scanner.scan();
    scanner.finish(tail);
    scanner
}

/// The part being read.
#[derive(Default)]
struct Part {
    name: Vec<u8>,
    filename: Vec<u8>,
    is_file: bool,
    /// Past the empty line that ends the headers.
    in_data: bool,
    /// A data line was read since the headers ended.
    data_read: bool,
    /// Header values by lower-case name.
    headers: HashMap<Vec<u8>, Vec<u8>>,
    /// The header folded lines continue: (lower-case name, name as sent).
    last_header: Option<(Vec<u8>, Vec<u8>)>,
    /// The header line not yet recorded (it may still be folded).
    pending_line: PendingLine,
    header_lines: Vec<Vec<u8>>,
    /// Bytes of header lines read, and of header lines recorded: a folded header recorded
    /// again and again (after every empty line of a part whose headers never end) is recorded
    /// only while that stays in proportion to what was read.
    header_bytes_read: usize,
    header_bytes_recorded: usize,
    disposition_changed: bool,
    disposition_attempts: u8,
    disposition_error: Option<Rc<str>>,
    /// The data read so far, without the line ending held back (the last one before the
    /// boundary is not part of the data).
    data: Option<Range<usize>>,
    held_back: usize,
}

#[derive(Default)]
enum PendingLine {
    #[default]
    None,
    Line(Vec<u8>),
    /// The last header, folded: recorded as "Name: value".
    Folded,
}

struct Scanner<'a> {
    body: &'a [u8],
    boundary: Vec<u8>,
    /// Finds `--boundary` anywhere in a line.
    finder: Option<AhoCorasick>,
    max_fields: usize,
    out: Multipart,
    error: Option<Rc<str>>,
    part: Option<Part>,
    boundaries: usize,
    complete: bool,
    /// A hard error stopped the scan.
    stopped: bool,
    /// The next piece starts a line.
    at_line_start: bool,
    /// The last piece ended with a LF not preceded by a CR.
    bare_lf_before: bool,
    /// Every error, not only the last one.
    #[cfg(test)]
    errors: Vec<String>,
}

impl Scanner<'_> {
    /// Records an error; the last one is REQBODY_ERROR_MSG. Shared, so repeating an error
    /// costs nothing.
    fn error(&mut self, message: impl Into<Rc<str>>) {
        let message = message.into();
        #[cfg(test)]
        self.errors.push(message.to_string());
        self.error = Some(message);
    }

    fn hard_error(&mut self, message: impl Into<Rc<str>>) {
        self.out.flags.error = true;
        self.stopped = true;
        self.error(message);
    }

    /// Processes the body piece by piece; returns where the unprocessed tail (a last line
    /// without its LF) starts.
    fn scan(&mut self) -> usize {
        let body = self.body;
        let mut at = 0;
        while at < body.len() {
            let window = &body[at..body.len().min(at + PIECE)];
            let end = match window.iter().position(|&c| c == b'\n') {
                Some(lf) => at + lf + 1,
                None if window.len() < PIECE => return at,
                // A CR is never the last byte of a piece: it goes with the LF that may follow.
                None if window[PIECE - 1] == b'\r' => at + PIECE - 1,
                None => at + PIECE,
            };
            self.piece(at, end);
            if self.stopped {
                return body.len();
            }
            let ends_line = body[end - 1] == b'\n';
            self.at_line_start = ends_line;
            self.bare_lf_before = ends_line && !(end >= 2 && body[end - 2] == b'\r');
            at = end;
            if self.complete {
                if at < body.len() {
                    self.out.flags.data_after = true;
                }
                return body.len();
            }
        }
        at
    }

    fn piece(&mut self, start: usize, end: usize) {
        let piece = &self.body[start..end];
        let boundary_len = self.boundary.len();
        if self.at_line_start && piece.len() > 3 && piece.starts_with(b"--") {
            if piece.len() >= boundary_len + 2 && piece[2..].starts_with(&self.boundary) {
                if self.bare_lf_before {
                    self.out.flags.lf_line = true;
                }
                let data_read = self.part.as_ref().is_some_and(|p| p.data_read);
                if !data_read && self.boundaries > 0 {
                    // Our boundary where part data should begin: the line is data.
                    self.out.flags.invalid_part = true;
                } else {
                    if self.boundaries > 0 {
                        self.out.flags.unmatched_boundary = 2;
                    }
                    let mut rest = &piece[2 + boundary_len..];
                    let last = rest.starts_with(b"--");
                    if last {
                        rest = &rest[2..];
                    }
                    match rest {
                        b"\n" => self.out.flags.lf_line = true,
                        b"\r\n" => self.out.flags.crlf_line = true,
                        _ => {
                            let line = String::from_utf8_lossy(piece).into_owned();
                            return self.hard_error(format!("Multipart: Invalid boundary: {line}"));
                        }
                    }
                    self.end_part(last);
                    self.complete = last;
                    self.boundaries += 1;
                    return;
                }
            } else {
                if self.out.flags.boundary_quoted
                    && piece.len() > boundary_len + 2
                    && piece[2] == b'"'
                    && piece[3..].starts_with(&self.boundary)
                {
                    return self.hard_error("Multipart: Invalid boundary (quotes).");
                }
                let spaces = piece[2..].iter().take_while(|&&c| is_space(c)).count();
                if spaces > 0 && piece[2 + spaces..].starts_with(&self.boundary) {
                    return self.hard_error("Multipart: Invalid boundary (whitespace).");
                }
                self.out.flags.unmatched_boundary = 1;
            }
        } else if self.at_line_start && self.finder.as_ref().is_some_and(|f| f.is_match(piece)) {
            self.out.flags.unmatched_boundary = 1;
        }
        let Some(part) = &self.part else {
            self.out.flags.data_before = true;
            return;
        };
        if part.in_data {
            self.part_data(start, end);
        } else if piece.len() == PIECE || piece.last() != Some(&b'\n') {
            self.hard_error(format!(
                "Multipart: Part header line over {PIECE} bytes long"
            ));
        } else {
            self.part_header(piece);
        }
    }

    fn part_data(&mut self, start: usize, end: usize) {
        let body = self.body;
        let part = self.part.as_mut().expect("a part is being read");
        part.data_read = true;
        let held_back = match body[start..end] {
            [.., b'\r', b'\n'] => 2,
            [.., b'\n'] => 1,
            _ => 0,
        };
        if !part.is_file {
            self.out.no_files_length += end - start - held_back + part.held_back;
        }
        part.held_back = held_back;
        let from = part.data.as_ref().map_or(start, |d| d.start);
        part.data = Some(from..end - held_back);
    }

    /// One header line of the current part (with its line ending), or the empty line that
    /// ends them.
    fn part_header(&mut self, line: &[u8]) {
        if line.contains(&0) {
            return self.error("Multipart: Nul byte in part headers.");
        }
        self.out.no_files_length += line.len();
        if let Some(part) = self.part.as_mut() {
            part.header_bytes_read += line.len();
        }
        let content_end = if line.len() > 1 && line[line.len() - 2] == b'\r' {
            self.out.flags.crlf_line = true;
            line.len() - 2
        } else {
            self.out.flags.lf_line = true;
            line.len() - 1
        };
        let content = &line[..content_end];
        let part = self.part.as_mut().expect("a part is being read");
        if content.is_empty() {
            record_pending(part);
            return self.headers_end();
        }
        if is_space(line[0]) {
            self.out.flags.header_folding = true;
            let prefix = line.iter().take_while(|&&c| is_space(c)).count();
            if line[..prefix].iter().any(|&c| c != b' ' && c != b'\t') {
                self.out.flags.invalid_header_folding = true;
            }
            let Some((key, _)) = &part.last_header else {
                return self.error("Multipart: Invalid part header (folding error).");
            };
            let mut more = &line[prefix..];
            while let [rest @ .., b'\r' | b'\n'] = more {
                more = rest;
            }
            let value = part.headers.entry(key.clone()).or_default();
            // libmodsecurity keeps growing the value after the error; here it stops at the
            // limit, so a folded header cannot make every later line costly.
            let too_long = value.len() + 1 + more.len() > PIECE;
            if value.len() <= PIECE {
                value.push(b' ');
                value.extend_from_slice(more);
                if key == b"content-disposition" {
                    part.disposition_changed = true;
                }
            }
            part.pending_line = PendingLine::Folded;
            if too_long {
                self.error("Multipart: Part header too long.");
            }
            return;
        }
        record_pending(part);
        let Some(colon) = content.iter().position(|&c| c == b':') else {
            let line = String::from_utf8_lossy(line).into_owned();
            return self.error(format!(
                "Multipart: Invalid part header (colon missing): {line}"
            ));
        };
        let name = &content[..colon];
        if name.is_empty() {
            return self.error("Multipart: Invalid part header (header name missing).");
        }
        if name.iter().any(|&c| !(33..=126).contains(&c)) {
            return self.error("Multipart: Invalid part header (contains invalid character).");
        }
        let mut value = &content[colon + 1..];
        while let [b' ' | b'\t', rest @ ..] = value {
            value = rest;
        }
        while let [rest @ .., b'\r' | b'\n'] = value {
            value = rest;
        }
        let key = name.to_ascii_lowercase();
        if part.headers.contains_key(&key) {
            // A repeated header is ignored, without an error (as libmodsecurity does).
            return;
        }
        if key == b"content-disposition" {
            part.disposition_changed = true;
        }
        part.headers.insert(key.clone(), value.to_vec());
        part.last_header = Some((key, name.to_vec()));
        part.pending_line = PendingLine::Line(content.to_vec());
    }

    /// The empty line after a part's headers: the Content-Disposition decides what the part is.
    fn headers_end(&mut self) {
        let part = self.part.as_mut().expect("a part is being read");
        let Some(value) = part.headers.get(b"content-disposition".as_slice()) else {
            return self.error("Multipart: Part missing Content-Disposition header.");
        };
        if !part.disposition_changed || part.disposition_attempts >= DISPOSITION_ATTEMPTS {
            // Parsing the same header again would fail again (its name is now a duplicate).
            if let Some(message) = part.disposition_error.clone() {
                self.error(message);
            }
            return;
        }
        part.disposition_changed = false;
        part.disposition_attempts += 1;
        let mut found = disposition::Found::default();
        let result = disposition::parse(value, &mut part.name, &mut part.filename, &mut found);
        // Only the first parse's values: a parse again after an error sees the same ones.
        if part.disposition_attempts == 1 {
            self.out.names.append(&mut found.names);
            self.out.filenames.append(&mut found.filenames);
        }
        if found.invalid_quoting {
            self.out.flags.invalid_quoting = true;
        }
        let message: Option<Rc<str>> = match result {
            Err(code) => Some(
                format!(
                    "Multipart: Invalid Content-Disposition header ({code}): {}",
                    String::from_utf8_lossy(value)
                )
                .into(),
            ),
            Ok(()) if part.name.is_empty() => {
                Some("Multipart: Content-Disposition header missing name field.".into())
            }
            // Some parsers find the file name crudely; one that did not see ours is fooled.
            Ok(())
                if !part.filename.is_empty()
                    && content_type::find(value, b"filename=").is_none() =>
            {
                Some("Multipart: Invalid Content-Disposition header (filename).".into())
            }
            Ok(()) => None,
        };
        if let Some(message) = message {
            part.disposition_error = Some(message.clone());
            return self.error(message);
        }
        part.is_file = !part.filename.is_empty();
        part.in_data = true;
        part.data_read = false;
        part.last_header = None;
    }

    /// A boundary line: the part read so far is done; a new one starts unless it was the last.
    fn end_part(&mut self, last: bool) {
        if let Some(part) = self.part.take() {
            for line in part.header_lines {
                self.out.part_headers.push((part.name.clone(), line));
            }
            if part.name.is_empty() {
                self.out.flags.invalid_part = true;
            } else {
                let content = part.data.unwrap_or(0..0);
                if part.is_file {
                    self.out.files.push(FilePart {
                        name: part.name,
                        filename: part.filename,
                        content,
                    });
                } else if self.out.fields.len() < self.max_fields {
                    self.out
                        .fields
                        .push((part.name, self.body[content].to_vec()));
                }
            }
        }
        if !last {
            self.part = Some(Part::default());
        }
    }

    /// The end of the body: a last boundary without its line ending is still one; otherwise
    /// a body without (a last) boundary is an error.
    fn finish(&mut self, tail: usize) {
        if self.body.is_empty() || self.complete {
            return;
        }
        if self.boundaries == 0 {
            return self.error("Multipart: No boundaries found in payload.");
        }
        let rest = &self.body[tail..];
        let last_boundary = !self.stopped
            && self.at_line_start
            && rest.len() == self.boundary.len() + 4
            && rest.starts_with(b"--")
            && rest[2..].starts_with(&self.boundary)
            && rest.ends_with(b"--");
        if !last_boundary {
            return self.error("Multipart: Final boundary missing.");
        }
        if self.bare_lf_before {
            self.out.flags.lf_line = true;
        }
        if !self.part.as_ref().is_some_and(|p| p.data_read) {
            self.out.flags.invalid_part = true;
        }
        self.end_part(true);
        self.complete = true;
    }
}

/// Records the header line that is no longer pending.
fn record_pending(part: &mut Part) {
    match std::mem::take(&mut part.pending_line) {
        PendingLine::None => {}
        PendingLine::Line(line) => {
            part.header_bytes_recorded += line.len();
            part.header_lines.push(line);
        }
        PendingLine::Folded => {
            if let Some((key, name)) = &part.last_header {
                let value = part.headers.get(key).map_or(&[][..], Vec::as_slice);
                if part.header_bytes_recorded + name.len() + 2 + value.len()
                    > part.header_bytes_read + PIECE
                {
                    return;
                }
                let mut line = name.clone();
                line.extend_from_slice(b": ");
                line.extend_from_slice(value);
                part.header_bytes_recorded += line.len();
                part.header_lines.push(line);
            }
        }
    }
}

#[cfg(test)]
mod tests;
