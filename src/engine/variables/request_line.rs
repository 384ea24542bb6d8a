//! Single values from the request line and connection: REMOTE_ADDR, REMOTE_PORT, REQUEST_METHOD,
//! REQUEST_URI, REQUEST_LINE, REQUEST_PROTOCOL, QUERY_STRING, UNIQUE_ID.

use std::borrow::Cow;

use super::{Variable, Visit};
use crate::engine::EvalContext;

pub fn each(variable: Variable, ctx: &EvalContext, f: &mut Visit) {
    let request = ctx.request;
    let value: Cow<'_, [u8]> = match variable {
        Variable::RemoteAddr => Cow::Borrowed(request.remote_addr()),
        Variable::RemotePort => Cow::Owned(request.remote_port().to_string().into_bytes()),
        Variable::RequestMethod => Cow::Borrowed(request.method()),
        Variable::RequestUri => Cow::Borrowed(request.uri()),
        Variable::RequestLine => Cow::Borrowed(request.request_line()),
        Variable::RequestProtocol => Cow::Borrowed(request.protocol()),
        Variable::QueryString => Cow::Borrowed(request.query_string()),
        Variable::UniqueId => Cow::Borrowed(request.unique_id()),
        _ => unreachable!("dispatched by Variable::each"),
    };
    f(b"", value);
}
