//! ARGS, ARGS_GET, ARGS_POST and their _NAMES: the query string and (for urlencoded bodies) the
//! request body, split at `&` and `=`, names and values URL-decoded (`+` is a space). Each is
//! parsed once per transaction, and only if a rule asks.

use std::borrow::Cow;

use super::{Visit, NO_KEY};
use crate::compile::ArgumentSettings;
use crate::engine::transformations::{apply, Transformation};
use crate::engine::EvalContext;

/// Where arguments come from: ARGS is the query's followed by the body's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Query,
    Body,
    All,
}

pub fn each<'a>(ctx: &EvalContext<'a>, source: Source, f: &mut Visit<'a, '_>) {
    for (name, value) in args(ctx, source) {
        f(Cow::Borrowed(name), Cow::Borrowed(value));
    }
}

pub fn each_name<'a>(ctx: &EvalContext<'a>, source: Source, f: &mut Visit<'a, '_>) {
    for (name, _) in args(ctx, source) {
        f(Cow::Borrowed(name), Cow::Borrowed(name));
    }
}

fn args<'a>(ctx: &EvalContext<'a>, source: Source) -> impl Iterator<Item = &'a (Vec<u8>, Vec<u8>)> {
    let query: &[(Vec<u8>, Vec<u8>)] = if source == Source::Body {
        &[]
    } else {
        ctx.state
            .query_args
            .get_or_init(|| parse(ctx.request.query_string(), ctx.state.arguments))
    };
    let body: &[(Vec<u8>, Vec<u8>)] = match (&ctx.state.request_body, source) {
        // JSON bodies were parsed when they arrived; urlencoded ones are parsed here, on first use.
        (Some(body), Source::Body | Source::All) if body.processor.is_some() => body
            .args
            .get_or_init(|| parse(&body.bytes, ctx.state.arguments)),
        _ => &[],
    };
    query.iter().chain(body.iter())
}

/// `ARGS_COMBINED_SIZE`: the lengths of every argument's name and value, added up.
pub fn combined_size<'a>(ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    let size: usize = args(ctx, Source::All)
        .map(|(name, value)| name.len() + value.len())
        .sum();
    f(NO_KEY, Cow::Owned(size.to_string().into_bytes()));
}

/// `a=1&b=2&c` -> [(a, 1), (b, 2), (c, "")], decoded; at most `settings.limit` of them.
pub fn parse(query: &[u8], settings: ArgumentSettings) -> Vec<(Vec<u8>, Vec<u8>)> {
    let decode =
        |part: &[u8]| apply(&[Transformation::UrlDecode], Cow::Borrowed(part)).into_owned();
    query
        .split(|&b| b == settings.separator)
        .filter(|pair| !pair.is_empty())
        .take(settings.limit)
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (decode(&pair[..eq]), decode(&pair[eq + 1..])),
            None => (decode(pair), Vec::new()),
        })
        .collect()
}
