//! The upstream's response, for phases 3 and 4: RESPONSE_STATUS, RESPONSE_PROTOCOL,
//! RESPONSE_HEADERS(_NAMES), RESPONSE_CONTENT_TYPE, RESPONSE_CONTENT_LENGTH, RESPONSE_BODY.
//! Before the response exists (phases 1 and 2) they are empty, as in ModSecurity.

use std::borrow::Cow;

use super::{Variable, Visit, NO_KEY};
use crate::engine::EvalContext;

pub fn each<'a>(variable: Variable, ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    let Some(response) = &ctx.state.response else {
        return;
    };
    let header = |name: &[u8]| {
        response
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    };
    match variable {
        Variable::ResponseStatus => f(NO_KEY, Cow::Owned(response.status.to_string().into_bytes())),
        Variable::ResponseProtocol => f(NO_KEY, Cow::Borrowed(&response.protocol)),
        Variable::ResponseHeaders => {
            for (name, value) in &response.headers {
                f(Cow::Borrowed(name), Cow::Borrowed(value));
            }
        }
        Variable::ResponseHeadersNames => {
            for (name, _) in &response.headers {
                f(Cow::Borrowed(name), Cow::Borrowed(name));
            }
        }
        Variable::ResponseContentType => {
            if let Some(value) = header(b"content-type") {
                f(NO_KEY, Cow::Borrowed(value));
            }
        }
        Variable::ResponseContentLength => {
            if let Some(value) = header(b"content-length") {
                f(NO_KEY, Cow::Borrowed(value));
            }
        }
        Variable::ResponseBody => {
            if let Some(body) = &response.body {
                f(NO_KEY, Cow::Borrowed(body));
            }
        }
        _ => unreachable!("dispatched by Variable::each"),
    }
}
