//! Single values from the request line and connection: REMOTE_ADDR, REMOTE_HOST, REMOTE_PORT,
//! SERVER_ADDR, SERVER_PORT, SERVER_NAME, REQUEST_METHOD, REQUEST_URI, REQUEST_URI_RAW,
//! REQUEST_FILENAME, REQUEST_BASENAME, REQUEST_LINE, REQUEST_PROTOCOL, QUERY_STRING, UNIQUE_ID.

use std::borrow::Cow;

use super::{Variable, Visit, NO_KEY};
use crate::engine::EvalContext;

pub fn each<'a>(variable: Variable, ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    let request = ctx.request;
    let value: Cow<'_, [u8]> = match variable {
        // Without reverse lookups (as ModSecurity by default), the host is the address.
        Variable::RemoteAddr | Variable::RemoteHost => Cow::Borrowed(request.remote_addr()),
        Variable::ServerAddr => Cow::Borrowed(request.hostname()),
        Variable::ServerPort => Cow::Owned(request.server_port().to_string().into_bytes()),
        Variable::ServerName => Cow::Owned(server_name(request)),
        Variable::RequestUriRaw => Cow::Borrowed(request.uri()),
        Variable::RequestFilename => Cow::Owned(filename(request.uri())),
        Variable::RequestBasename => {
            let path = filename(request.uri());
            let start = path.iter().rposition(|&b| b == b'/').map_or(0, |p| p + 1);
            Cow::Owned(path[start..].to_vec())
        }
        Variable::RemotePort => Cow::Owned(request.remote_port().to_string().into_bytes()),
        Variable::RequestMethod => Cow::Borrowed(request.method()),
        Variable::RequestUri => Cow::Borrowed(request.uri()),
        Variable::RequestLine => Cow::Borrowed(request.request_line()),
        Variable::RequestProtocol => Cow::Borrowed(request.protocol()),
        Variable::QueryString => Cow::Borrowed(request.query_string()),
        Variable::UniqueId => Cow::Borrowed(request.unique_id()),
        _ => unreachable!("dispatched by Variable::each"),
    };
    f(NO_KEY, value);
}

/// The path part of the request target, percent-decoded (`+` stays: it is not a space in a
/// path), as libmodsecurity fills REQUEST_FILENAME.
pub(crate) fn filename(uri: &[u8]) -> Vec<u8> {
    let path = uri.split(|&b| b == b'?').next().unwrap_or_default();
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        if path[i] == b'%' && i + 2 < path.len() {
            if let (Some(h), Some(l)) = (hex(path[i + 1]), hex(path[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(path[i]);
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The Host header without its port.
fn server_name(request: &dyn crate::engine::RequestView) -> Vec<u8> {
    let mut host = Vec::new();
    request.for_each_header(&mut |name, value| {
        if host.is_empty() && name.eq_ignore_ascii_case(b"host") {
            let end = if value.starts_with(b"[") {
                value
                    .iter()
                    .position(|&b| b == b']')
                    .map_or(value.len(), |p| p + 1)
            } else {
                value.iter().position(|&b| b == b':').unwrap_or(value.len())
            };
            host = value[..end].to_vec();
        }
    });
    host
}
