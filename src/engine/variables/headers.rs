//! REQUEST_HEADERS and REQUEST_HEADERS_NAMES, straight from the request view.

use std::borrow::Cow;

use super::Visit;
use crate::engine::EvalContext;

pub fn each(ctx: &EvalContext, f: &mut Visit) {
    ctx.request
        .for_each_header(&mut |name, value| f(name, Cow::Borrowed(value)));
}

pub fn each_name(ctx: &EvalContext, f: &mut Visit) {
    ctx.request
        .for_each_header(&mut |name, _| f(name, Cow::Borrowed(name)));
}
