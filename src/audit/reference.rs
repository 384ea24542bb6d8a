//! The `[ref "..."]` of a log line and the `reference` of an audit message, as libmodsecurity
//! 3 writes them: for each value that matched, where the operator matched in it
//! (`oOFFSET,LENGTH`, see [`Operator::match_offsets`]), where the value came from in the request
//! (`vOFFSET,LENGTH`), and the transformations it went through (`t:lowercase,t:urlDecodeUni`),
//! all concatenated without separators, e.g. `o0,6o3,1v24,6t:urlDecodeUni,t:lowercase`.
//!
//! libmodsecurity counts `v` offsets in the request as it is fed to it, not in the bytes on the
//! wire: the request line `METHOD URI HTTP/x.y`, then one `Name: value` line per header, each
//! ended by a single `\n` (not `\r\n`), then, one byte further, the body. Values decoded from
//! the request (arguments) keep their decoded length. [`origins`] reproduces this for the
//! variables read from the request line, headers, cookies, query and urlencoded or JSON body, and
//! the connection; other variables (TX, MATCHED_VAR, multipart parts, XML...) get no `v` part.
//!
//! [`Operator::match_offsets`]: crate::engine::operators::Operator::match_offsets

use std::borrow::Cow;
use std::fmt::Write;

use crate::compile::RuleLink;
use crate::engine::body::Processor;
use crate::engine::transformations::{apply_with_map, Transformation};
use crate::engine::variables::{decoded_path, parse_arguments, Value};
use crate::engine::{EvalContext, RequestView};

/// The `[ref]` of a rule's match, kept as the matched values it describes until the rule's
/// whole chain has matched: most matches of logged rules are of a chain link whose chain then
/// fails (CRS's `REQUEST_HEADERS_NAMES "@rx ^.*$"` matches every header), and spelling out where
/// each lies in the request would cost more than the match itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reference {
    matches: Vec<ReferencedMatch>,
}

/// One matched value of a chain link, as the reference needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ReferencedMatch {
    /// Which link of the rule matched.
    link: usize,
    variable: &'static str,
    key: Option<Vec<u8>>,
    value: Vec<u8>,
    /// What the operator matched (after the transformations).
    matched: Vec<u8>,
    /// Taken at the match when the operator's parameter has macros: by the time the reference
    /// is written, the transaction state they were expanded from may have changed.
    offsets: Option<Vec<(usize, usize)>>,
}

impl Reference {
    /// The reference of `value`, matched by `rule.links[link]`; the text comes with [`Self::text`].
    pub fn of_match(
        link: usize,
        rule_link: &RuleLink,
        value: &Value,
        matched: &[u8],
        ctx: &EvalContext,
    ) -> Reference {
        let offsets = rule_link
            .operator
            .depends_on_state()
            .then(|| match rule_link.negated {
                true => Vec::new(),
                false => rule_link.operator.match_offsets(matched, ctx),
            });
        Reference {
            matches: vec![ReferencedMatch {
                link,
                variable: value.variable,
                key: value.key.as_deref().map(<[u8]>::to_vec),
                value: value.value.to_vec(),
                matched: matched.to_vec(),
                offsets,
            }],
        }
    }

    /// The matches of `other` after those of `self` (libmodsecurity tells every match of the
    /// chain, first link first).
    pub fn append(&mut self, other: &mut Reference) {
        self.matches.append(&mut other.matches);
    }

    /// The text: what [`write_match`] makes of each match, concatenated. Only request data and the
    /// settings of the transaction go into it besides what was kept, and neither changes while
    /// the rule is evaluated.
    pub fn text(&self, links: &[RuleLink], ctx: &EvalContext) -> String {
        let mut out = String::new();
        for m in &self.matches {
            let Some(link) = links.get(m.link) else {
                continue;
            };
            let value = Value {
                variable: m.variable,
                key: m.key.as_deref().map(Cow::Borrowed),
                value: Cow::Borrowed(&m.value),
                stable: false,
            };
            let offsets = match (&m.offsets, link.negated) {
                (_, true) => Cow::Borrowed(&[][..]),
                (Some(offsets), false) => Cow::Borrowed(offsets.as_slice()),
                (None, false) => Cow::Owned(link.operator.match_offsets(&m.matched, ctx)),
            };
            write_match(&mut out, link, &value, &m.matched, &offsets, ctx);
        }
        out
    }
}

/// The reference of one matched value: `o` parts (unless the operator is negated: a negated
/// operator matches where the operator found nothing), `v` parts, then the transformation trail.
/// `matched` is the value the operator matched (after the transformations).
fn write_match(
    out: &mut String,
    link: &RuleLink,
    value: &Value,
    matched: &[u8],
    offsets: &[(usize, usize)],
    ctx: &EvalContext,
) {
    for (offset, length) in offsets {
        let _ = write!(out, "o{offset},{length}");
    }
    for (offset, length) in origins(value, ctx) {
        let _ = write!(out, "v{offset},{length}");
    }
    out.push_str(&trail(link, value, matched, ctx));
}

/// The transformations, `t:name` comma separated. With `multiMatch`, libmodsecurity names only
/// the transformation whose result matched (nothing for the value as it came): the same
/// candidates as the engine tries, in the same order, and the first equal to `matched` is the
/// one that matched.
fn trail(link: &RuleLink, value: &Value, matched: &[u8], ctx: &EvalContext) -> String {
    let names = |steps: &[Transformation]| {
        steps
            .iter()
            .map(|t| format!("t:{}", t.name()))
            .collect::<Vec<_>>()
            .join(",")
    };
    if !link.multi_match {
        return names(&link.transformations);
    }
    let mut current: Cow<[u8]> = Cow::Borrowed(&value.value);
    if *current == *matched {
        return String::new();
    }
    for step in &link.transformations {
        let map = ctx.state.unicode_map.as_deref();
        let next = apply_with_map(std::slice::from_ref(step), current.clone(), map);
        if next != current && *next == *matched {
            return names(std::slice::from_ref(step));
        }
        current = next;
    }
    String::new()
}

/// Where libmodsecurity says `value` came from: (offset, length) pairs, usually one.
pub fn origins(value: &Value, ctx: &EvalContext) -> Vec<(usize, usize)> {
    let request = ctx.request;
    let layout = Layout::of(request);
    let key = value.key.as_deref().unwrap_or_default();
    let whole = |offset| vec![(offset, value.value.len())];
    match value.variable {
        "REMOTE_ADDR" | "REMOTE_HOST" | "REMOTE_PORT" | "SERVER_ADDR" | "SERVER_PORT"
        | "UNIQUE_ID" | "REQUEST_METHOD" | "REQUEST_LINE" => whole(0),
        "REQUEST_PROTOCOL" => whole(layout.method + 1 + request.uri().len() + 1),
        "REQUEST_URI_RAW" => vec![(layout.method + 1, request.uri().len())],
        "REQUEST_URI" => vec![(layout.method + 1, layout.target.len())],
        "REQUEST_FILENAME" | "PATH_INFO" => vec![(layout.method + 1, layout.path_len())],
        "REQUEST_BASENAME" => {
            let path = decoded_path(&layout.target);
            whole(layout.method + 1 + path.len() - value.value.len().min(path.len()))
        }
        "QUERY_STRING" => layout.query_offset().map_or_else(Vec::new, whole),
        "REQUEST_HEADERS" | "REQUEST_HEADERS_NAMES" => {
            let names = value.variable.ends_with("NAMES");
            layout
                .headers(request)
                .into_iter()
                .find(|h| h.name.eq_ignore_ascii_case(key) && (names || *h.value == *value.value))
                .map(|h| match names {
                    true => vec![(h.name_offset, h.name.len())],
                    false => vec![(h.value_offset, h.value.len())],
                })
                .unwrap_or_default()
        }
        "SERVER_NAME" | "AUTH_TYPE" => {
            let header: &[u8] = if value.variable == "SERVER_NAME" {
                b"host"
            } else {
                b"authorization"
            };
            let found = layout
                .headers(request)
                .into_iter()
                .find(|h| h.name.eq_ignore_ascii_case(header));
            found.map_or_else(Vec::new, |h| whole(h.value_offset))
        }
        "REQUEST_COOKIES" | "REQUEST_COOKIES_NAMES" => cookie_origin(&layout, request, key, value)
            .into_iter()
            .collect(),
        "ARGS" | "ARGS_GET" | "ARGS_POST" | "ARGS_NAMES" | "ARGS_GET_NAMES" | "ARGS_POST_NAMES" => {
            argument_origin(&layout, value, ctx).into_iter().collect()
        }
        "REQUEST_BODY" => match &ctx.state.request_body {
            Some(_) => whole(layout.body_offset(request)),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The parts of the request line libmodsecurity's offsets are counted from.
struct Layout {
    /// The method's length.
    method: usize,
    /// The request target without its `#fragment`.
    target: Vec<u8>,
    /// The length of `METHOD URI HTTP/x.y`.
    line: usize,
}

/// One header as libmodsecurity places it: `Name: value\n`.
struct HeaderAt<'r> {
    name: &'r [u8],
    value: &'r [u8],
    name_offset: usize,
    value_offset: usize,
}

impl Layout {
    fn of(request: &dyn RequestView) -> Layout {
        let uri = request.uri();
        let target = uri
            .split(|&b| b == b'#')
            .next()
            .unwrap_or_default()
            .to_vec();
        // ModSecurity-nginx passes the version as "1.1", "2.0"...: "HTTP/" and 3 characters.
        let protocol = request.protocol().len().max("HTTP/1.1".len());
        let method = request.method().len();
        Layout {
            method,
            target,
            line: method + 1 + uri.len() + 1 + protocol,
        }
    }

    /// REQUEST_FILENAME's length: the target up to `?`.
    fn path_len(&self) -> usize {
        self.target
            .iter()
            .position(|&b| b == b'?')
            .unwrap_or(self.target.len())
    }

    fn query_offset(&self) -> Option<usize> {
        let question = self.target.iter().position(|&b| b == b'?')?;
        Some(self.method + 1 + question + 1)
    }

    fn headers<'r>(&self, request: &'r dyn RequestView) -> Vec<HeaderAt<'r>> {
        let mut at = self.line + 1;
        let mut out = Vec::new();
        request.for_each_header(&mut |name, value| {
            out.push(HeaderAt {
                name,
                value,
                name_offset: at,
                value_offset: at + name.len() + 2,
            });
            at += name.len() + 2 + value.len() + 1;
        });
        out
    }

    /// Where the body starts: one past the end of the last header line.
    fn body_offset(&self, request: &dyn RequestView) -> usize {
        let headers = self.headers(request);
        let end = headers
            .last()
            .map_or(self.line + 1, |h| h.value_offset + h.value.len() + 1);
        end + 1
    }
}

/// An argument's place: the query's (or a urlencoded body's) `name=value` pairs are counted one
/// after the other (separator included); the value starts after the *decoded* name and `=`, and
/// is as long as the decoded value. A name's place is its pair's start. JSON arguments are all
/// placed as if at offset 0 (libmodsecurity passes 0 for them).
fn argument_origin(layout: &Layout, value: &Value, ctx: &EvalContext) -> Option<(usize, usize)> {
    let key = value.key.as_deref().unwrap_or_default();
    let names = value.variable.ends_with("_NAMES");
    let wanted = |name: &[u8], arg: &[u8]| name == key && (names || arg == &*value.value);
    let place = |pair_start: usize, name: &[u8], arg: &[u8]| match names {
        true => (pair_start, name.len()),
        false => (pair_start + name.len() + 1, arg.len()),
    };
    let settings = ctx.state.arguments;
    let search = |text: &[u8], start: usize| {
        let mut at = start;
        for pair in text.split(|&b| b == settings.separator) {
            if let Some((name, arg)) = parse_arguments(pair, settings).into_iter().next() {
                if wanted(&name, &arg) {
                    return Some(place(at, &name, &arg));
                }
            }
            at += pair.len() + 1;
        }
        None
    };
    let from_query = !value.variable.starts_with("ARGS_POST");
    if from_query {
        if let Some(found) = layout
            .query_offset()
            .and_then(|start| search(&layout.target[start - layout.method - 1..], start))
        {
            return Some(found);
        }
    }
    if value.variable.starts_with("ARGS_GET") {
        return None;
    }
    let body = ctx.state.request_body.as_ref()?;
    match body.processor? {
        Processor::Urlencoded => search(&body.bytes, layout.body_offset(ctx.request)),
        Processor::Json => Some(place(0, key, &value.value)),
        _ => None,
    }
}

/// A cookie's place, walking the `Cookie` header as libmodsecurity does: pairs split at `;`,
/// leading spaces of a name skipped, the value right after `=`.
fn cookie_origin(
    layout: &Layout,
    request: &dyn RequestView,
    key: &[u8],
    value: &Value,
) -> Option<(usize, usize)> {
    let names = value.variable.ends_with("_NAMES");
    for header in layout.headers(request) {
        if !header.name.eq_ignore_ascii_case(b"cookie") {
            continue;
        }
        let mut at = header.value_offset;
        let mut pairs: Vec<&[u8]> = header.value.split(|&b| b == b';').collect();
        // Spaces after the last pair are not part of its value.
        if let Some(last) = pairs.last_mut() {
            *last = last.trim_ascii_end();
        }
        for pair in pairs {
            if pair.is_empty() {
                at += 1;
                continue;
            }
            let (mut name, cookie) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &b""[..]),
            };
            while let [first, rest @ ..] = name {
                if !first.is_ascii_whitespace() {
                    break;
                }
                name = rest;
                at += 1;
            }
            if name.is_empty() {
                at += pair.len() + 1;
                continue;
            }
            let trimmed = cookie.trim_ascii();
            if name.trim_ascii() == key && (names || trimmed == &*value.value) {
                return Some(match names {
                    true => (at, name.len()),
                    false => (at + name.len() + 1, cookie.len()),
                });
            }
            at += name.len() + 1 + cookie.len() + 1;
        }
    }
    None
}
