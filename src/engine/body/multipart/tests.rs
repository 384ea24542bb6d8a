use super::*;

const CT: &str = "multipart/form-data; boundary=XyZ";

/// `\n` becomes `\r\n`, as go-ftw sends CRS's test bodies.
fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

fn run(body: &[u8]) -> Multipart {
    parse(CT.as_bytes(), body, 100)
}

fn strs(list: &[(Vec<u8>, Vec<u8>)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| {
            (
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Flags with only the named ones set.
fn only(set: impl FnOnce(&mut Flags)) -> Flags {
    let mut flags = Flags {
        crlf_line: true,
        unmatched_boundary: 2,
        ..Flags::default()
    };
    set(&mut flags);
    flags
}

const FORM: &str = "--XyZ\n\
Content-Disposition: form-data; name=\"user\"\n\
\n\
admin\n\
--XyZ\n\
Content-Disposition: form-data; name=\"note\"\n\
Content-Type: text/plain\n\
\n\
line 1\n\
line 2\n\
\n\
--XyZ\n\
Content-Disposition: form-data; name=\"upload\"; filename=\"a.php\"\n\
Content-Type: application/octet-stream\n\
\n\
<?php\n\
--XyZ\n\
Content-Disposition: form-data; name=\"empty\"\n\
\n\
\n\
--XyZ--\n";

#[test]
fn fields_files_and_part_headers() {
    let body = crlf(FORM);
    let m = run(&body);
    assert_eq!(m.error, None);
    assert_eq!(m.flags, only(|_| {}));
    assert!(!m.flags.strict_error());
    assert_eq!(
        strs(&m.fields),
        pairs(&[
            ("user", "admin"),
            ("note", "line 1\r\nline 2\r\n"),
            ("empty", "")
        ])
    );
    assert_eq!(m.files.len(), 1);
    let file = &m.files[0];
    assert_eq!(
        (file.name.as_slice(), file.filename.as_slice()),
        (&b"upload"[..], &b"a.php"[..])
    );
    assert_eq!(&body[file.content.clone()], b"<?php");
    assert_eq!(m.combined_file_size(), 5);
    assert_eq!(
        strs(&m.part_headers),
        pairs(&[
            ("user", "Content-Disposition: form-data; name=\"user\""),
            ("note", "Content-Disposition: form-data; name=\"note\""),
            ("note", "Content-Type: text/plain"),
            (
                "upload",
                "Content-Disposition: form-data; name=\"upload\"; filename=\"a.php\""
            ),
            ("upload", "Content-Type: application/octet-stream"),
            ("empty", "Content-Disposition: form-data; name=\"empty\""),
        ])
    );
    assert_eq!(
        m.names,
        vec![
            b"user".to_vec(),
            b"note".to_vec(),
            b"upload".to_vec(),
            b"empty".to_vec()
        ]
    );
    assert_eq!(m.filenames, vec![b"a.php".to_vec()]);
    // the header sections (with their CRLF) and the three fields' values
    let headers: usize = FORM
        .split("--XyZ\n")
        .skip(1)
        .map(|part| {
            let section = &part[..part.find("\n\n").unwrap() + 2];
            section.len() + section.matches('\n').count()
        })
        .sum();
    assert_eq!(
        m.no_files_length,
        headers + "admin".len() + "line 1\r\nline 2\r\n".len()
    );
}

#[test]
fn the_fields_limit_keeps_the_first_ones() {
    let body = crlf(FORM);
    let m = parse(CT.as_bytes(), &body, 1);
    assert_eq!(strs(&m.fields), pairs(&[("user", "admin")]));
    assert_eq!(m.files.len(), 1);
}

#[test]
fn content_type_errors_are_hard_errors() {
    let m = parse(b"multipart/form-data", b"--x\r\n", 10);
    assert_eq!(
        m.error.as_deref(),
        Some("Multipart: Boundary not found in C-T.")
    );
    assert!(m.flags.error && m.flags.strict_error());
    let m = parse(b"multipart/form-data boundary=XyZ", &crlf(FORM), 10);
    assert_eq!(m.error, None);
    assert_eq!(m.flags, only(|f| f.missing_semicolon = true));
    assert!(m.flags.strict_error());
    let m = parse(b"multipart/form-data; boundary=\"XyZ\"", &crlf(FORM), 10);
    assert_eq!(m.flags, only(|f| f.boundary_quoted = true));
    let m = parse(b"multipart/form-data; boundary =XyZ", &crlf(FORM), 10);
    assert_eq!(m.flags, only(|f| f.boundary_whitespace = true));
}

#[test]
fn data_before_and_after() {
    let mut body = b"preamble\r\n".to_vec();
    body.extend(crlf(FORM));
    let m = run(&body);
    assert_eq!(m.flags, only(|f| f.data_before = true));
    assert!(m.flags.strict_error());
    assert_eq!(m.fields.len(), 3);
    let mut body = crlf(FORM);
    body.extend_from_slice(b"epilogue");
    let m = run(&body);
    assert_eq!(m.flags, only(|f| f.data_after = true));
    assert_eq!(m.error, None);
}

#[test]
fn line_endings() {
    let m = run(FORM.as_bytes());
    assert_eq!(
        m.flags,
        Flags {
            lf_line: true,
            unmatched_boundary: 2,
            ..Flags::default()
        }
    );
    assert!(m.flags.strict_error() && !m.flags.mixed_line_endings());
    assert_eq!(
        strs(&m.fields)[1],
        ("note".to_string(), "line 1\nline 2\n".to_string())
    );
    // one LF-only header line among CRLF ones
    let text = String::from_utf8(crlf(FORM)).unwrap().replacen(
        "Content-Type: text/plain\r\n",
        "Content-Type: text/plain\n",
        1,
    );
    let m = run(text.as_bytes());
    assert!(m.flags.lf_line && m.flags.crlf_line && m.flags.mixed_line_endings());
    // the line before a boundary ends with a bare LF
    let m = run(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\n--XyZ--\r\n");
    assert!(m.flags.lf_line);
    assert_eq!(strs(&m.fields), pairs(&[("a", "v")]));
}

#[test]
fn last_boundary_without_line_ending() {
    let m = run(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--");
    assert_eq!(m.error, None);
    assert_eq!(strs(&m.fields), pairs(&[("a", "v")]));
    assert!(!m.flags.strict_error());
    let m = run(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\n--XyZ--");
    assert!(m.flags.lf_line && m.flags.strict_error());
}

#[test]
fn missing_boundaries() {
    let m = run(b"no boundary here\r\n");
    assert_eq!(
        m.error.as_deref(),
        Some("Multipart: No boundaries found in payload.")
    );
    assert!(m.flags.data_before);
    let m = run(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n");
    assert_eq!(
        m.error.as_deref(),
        Some("Multipart: Final boundary missing.")
    );
    assert!(m.fields.is_empty());
    let m = run(b"");
    assert_eq!((m.error, m.flags), (None, Flags::default()));
}

#[test]
fn invalid_boundary_lines_stop_the_scan() {
    // The specific message is overwritten by the end-of-body check, as in libmodsecurity.
    let m = run(b"--XyZ \r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--\r\n");
    assert_eq!(
        m.error.as_deref(),
        Some("Multipart: No boundaries found in payload.")
    );
    assert!(m.flags.error && m.flags.strict_error());
    let m =
        run(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n-- XyZ\r\n--XyZ--\r\n");
    assert_eq!(
        m.error.as_deref(),
        Some("Multipart: Final boundary missing.")
    );
    assert!(m.flags.error);
    let quoted = parse(
        b"multipart/form-data; boundary=\"XyZ\"",
        b"--\"XyZ\"\r\n",
        10,
    );
    assert!(quoted.flags.error);
}

#[test]
fn unmatched_boundary() {
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data; name=a\n\n--other\n--XyZ--\n",
    ));
    assert_eq!(m.flags.unmatched_boundary, 2);
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--other\n--XyZ--\n",
    ));
    assert_eq!(
        m.flags.unmatched_boundary, 2,
        "our boundary after it sets 2 again"
    );
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyZ--\n",
    ));
    assert_eq!(m.flags.unmatched_boundary, 2);
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyZ\nContent-Disposition: form-data; name=b\n\nx --XyZ y\n--XyZ--\n",
    ));
    assert_eq!(m.flags.unmatched_boundary, 2);
    assert!(
        !m.flags.strict_error(),
        "the unmatched boundary is not a strict error"
    );
    // an unterminated body whose last lines look like another boundary
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyY\n",
    ));
    assert_eq!(m.flags.unmatched_boundary, 1);
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data; name=a\n\nv\nsee --XyZ\n",
    ));
    assert_eq!(m.flags.unmatched_boundary, 1);
}

#[test]
fn header_folding() {
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data;\n name=\"a\"\n\nv\n--XyZ--\n",
    ));
    assert_eq!(m.error, None);
    assert_eq!(m.flags, only(|f| f.header_folding = true));
    assert_eq!(
        strs(&m.part_headers),
        pairs(&[("a", "Content-Disposition: form-data; name=\"a\"")])
    );
    assert_eq!(strs(&m.fields), pairs(&[("a", "v")]));
    let m =
        run(b"--XyZ\r\nContent-Disposition: form-data;\r\n\x0bname=\"a\"\r\n\r\nv\r\n--XyZ--\r\n");
    assert!(m.flags.header_folding && m.flags.invalid_header_folding);
    let m = run(&crlf(
        "--XyZ\n continued\nContent-Disposition: form-data; name=a\n\nv\n--XyZ--\n",
    ));
    assert_eq!(
        m.error.as_deref(),
        Some("Multipart: Invalid part header (folding error).")
    );
}

#[test]
fn invalid_quoting_and_parts() {
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data; name='a'\n\nv\n--XyZ--\n",
    ));
    assert_eq!(m.flags, only(|f| f.invalid_quoting = true));
    assert_eq!(strs(&m.fields), pairs(&[("a", "v")]));
    // a part without a name is skipped
    let body = crlf("--XyZ\nContent-Disposition: form-data; name=\"\"\n\nv\n--XyZ--\n");
    let s = scan(CT.as_bytes(), &body, 10);
    assert!(s.out.flags.invalid_part);
    assert_eq!(
        s.errors[0],
        "Multipart: Content-Disposition header missing name field."
    );
    // the part never leaves its headers, so its last boundary is not one
    assert_eq!(
        s.error.as_deref(),
        Some("Multipart: Final boundary missing.")
    );
    // the boundary right after the headers, where data should begin
    let m = run(&crlf("--XyZ\nContent-Disposition: form-data; name=a\n\n--XyZ\nContent-Disposition: form-data; name=b\n\nv\n--XyZ--\n"));
    assert!(m.flags.invalid_part && m.flags.strict_error());
    let m = run(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n--XyZ--");
    assert!(m.flags.invalid_part);
}

#[test]
fn part_header_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "Content-Type: text/plain\n",
            "Multipart: Part missing Content-Disposition header.",
        ),
        (
            "Content-Disposition: attachment; name=a\n",
            "Multipart: Invalid Content-Disposition header (-1): attachment; name=a",
        ),
        (
            "Content-Disposition: form-data; filename =\"x\"; name=a\n",
            "Multipart: Invalid Content-Disposition header (filename).",
        ),
        (
            "no colon\n",
            "Multipart: Invalid part header (colon missing): no colon\r\n",
        ),
        (
            "X Y: z\nContent-Disposition: form-data; name=a\n",
            "Multipart: Invalid part header (contains invalid character).",
        ),
        (
            ": z\nContent-Disposition: form-data; name=a\n",
            "Multipart: Invalid part header (header name missing).",
        ),
    ];
    for (headers, message) in cases {
        let body = crlf(&format!("--XyZ\n{headers}\nv\n--XyZ--\n"));
        let s = scan(CT.as_bytes(), &body, 10);
        assert!(
            s.errors.iter().any(|e| e == message),
            "{headers}: {:?}",
            s.errors
        );
        assert!(s.error.is_some());
    }
    let m =
        run(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\nX: \0\r\n\r\nv\r\n--XyZ--\r\n");
    assert_eq!(
        m.error.as_deref(),
        Some("Multipart: Nul byte in part headers.")
    );
    // a repeated header is ignored: the first Content-Disposition counts
    let m = run(&crlf("--XyZ\nContent-Disposition: form-data; name=a\ncontent-disposition: form-data; name=b\n\nv\n--XyZ--\n"));
    assert_eq!(m.error, None);
    assert_eq!(strs(&m.fields), pairs(&[("a", "v")]));
    assert_eq!(m.part_headers.len(), 1);
    let long = format!("--XyZ\r\nX: {}\r\n", "a".repeat(5000));
    let m = run(long.as_bytes());
    assert!(m.flags.error);
}

#[test]
fn empty_file_name_is_a_field() {
    let m = run(&crlf(
        "--XyZ\nContent-Disposition: form-data; name=f; filename=\"\"\n\nv\n--XyZ--\n",
    ));
    assert_eq!(strs(&m.fields), pairs(&[("f", "v")]));
    assert!(m.files.is_empty());
    assert_eq!(m.filenames, vec![Vec::new()]);
}

#[test]
fn long_lines_are_cut_in_pieces() {
    // a value longer than a piece, and a boundary-looking string at a piece's start that is
    // not at a line's start
    let value = format!("{}--XyZ--", "b".repeat(PIECE));
    let body = crlf(&format!(
        "--XyZ\nContent-Disposition: form-data; name=a\n\n{value}\n--XyZ--\n"
    ));
    let m = run(&body);
    assert_eq!(m.error, None);
    assert_eq!(strs(&m.fields), vec![("a".to_string(), value)]);
    // a CR at a piece's end stays with its LF
    let value = "c".repeat(PIECE - 1);
    let body = crlf(&format!(
        "--XyZ\nContent-Disposition: form-data; name=a\n\n{value}\n--XyZ--\n"
    ));
    let m = run(&body);
    assert_eq!((m.error, m.flags), (None, only(|_| {})));
    assert_eq!(m.fields[0].1.len(), PIECE - 1);
}

#[test]
fn hostile_bodies_are_cheap() {
    // many parts
    let mut body = Vec::new();
    for i in 0..20_000 {
        body.extend_from_slice(
            format!("--XyZ\r\nContent-Disposition: form-data; name=p{i}\r\n\r\nv\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(b"--XyZ--\r\n");
    let m = parse(CT.as_bytes(), &body, 1000);
    assert_eq!(m.fields.len(), 1000);
    assert_eq!(m.part_headers.len(), 20_000);
    // a never-closing boundary, binary garbage, many empty lines after a broken
    // Content-Disposition, many folded lines
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let bodies: Vec<Vec<u8>> = vec![
        [b"--XyZ\r\n".as_slice(), &garbage].concat(),
        garbage.clone(),
        [
            b"--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n".as_slice(),
            &b"\r\n".repeat(100_000),
        ]
        .concat(),
        [
            b"--XyZ\r\nContent-Disposition: form-data; x=".as_slice(),
            &b"\r\n \r\n".repeat(50_000),
        ]
        .concat(),
        [
            b"--XyZ\r\nA: b\r\n".as_slice(),
            &b" x\r\n".repeat(100_000),
            b"\r\n",
        ]
        .concat(),
        b"--XyZ\r\n".repeat(100_000),
        b"\n".repeat(300_000),
        b"--".repeat(300_000),
    ];
    for body in bodies {
        let started = std::time::Instant::now();
        let m = run(&body);
        assert!(m.error.is_some() || m.flags.strict_error());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_part_whose_headers_never_end_stays_in_proportion() {
    // a long Content-Disposition without a name, then folded and empty lines one after the
    // other: each empty line would parse and record the (long) header again
    let names = "name=\"\"; ".repeat(400);
    let mut body = format!("--XyZ\r\nContent-Disposition: form-data; {names}\r\n").into_bytes();
    body.extend(b" x\r\n\r\n".repeat(100_000));
    body.extend_from_slice(b"--XyZ--");
    let started = std::time::Instant::now();
    let s = scan(CT.as_bytes(), &body, 10);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let recorded: usize = s
        .out
        .part_headers
        .iter()
        .map(|(n, l)| n.len() + l.len())
        .sum();
    assert!(
        recorded < 2 * body.len(),
        "{recorded} bytes of part headers for {} bytes of body",
        body.len()
    );
    assert_eq!(s.out.names.len(), 400);
    assert!(s.out.flags.invalid_part);
    assert!(s.error.is_some());
}
