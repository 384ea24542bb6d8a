//! REQUEST_BODY and REQUEST_BODY_LENGTH: the body nginx read for phase 2 (absent before, and
//! when `SecRequestBodyAccess` is Off).

use std::borrow::Cow;

use super::{Variable, Visit};
use crate::engine::EvalContext;

pub fn each(variable: Variable, ctx: &EvalContext, f: &mut Visit) {
    let Some(body) = &ctx.state.request_body else {
        return;
    };
    match variable {
        Variable::RequestBody => f(b"", Cow::Borrowed(&body.bytes)),
        Variable::RequestBodyLength => f(b"", Cow::Owned(body.bytes.len().to_string().into_bytes())),
        _ => unreachable!("dispatched by Variable::each"),
    }
}
