//! REQUEST_COOKIES and REQUEST_COOKIES_NAMES: `Cookie` headers split at `;` into name=value
//! pairs (version 0 cookies, as `SecCookieFormat 0`), values as sent.

use std::borrow::Cow;

use super::Visit;
use crate::engine::EvalContext;

pub fn each<'a>(ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    for (name, value) in cookies(ctx) {
        f(Cow::Borrowed(name), Cow::Borrowed(value));
    }
}

pub fn each_name<'a>(ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
    for (name, _) in cookies(ctx) {
        f(Cow::Borrowed(name), Cow::Borrowed(name));
    }
}

fn cookies<'a>(ctx: &EvalContext<'a>) -> &'a [(Vec<u8>, Vec<u8>)] {
    ctx.state.cookies.get_or_init(|| {
        let mut out = Vec::new();
        ctx.request.for_each_header(&mut |name, value| {
            if name.eq_ignore_ascii_case(b"cookie") {
                out.extend(parse(value));
            }
        });
        out
    })
}

/// `a=1; b=2; c` -> [(a, 1), (b, 2), (c, "")].
pub fn parse(header: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    header
        .split(|&b| b == b';')
        .map(<[u8]>::trim_ascii)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (
                pair[..eq].trim_ascii().to_vec(),
                pair[eq + 1..].trim_ascii().to_vec(),
            ),
            None => (pair.to_vec(), Vec::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn cookie_pairs() {
        assert_eq!(
            super::parse(b"a=1; session=x=y;flag ; ;b= 2"),
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"session".to_vec(), b"x=y".to_vec()),
                (b"flag".to_vec(), b"".to_vec()),
                (b"b".to_vec(), b"2".to_vec()),
            ]
        );
    }
}
