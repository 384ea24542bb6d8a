//! Variables (`REQUEST_HEADERS:user`, `&ARGS`, `!ARGS:id`): what a rule looks at. A [`Target`]
//! is compiled at load time; at run time it yields (name, value) pairs from the request view and
//! the transaction. One file per family of variables.

mod args;
mod cookies;
mod files;
mod headers;
mod multipart;
mod request_body;
mod request_line;
mod response;
mod rule;
mod ssl_client;
mod transaction;

// For the `[ref]` of log lines (crate::audit::reference), which places values as these read them.
pub(crate) use args::parse as parse_arguments;
pub(crate) use request_line::filename as decoded_path;

use std::borrow::Cow;
use std::sync::Arc;

use super::operators::Rx;
use super::regex::{line_start_literals, LineStart, Subject};
use super::EvalContext;

/// Receives each (key, value) of a variable; single-valued variables have an empty key. Both
/// borrow from the request or the transaction (`'a`) where they can, so reading a variable
/// copies nothing.
pub type Visit<'a, 'f> = dyn FnMut(Cow<'a, [u8]>, Cow<'a, [u8]>) + 'f;

/// The key of a single-valued variable.
pub const NO_KEY: Cow<'static, [u8]> = Cow::Borrowed(b"");

/// One value a rule's operator will see. Its name (what log lines and MATCHED_VAR_NAME show) is
/// only spelled out when asked: most values never match, and formatting a name for each value of
/// each rule would cost more than matching it.
pub struct Value<'a> {
    pub variable: &'static str,
    /// The collection key (`ARGS:<key>`); None for a single-valued variable or a count.
    pub key: Option<Cow<'a, [u8]>>,
    pub value: Cow<'a, [u8]>,
    /// The bytes are request data that neither moves nor changes until the phase ends, so what
    /// a transformation chain makes of them may be kept (see `ChainCache`).
    pub stable: bool,
}

impl Value<'_> {
    /// The same value, owning its bytes.
    pub fn into_owned(self) -> Value<'static> {
        Value {
            variable: self.variable,
            key: self.key.map(|k| Cow::Owned(k.into_owned())),
            value: Cow::Owned(self.value.into_owned()),
            stable: false,
        }
    }

    pub fn name(&self) -> String {
        let mut name = String::new();
        self.write_name(&mut name);
        name
    }

    /// Appends the name to `out`. Joined by hand: `format!` costs several times more, once for
    /// every value that matches.
    pub fn write_name(&self, out: &mut String) {
        out.push_str(self.variable);
        if let Some(key) = &self.key {
            out.push(':');
            // Checked as UTF-8 first: cheaper than the lossy conversion for the usual valid key.
            match std::str::from_utf8(key) {
                Ok(key) => out.push_str(key),
                Err(_) => out.push_str(&String::from_utf8_lossy(key)),
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variable {
    RemoteAddr,
    RemoteHost,
    ServerAddr,
    ServerPort,
    ServerName,
    RequestUriRaw,
    RequestFilename,
    RequestBasename,
    RequestCookies,
    RequestCookiesNames,
    ArgsCombinedSize,
    MatchedVars,
    MatchedVarsNames,
    RemotePort,
    RequestMethod,
    RequestUri,
    RequestLine,
    RequestProtocol,
    QueryString,
    RequestHeaders,
    RequestHeadersNames,
    Args,
    ArgsGet,
    ArgsNames,
    ArgsGetNames,
    ArgsPost,
    ArgsPostNames,
    RequestBody,
    RequestBodyLength,
    ReqbodyProcessor,
    ReqbodyError,
    ReqbodyErrorMsg,
    Xml,
    Files,
    FilesNames,
    FilesSizes,
    FilesCombinedSize,
    FilesTmpNames,
    FilesTmpContent,
    MultipartPartHeaders,
    MultipartName,
    MultipartFilename,
    MultipartBoundaryQuoted,
    MultipartBoundaryWhitespace,
    MultipartDataBefore,
    MultipartDataAfter,
    MultipartHeaderFolding,
    MultipartLfLine,
    MultipartMissingSemicolon,
    MultipartInvalidQuoting,
    MultipartInvalidPart,
    MultipartInvalidHeaderFolding,
    MultipartFileLimitExceeded,
    MultipartCrlfLfLines,
    MultipartUnmatchedBoundary,
    MultipartStrictError,
    SslClientVerify,
    SslClientFingerprint,
    SslClientSDn,
    SslClientIDn,
    SslClientSerial,
    SslClientSan,
    Tx,
    Ip,
    Global,
    Session,
    User,
    Resource,
    UniqueId,
    MatchedVar,
    MatchedVarName,
    Rule,
    Duration,
    Geo,
    ResponseStatus,
    ResponseProtocol,
    ResponseHeaders,
    ResponseHeadersNames,
    ResponseContentType,
    ResponseContentLength,
    ResponseBody,
}

const NAMES: &[(&str, Variable)] = &[
    ("REMOTE_ADDR", Variable::RemoteAddr),
    ("REMOTE_HOST", Variable::RemoteHost),
    ("SERVER_ADDR", Variable::ServerAddr),
    ("SERVER_PORT", Variable::ServerPort),
    ("SERVER_NAME", Variable::ServerName),
    ("REQUEST_URI_RAW", Variable::RequestUriRaw),
    ("REQUEST_FILENAME", Variable::RequestFilename),
    ("REQUEST_BASENAME", Variable::RequestBasename),
    ("REQUEST_COOKIES", Variable::RequestCookies),
    ("REQUEST_COOKIES_NAMES", Variable::RequestCookiesNames),
    ("ARGS_COMBINED_SIZE", Variable::ArgsCombinedSize),
    ("MATCHED_VARS", Variable::MatchedVars),
    ("MATCHED_VARS_NAMES", Variable::MatchedVarsNames),
    ("REMOTE_PORT", Variable::RemotePort),
    ("REQUEST_METHOD", Variable::RequestMethod),
    ("REQUEST_URI", Variable::RequestUri),
    ("REQUEST_LINE", Variable::RequestLine),
    ("REQUEST_PROTOCOL", Variable::RequestProtocol),
    ("QUERY_STRING", Variable::QueryString),
    ("REQUEST_HEADERS", Variable::RequestHeaders),
    ("REQUEST_HEADERS_NAMES", Variable::RequestHeadersNames),
    ("ARGS", Variable::Args),
    ("ARGS_GET", Variable::ArgsGet),
    ("ARGS_NAMES", Variable::ArgsNames),
    ("ARGS_GET_NAMES", Variable::ArgsGetNames),
    ("ARGS_POST", Variable::ArgsPost),
    ("ARGS_POST_NAMES", Variable::ArgsPostNames),
    ("REQUEST_BODY", Variable::RequestBody),
    ("REQUEST_BODY_LENGTH", Variable::RequestBodyLength),
    ("REQBODY_PROCESSOR", Variable::ReqbodyProcessor),
    ("REQBODY_ERROR", Variable::ReqbodyError),
    ("REQBODY_PROCESSOR_ERROR", Variable::ReqbodyError),
    ("REQBODY_ERROR_MSG", Variable::ReqbodyErrorMsg),
    ("XML", Variable::Xml),
    ("FILES", Variable::Files),
    ("FILES_NAMES", Variable::FilesNames),
    ("FILES_SIZES", Variable::FilesSizes),
    ("FILES_COMBINED_SIZE", Variable::FilesCombinedSize),
    ("FILES_TMPNAMES", Variable::FilesTmpNames),
    ("FILES_TMP_CONTENT", Variable::FilesTmpContent),
    ("MULTIPART_PART_HEADERS", Variable::MultipartPartHeaders),
    ("MULTIPART_NAME", Variable::MultipartName),
    ("MULTIPART_FILENAME", Variable::MultipartFilename),
    (
        "MULTIPART_BOUNDARY_QUOTED",
        Variable::MultipartBoundaryQuoted,
    ),
    (
        "MULTIPART_BOUNDARY_WHITESPACE",
        Variable::MultipartBoundaryWhitespace,
    ),
    ("MULTIPART_DATA_BEFORE", Variable::MultipartDataBefore),
    ("MULTIPART_DATA_AFTER", Variable::MultipartDataAfter),
    ("MULTIPART_HEADER_FOLDING", Variable::MultipartHeaderFolding),
    ("MULTIPART_LF_LINE", Variable::MultipartLfLine),
    (
        "MULTIPART_MISSING_SEMICOLON",
        Variable::MultipartMissingSemicolon,
    ),
    (
        "MULTIPART_INVALID_QUOTING",
        Variable::MultipartInvalidQuoting,
    ),
    ("MULTIPART_INVALID_PART", Variable::MultipartInvalidPart),
    (
        "MULTIPART_INVALID_HEADER_FOLDING",
        Variable::MultipartInvalidHeaderFolding,
    ),
    (
        "MULTIPART_FILE_LIMIT_EXCEEDED",
        Variable::MultipartFileLimitExceeded,
    ),
    ("MULTIPART_CRLF_LF_LINES", Variable::MultipartCrlfLfLines),
    (
        "MULTIPART_UNMATCHED_BOUNDARY",
        Variable::MultipartUnmatchedBoundary,
    ),
    ("MULTIPART_STRICT_ERROR", Variable::MultipartStrictError),
    ("SSL_CLIENT_VERIFY", Variable::SslClientVerify),
    ("SSL_CLIENT_FINGERPRINT", Variable::SslClientFingerprint),
    ("SSL_CLIENT_S_DN", Variable::SslClientSDn),
    ("SSL_CLIENT_I_DN", Variable::SslClientIDn),
    ("SSL_CLIENT_SERIAL", Variable::SslClientSerial),
    ("SSL_CLIENT_SAN", Variable::SslClientSan),
    ("TX", Variable::Tx),
    ("IP", Variable::Ip),
    ("GLOBAL", Variable::Global),
    ("SESSION", Variable::Session),
    ("USER", Variable::User),
    ("RESOURCE", Variable::Resource),
    ("UNIQUE_ID", Variable::UniqueId),
    ("MATCHED_VAR", Variable::MatchedVar),
    ("MATCHED_VAR_NAME", Variable::MatchedVarName),
    ("RULE", Variable::Rule),
    ("DURATION", Variable::Duration),
    ("GEO", Variable::Geo),
    ("RESPONSE_STATUS", Variable::ResponseStatus),
    ("RESPONSE_PROTOCOL", Variable::ResponseProtocol),
    ("RESPONSE_HEADERS", Variable::ResponseHeaders),
    ("RESPONSE_HEADERS_NAMES", Variable::ResponseHeadersNames),
    ("RESPONSE_CONTENT_TYPE", Variable::ResponseContentType),
    ("RESPONSE_CONTENT_LENGTH", Variable::ResponseContentLength),
    ("RESPONSE_BODY", Variable::ResponseBody),
];

impl Variable {
    pub fn from_name(name: &str) -> Result<Variable, String> {
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
            .ok_or_else(|| format!("unknown or unsupported variable \"{name}\""))
    }

    pub fn name(&self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, v)| v == self)
            .map(|(n, _)| *n)
            .expect("every variable is named")
    }

    /// Collections hold key/value pairs and take `:key` selectors; the rest are single values.
    fn is_collection(&self) -> bool {
        matches!(
            self,
            Variable::RequestHeaders
                | Variable::RequestHeadersNames
                | Variable::Args
                | Variable::ArgsGet
                | Variable::ArgsNames
                | Variable::ArgsGetNames
                | Variable::ArgsPost
                | Variable::ArgsPostNames
                | Variable::RequestCookies
                | Variable::RequestCookiesNames
                | Variable::MatchedVars
                | Variable::MatchedVarsNames
                | Variable::Xml
                | Variable::Files
                | Variable::FilesNames
                | Variable::FilesSizes
                | Variable::FilesTmpNames
                | Variable::FilesTmpContent
                | Variable::MultipartPartHeaders
                | Variable::MultipartName
                | Variable::MultipartFilename
                | Variable::SslClientSan
                | Variable::Tx
                | Variable::Ip
                | Variable::Global
                | Variable::Session
                | Variable::User
                | Variable::Resource
                | Variable::Rule
                | Variable::Geo
                | Variable::ResponseHeaders
                | Variable::ResponseHeadersNames
        )
    }

    /// Read from the request (line, headers, body and what is parsed from them, the client
    /// certificate): nothing a rule does changes these during a phase, unlike TX, the persistent
    /// collections, MATCHED_*, RULE and DURATION.
    fn is_request_data(&self) -> bool {
        !matches!(
            self,
            Variable::Tx
                | Variable::Ip
                | Variable::Global
                | Variable::Session
                | Variable::User
                | Variable::Resource
                | Variable::MatchedVar
                | Variable::MatchedVarName
                | Variable::MatchedVars
                | Variable::MatchedVarsNames
                | Variable::Duration
                | Variable::Geo
                | Variable::Rule
                | Variable::ResponseStatus
                | Variable::ResponseProtocol
                | Variable::ResponseHeaders
                | Variable::ResponseHeadersNames
                | Variable::ResponseContentType
                | Variable::ResponseContentLength
                | Variable::ResponseBody
        )
    }

    /// Every (key, value) of the variable; single-valued variables have an empty key.
    fn each<'a>(&self, ctx: &EvalContext<'a>, f: &mut Visit<'a, '_>) {
        match self {
            Variable::RemoteAddr
            | Variable::RemoteHost
            | Variable::ServerAddr
            | Variable::ServerPort
            | Variable::ServerName
            | Variable::RequestUriRaw
            | Variable::RequestFilename
            | Variable::RequestBasename
            | Variable::RemotePort
            | Variable::RequestMethod
            | Variable::RequestUri
            | Variable::RequestLine
            | Variable::RequestProtocol
            | Variable::QueryString
            | Variable::UniqueId => request_line::each(*self, ctx, f),
            Variable::RequestHeaders => headers::each(ctx, f),
            Variable::RequestHeadersNames => headers::each_name(ctx, f),
            Variable::Args => args::each(ctx, args::Source::All, f),
            Variable::ArgsGet => args::each(ctx, args::Source::Query, f),
            Variable::ArgsPost => args::each(ctx, args::Source::Body, f),
            Variable::ArgsNames => args::each_name(ctx, args::Source::All, f),
            Variable::ArgsGetNames => args::each_name(ctx, args::Source::Query, f),
            Variable::ArgsPostNames => args::each_name(ctx, args::Source::Body, f),
            Variable::RequestBody
            | Variable::RequestBodyLength
            | Variable::ReqbodyProcessor
            | Variable::ReqbodyError
            | Variable::ReqbodyErrorMsg
            | Variable::Xml => request_body::each(*self, ctx, f),
            Variable::Files
            | Variable::FilesNames
            | Variable::FilesSizes
            | Variable::FilesCombinedSize
            | Variable::FilesTmpNames
            | Variable::FilesTmpContent => files::each(*self, ctx, f),
            Variable::MultipartPartHeaders
            | Variable::MultipartName
            | Variable::MultipartFilename
            | Variable::MultipartBoundaryQuoted
            | Variable::MultipartBoundaryWhitespace
            | Variable::MultipartDataBefore
            | Variable::MultipartDataAfter
            | Variable::MultipartHeaderFolding
            | Variable::MultipartLfLine
            | Variable::MultipartMissingSemicolon
            | Variable::MultipartInvalidQuoting
            | Variable::MultipartInvalidPart
            | Variable::MultipartInvalidHeaderFolding
            | Variable::MultipartFileLimitExceeded
            | Variable::MultipartCrlfLfLines
            | Variable::MultipartUnmatchedBoundary
            | Variable::MultipartStrictError => multipart::each(*self, ctx, f),
            Variable::RequestCookies => cookies::each(ctx, f),
            Variable::RequestCookiesNames => cookies::each_name(ctx, f),
            Variable::ArgsCombinedSize => args::combined_size(ctx, f),
            Variable::SslClientVerify
            | Variable::SslClientFingerprint
            | Variable::SslClientSDn
            | Variable::SslClientIDn
            | Variable::SslClientSerial
            | Variable::SslClientSan => ssl_client::each(*self, ctx, f),
            Variable::Tx
            | Variable::Ip
            | Variable::Global
            | Variable::Session
            | Variable::User
            | Variable::Resource
            | Variable::MatchedVar
            | Variable::MatchedVarName
            | Variable::MatchedVars
            | Variable::MatchedVarsNames
            | Variable::Duration
            | Variable::Geo => transaction::each(*self, ctx, f),
            Variable::Rule => rule::each(ctx, f),
            Variable::ResponseStatus
            | Variable::ResponseProtocol
            | Variable::ResponseHeaders
            | Variable::ResponseHeadersNames
            | Variable::ResponseContentType
            | Variable::ResponseContentLength
            | Variable::ResponseBody => response::each(*self, ctx, f),
        }
    }
}

/// How a target picks members of a collection.
#[derive(Clone, Debug)]
pub enum Selector {
    /// `:name`, compared case-insensitively; kept in lower case (TX's names are) as text, so TX
    /// is looked up without checking the name is UTF-8 each time.
    Key(String),
    /// `:/regex/`, with what a key must begin with when the regex is anchored (most are).
    Regex(Rx, Option<LineStart>),
}

impl Selector {
    fn parse(key: &str) -> Result<Selector, String> {
        let key = key.trim_matches('\'');
        if key.len() >= 2 && key.starts_with('/') && key.ends_with('/') {
            // libmodsecurity matches key regexes case-insensitively, as keys are.
            let pattern = &key[1..key.len() - 1];
            return Ok(Selector::Regex(
                Rx::compile(&format!("(?i){pattern}"))?,
                line_start_literals(pattern),
            ));
        }
        Ok(Selector::Key(key.to_ascii_lowercase()))
    }

    fn selects(&self, key: &[u8]) -> bool {
        match self {
            Selector::Key(wanted) => key.eq_ignore_ascii_case(wanted.as_bytes()),
            Selector::Regex(rx, start) => {
                let answer = start.as_ref().and_then(|start| start.matches(key));
                answer.unwrap_or_else(|| rx.matches(&Subject::new(key), None))
            }
        }
    }
}

/// One compiled item of a rule's variable list.
#[derive(Clone, Debug)]
pub struct Target {
    pub variable: Variable,
    pub selector: Option<Selector>,
    /// `&VAR`: the number of values instead of the values.
    pub count: bool,
    /// `!VAR:key` items of the same list, applied to this target.
    pub exclusions: Vec<Selector>,
    /// The target as text (`&ARGS:id|!ARGS:x` items, names canonical): targets of equal
    /// identity yield equal values, which lets work on them be shared across rules.
    pub identity: Arc<str>,
    /// The identity's number among those of the targets of its phase, given when the rule set
    /// is complete (see `Ruleset::compile`): work shared by identity is kept in a list, not a map.
    pub slot: u32,
}

/// The slot of a target not (yet) numbered: work on it is not shared.
pub const UNNUMBERED: u32 = u32::MAX;

/// Parses a rule's variable list (`REQUEST_HEADERS:user|!ARGS:id|&ARGS`).
pub fn parse_targets(list: &str) -> Result<Vec<Target>, String> {
    let (mut targets, exclusions) = parse_items(list)?;
    for exclusion in exclusions {
        let variable = exclusion.0;
        if !exclude(&mut targets, exclusion) {
            return Err(format!(
                "exclusion of {} without {} in \"{list}\"",
                variable.name(),
                variable.name()
            ));
        }
    }
    Ok(targets)
}

/// Applies `SecRuleUpdateTarget*`'s list to a rule's targets: items are added, `!` items
/// become exclusions of the rule's targets of that variable.
pub fn update_targets(targets: &mut Vec<Target>, list: &str) -> Result<(), String> {
    let (added, exclusions) = parse_items(list)?;
    targets.extend(added);
    for exclusion in exclusions {
        // A rule without that variable has nothing to exclude: not an error (CRS exclusions
        // name many rules at once).
        exclude(targets, exclusion);
    }
    Ok(())
}

/// Adds the exclusion to every whole-collection target of `variable`; false if there is none.
fn exclude(targets: &mut [Target], (variable, selector, key): Exclusion) -> bool {
    let mut found = false;
    for target in targets
        .iter_mut()
        .filter(|t| t.variable == variable && t.selector.is_none())
    {
        target.exclusions.push(selector.clone());
        target.identity = format!("{}|!{}:{key}", target.identity, variable.name()).into();
        found = true;
    }
    found
}

/// `!VAR:key`: the variable and the key it excludes, compiled and as written.
type Exclusion = (Variable, Selector, String);

/// Splits a variable list into targets and `!` exclusions.
fn parse_items(list: &str) -> Result<(Vec<Target>, Vec<Exclusion>), String> {
    let mut targets: Vec<Target> = Vec::new();
    let mut exclusions: Vec<Exclusion> = Vec::new();
    for item in list.split('|').map(str::trim) {
        if item.is_empty() {
            return Err(format!("empty variable in \"{list}\""));
        }
        let (exclude, count, rest) = match item.as_bytes()[0] {
            b'!' => (true, false, &item[1..]),
            b'&' => (false, true, &item[1..]),
            _ => (false, false, item),
        };
        let (name, key) = match rest.split_once(':') {
            Some((name, key)) => (name, Some(key)),
            None => (rest, None),
        };
        let variable = Variable::from_name(name)?;
        if key.is_some() && !variable.is_collection() {
            return Err(format!(
                "variable \"{name}\" is not a collection and takes no \":key\""
            ));
        }
        if variable == Variable::Xml
            && !matches!(
                key,
                Some(crate::engine::body::xml::TEXT | crate::engine::body::xml::ATTRIBUTES)
            )
        {
            return Err(format!(
                "\"{item}\": XML takes the XPath /* or //@* (no other XPath is supported)"
            ));
        }
        let selector = key.map(Selector::parse).transpose()?;
        if exclude {
            let selector =
                selector.ok_or_else(|| format!("\"{item}\": an exclusion needs a key"))?;
            exclusions.push((variable, selector, key.unwrap_or_default().to_string()));
        } else {
            let identity = format!(
                "{}{}{}{}",
                if count { "&" } else { "" },
                variable.name(),
                if key.is_some() { ":" } else { "" },
                key.unwrap_or_default()
            );
            targets.push(Target {
                variable,
                selector,
                count,
                exclusions: Vec::new(),
                slot: UNNUMBERED,
                identity: identity.into(),
            });
        }
    }
    Ok((targets, exclusions))
}

impl Target {
    /// Whether the values come from the request alone, and so stay the same through a phase.
    pub fn is_request_data(&self) -> bool {
        self.variable.is_request_data()
    }

    /// The values this target yields for the request.
    pub fn values<'a>(&self, ctx: &EvalContext<'a>, out: &mut Vec<Value<'a>>) {
        // `TX:name` is most of what CRS reads (paranoia levels, scores): a map lookup, not a walk
        // through every TX variable.
        if let (Variable::Tx, Some(Selector::Key(key))) = (self.variable, &self.selector) {
            let state: &'a super::TransactionState = ctx.state;
            let found = state.tx.get_key_value(key.as_str());
            if self.count {
                out.push(Value {
                    variable: "TX",
                    key: None,
                    value: Cow::Borrowed(if found.is_some() { b"1" } else { b"0" }),
                    stable: false,
                });
            } else if let Some((name, value)) = found {
                out.push(Value {
                    variable: "TX",
                    key: Some(Cow::Borrowed(name.as_bytes())),
                    value: Cow::Borrowed(value),
                    stable: false,
                });
            }
            return;
        }
        let base = self.variable.name();
        let collection = self.variable.is_collection();
        let request_data = self.variable.is_request_data();
        let first = out.len();
        let mut count = 0usize;
        self.variable.each(ctx, &mut |key, value| {
            if let Some(selector) = &self.selector {
                if !selector.selects(&key) {
                    return;
                }
            }
            if self.exclusions.iter().any(|e| e.selects(&key)) {
                return;
            }
            count += 1;
            if !self.count {
                out.push(Value {
                    variable: base,
                    key: collection.then_some(key),
                    stable: request_data && matches!(value, Cow::Borrowed(_)),
                    value,
                });
            }
        });
        if self.count {
            out.push(Value {
                variable: base,
                key: None,
                value: Cow::Owned(count.to_string().into_bytes()),
                stable: false,
            });
        } else if self.variable == Variable::Tx {
            // TX is a hash map; its values come in name order, as they did from the B-tree it
            // was (which match is the last, and so logged, must not depend on hashing).
            out[first..].sort_unstable_by(|a, b| a.key.cmp(&b.key));
        }
    }
}

/// Looks up `NAME` or `COLLECTION.key` for macro expansion (`%{REQUEST_HEADERS.host}`): the first
/// value, if any. `key` is in lower case (keys are compared case-insensitively).
pub fn lookup<'a>(
    ctx: &EvalContext<'a>,
    variable: Variable,
    key: Option<&str>,
) -> Option<Cow<'a, [u8]>> {
    // CRS expands `%{tx.something}` at almost every match: TX keeps its names lower-case, so a
    // map lookup usually answers without a walk through all of TX.
    if let (Variable::Tx, Some(key)) = (variable, key) {
        let state: &'a super::TransactionState = ctx.state;
        if let Some(value) = state.tx.get(key) {
            return Some(Cow::Borrowed(value));
        }
    }
    let mut found = None;
    variable.each(ctx, &mut |k, v| {
        if found.is_none() && key.is_none_or(|key| k.eq_ignore_ascii_case(key.as_bytes())) {
            found = Some(v);
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::{parse_targets, update_targets};

    /// Equal identities must mean equal values (work on a target's values is shared by identity
    /// across rules): every part that changes the values is in the text.
    #[test]
    fn a_target_is_known_by_everything_that_selects_its_values() {
        let identities = |targets: &[super::Target]| -> Vec<String> {
            targets.iter().map(|t| t.identity.to_string()).collect()
        };
        let mut targets =
            parse_targets("request_cookies|!REQUEST_COOKIES:/__utm/|&ARGS|ARGS:id").unwrap();
        assert_eq!(
            identities(&targets),
            [
                "REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/",
                "&ARGS",
                "ARGS:id"
            ]
        );
        // The exclusion changes what `&ARGS` counts, so it is part of that target too.
        update_targets(&mut targets, "!ARGS:password|XML:/*").unwrap();
        assert_eq!(
            identities(&targets),
            [
                "REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/",
                "&ARGS|!ARGS:password",
                "ARGS:id",
                "XML:/*"
            ]
        );
        let mut whole = parse_targets("ARGS").unwrap();
        update_targets(&mut whole, "!ARGS:password").unwrap();
        assert_eq!(identities(&whole), ["ARGS|!ARGS:password"]);
    }
}
