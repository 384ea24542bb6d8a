//! ARGS / ARGS_GET and their _NAMES: the query string split at `&` and `=`, names and values
//! URL-decoded (`+` is a space), parsed once per transaction and only if a rule asks.

use std::borrow::Cow;

use crate::engine::transformations::{apply, Transformation};
use super::Visit;
use crate::engine::EvalContext;

pub fn each(ctx: &EvalContext, f: &mut Visit) {
    for (name, value) in query_args(ctx) {
        f(name, Cow::Borrowed(value));
    }
}

pub fn each_name(ctx: &EvalContext, f: &mut Visit) {
    for (name, _) in query_args(ctx) {
        f(name, Cow::Borrowed(name));
    }
}

fn query_args<'a>(ctx: &'a EvalContext) -> &'a [(Vec<u8>, Vec<u8>)] {
    ctx.state.query_args.get_or_init(|| parse(ctx.request.query_string()))
}

/// `a=1&b=2&c` -> [(a, 1), (b, 2), (c, "")], decoded.
pub fn parse(query: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let decode = |part: &[u8]| apply(&[Transformation::UrlDecode], Cow::Borrowed(part)).into_owned();
    query
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (decode(&pair[..eq]), decode(&pair[eq + 1..])),
            None => (decode(pair), Vec::new()),
        })
        .collect()
}
