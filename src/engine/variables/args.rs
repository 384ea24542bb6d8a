//! ARGS, ARGS_GET, ARGS_POST and their _NAMES: the query string and (for urlencoded bodies) the
//! request body, split at `&` and `=`, names and values URL-decoded (`+` is a space). Each is
//! parsed once per transaction, and only if a rule asks.

use std::borrow::Cow;

use super::Visit;
use crate::engine::transformations::{apply, Transformation};
use crate::engine::EvalContext;

/// Where arguments come from: ARGS is the query's followed by the body's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Query,
    Body,
    All,
}

pub fn each(ctx: &EvalContext, source: Source, f: &mut Visit) {
    for (name, value) in args(ctx, source) {
        f(name, Cow::Borrowed(value));
    }
}

pub fn each_name(ctx: &EvalContext, source: Source, f: &mut Visit) {
    for (name, _) in args(ctx, source) {
        f(name, Cow::Borrowed(name));
    }
}

fn args<'a>(ctx: &'a EvalContext, source: Source) -> impl Iterator<Item = &'a (Vec<u8>, Vec<u8>)> {
    let query: &[(Vec<u8>, Vec<u8>)] = if source == Source::Body {
        &[]
    } else {
        ctx.state.query_args.get_or_init(|| parse(ctx.request.query_string()))
    };
    let body: &[(Vec<u8>, Vec<u8>)] = match (&ctx.state.request_body, source) {
        (Some(body), Source::Body | Source::All) if body.urlencoded => {
            body.args.get_or_init(|| parse(&body.bytes))
        }
        _ => &[],
    };
    query.iter().chain(body.iter())
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
