//! REQUEST_HEADERS and REQUEST_HEADERS_NAMES, straight from the request view.

use std::borrow::Cow;

use super::Visit;
use crate::engine::EvalContext;

pub fn each<'a>(ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    ctx.request
        .for_each_header(&mut |name, value| f(Cow::Borrowed(name), Cow::Borrowed(value)));
}

pub fn each_name<'a>(ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    ctx.request
        .for_each_header(&mut |name, _| f(Cow::Borrowed(name), Cow::Borrowed(name)));
}
