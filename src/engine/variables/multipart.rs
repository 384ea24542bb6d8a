//! What the multipart processor saw besides fields and files: MULTIPART_PART_HEADERS (part
//! name -> each of its header lines, "Name: value" without the line ending), MULTIPART_NAME and
//! MULTIPART_FILENAME (every `name=` / `filename=` value, keyed by itself), and the 0/1 flags
//! (MULTIPART_UNMATCHED_BOUNDARY is 0, 1 or 2), there only for multipart bodies.

use std::borrow::Cow;

use super::{Variable, Visit, NO_KEY};
use crate::engine::EvalContext;

pub fn each<'a>(variable: Variable, ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    let Some(multipart) = ctx
        .state
        .request_body
        .as_ref()
        .and_then(|b| b.multipart.as_ref())
    else {
        return;
    };
    let flags = &multipart.flags;
    let flag = match variable {
        Variable::MultipartPartHeaders => {
            for (name, line) in &multipart.part_headers {
                f(Cow::Borrowed(name), Cow::Borrowed(line));
            }
            return;
        }
        Variable::MultipartName | Variable::MultipartFilename => {
            let values = if variable == Variable::MultipartName {
                &multipart.names
            } else {
                &multipart.filenames
            };
            for value in values {
                f(Cow::Borrowed(value), Cow::Borrowed(value));
            }
            return;
        }
        Variable::MultipartUnmatchedBoundary => {
            let value: &[u8] = match flags.unmatched_boundary {
                0 => b"0",
                1 => b"1",
                _ => b"2",
            };
            return f(NO_KEY, Cow::Borrowed(value));
        }
        Variable::MultipartStrictError => flags.strict_error(),
        Variable::MultipartCrlfLfLines => flags.mixed_line_endings(),
        Variable::MultipartBoundaryQuoted => flags.boundary_quoted,
        Variable::MultipartBoundaryWhitespace => flags.boundary_whitespace,
        Variable::MultipartDataBefore => flags.data_before,
        Variable::MultipartDataAfter => flags.data_after,
        Variable::MultipartHeaderFolding => flags.header_folding,
        Variable::MultipartLfLine => flags.lf_line,
        Variable::MultipartMissingSemicolon => flags.missing_semicolon,
        Variable::MultipartInvalidQuoting => flags.invalid_quoting,
        Variable::MultipartInvalidPart => flags.invalid_part,
        Variable::MultipartInvalidHeaderFolding => flags.invalid_header_folding,
        Variable::MultipartFileLimitExceeded => flags.file_limit_exceeded,
        _ => unreachable!("dispatched by Variable::each"),
    };
    f(NO_KEY, Cow::Borrowed(if flag { b"1" } else { b"0" }));
}
