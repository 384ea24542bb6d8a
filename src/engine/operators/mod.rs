//! Operators (`@rx`, `@pm`, `@eq`, ...): compiled once from their parameter at load time, then
//! run per value. A parameter with macros (`@lt %{tx.limit}`) is expanded and compiled per
//! request instead. One file per operator.

mod begins_with;
mod contains;
mod detect_sqli;
mod detect_xss;
mod ends_with;
mod geo_lookup;
mod ip_match;
mod numeric;
mod pm;
mod rbl;
mod rx;
mod streq;
mod validate_byte_range;
mod validate_url_encoding;
mod validate_utf8_encoding;
mod within;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use numeric::Comparison;
pub use rx::Rx;

use super::byte_set::ByteSet;
use super::macros::Macro;
use super::regex::Subject;
use super::EvalContext;

/// Text as ModSecurity reads numbers (leading digits; anything else is 0).
pub fn numeric_value(text: &[u8]) -> i64 {
    numeric::parse_integer_bytes(text)
}

/// A compiled operator.
#[derive(Debug)]
pub enum Operator {
    Rx(Box<rx::Rx>),
    StrEq(Vec<u8>),
    Contains(Vec<u8>),
    BeginsWith(Vec<u8>),
    EndsWith(Vec<u8>),
    Within(Vec<u8>),
    Pm(pm::Phrases),
    PmFromFile(pm::Phrases),
    IpMatch(ip_match::IpSet),
    IpMatchFromFile(ip_match::IpSet),
    Numeric(Comparison, i64),
    ValidateByteRange(Box<validate_byte_range::ByteRanges>),
    ValidateUrlEncoding,
    ValidateUtf8Encoding,
    UnconditionalMatch,
    GeoLookup,
    Rbl(rbl::BlockList),
    DetectSqli,
    DetectXss,
    /// The parameter holds macros: expanded and compiled when the rule runs.
    Expanded(Box<Expanded>),
}

#[derive(Debug)]
pub struct Expanded {
    name: String,
    template: Macro,
    base_dir: PathBuf,
    log_name: &'static str,
}

impl Expanded {
    /// The operator of the expanded parameter; None when it does not compile, and then it
    /// matches nothing.
    fn compile(&self, ctx: &EvalContext) -> Option<Operator> {
        let param = String::from_utf8_lossy(&self.template.expand(ctx)).into_owned();
        Operator::compile_literal(&self.name, &param, &self.base_dir).ok()
    }
}

/// An operator ready to run on a link's values (see [`Operator::prepare`]).
pub enum Prepared<'o> {
    Compiled(&'o Operator),
    /// None: the expanded parameter does not compile.
    Expanded(Option<Operator>),
}

impl Prepared<'_> {
    /// None when nothing can match.
    pub fn operator(&self) -> Option<&Operator> {
        match self {
            Prepared::Compiled(operator) => Some(operator),
            Prepared::Expanded(operator) => operator.as_ref(),
        }
    }
}

impl Operator {
    /// Compiles operator `name` (without `@`) with `param`; data files (`@pmFromFile`,
    /// `@ipMatchFromFile`) are found relative to `base_dir`, the rule file's directory.
    pub fn compile(name: &str, param: &str, base_dir: &Path) -> Result<Operator, String> {
        let operator = Operator::compile_literal(name, param, base_dir)?;
        if param.contains("%{")
            && !matches!(
                operator,
                Operator::PmFromFile(_) | Operator::IpMatchFromFile(_)
            )
        {
            return Ok(Operator::Expanded(Box::new(Expanded {
                name: name.to_string(),
                template: Macro::parse(param)?,
                base_dir: base_dir.to_path_buf(),
                log_name: operator.log_name(),
            })));
        }
        Ok(operator)
    }

    fn compile_literal(name: &str, param: &str, base_dir: &Path) -> Result<Operator, String> {
        let bytes = param.as_bytes().to_vec();
        Ok(match name.to_ascii_lowercase().as_str() {
            "rx" => Operator::Rx(Box::new(rx::Rx::compile(param)?)),
            "streq" => Operator::StrEq(bytes),
            "contains" => Operator::Contains(bytes),
            "beginswith" => Operator::BeginsWith(bytes),
            "endswith" => Operator::EndsWith(bytes),
            "within" => Operator::Within(bytes),
            "pm" => Operator::Pm(pm::Phrases::from_parameter(param)?),
            "pmfromfile" | "pmf" => Operator::PmFromFile(pm::Phrases::from_files(param, base_dir)?),
            "ipmatch" => Operator::IpMatch(ip_match::IpSet::parse(param)?),
            "ipmatchfromfile" | "ipmatchf" => {
                Operator::IpMatchFromFile(ip_match::IpSet::from_files(param, base_dir)?)
            }
            "eq" | "ne" | "gt" | "ge" | "lt" | "le" => {
                let comparison = Comparison::from_name(name).expect("listed above");
                Operator::Numeric(comparison, numeric::parse_integer(param))
            }
            "validatebyterange" => Operator::ValidateByteRange(Box::new(
                validate_byte_range::ByteRanges::parse(param)?,
            )),
            "validateurlencoding" => Operator::ValidateUrlEncoding,
            "validateutf8encoding" => Operator::ValidateUtf8Encoding,
            "unconditionalmatch" => Operator::UnconditionalMatch,
            "geolookup" => Operator::GeoLookup,
            "detectsqli" => Operator::DetectSqli,
            "detectxss" => Operator::DetectXss,
            "rbl" => Operator::Rbl(rbl::BlockList::parse(param)?),
            _ => return Err(format!("unknown or unsupported operator \"@{name}\"")),
        })
    }

    /// The name libmodsecurity puts in log lines ("Operator `Rx' with parameter ...").
    pub fn log_name(&self) -> &'static str {
        match self {
            Operator::Rx(_) => "Rx",
            Operator::StrEq(_) => "StrEq",
            Operator::Contains(_) => "Contains",
            Operator::BeginsWith(_) => "BeginsWith",
            Operator::EndsWith(_) => "EndsWith",
            Operator::Within(_) => "Within",
            Operator::Pm(_) => "Pm",
            Operator::PmFromFile(_) => "PmFromFile",
            Operator::IpMatch(_) => "IpMatch",
            Operator::IpMatchFromFile(_) => "IpMatchFromFile",
            Operator::Numeric(c, _) => c.log_name(),
            Operator::ValidateByteRange(_) => "ValidateByteRange",
            Operator::ValidateUrlEncoding => "ValidateUrlEncoding",
            Operator::ValidateUtf8Encoding => "ValidateUtf8Encoding",
            Operator::UnconditionalMatch => "UnconditionalMatch",
            Operator::GeoLookup => "GeoLookup",
            Operator::DetectSqli => "DetectSQLi",
            Operator::DetectXss => "DetectXSS",
            Operator::Rbl(_) => "Rbl",
            Operator::Expanded(expanded) => expanded.log_name,
        }
    }

    /// Whether this operator runs a pattern on the backtracking regex engine.
    pub fn is_backtracking(&self) -> bool {
        matches!(self, Operator::Rx(rx) if rx.is_backtracking())
    }

    /// The operator as the transaction's state makes it now: itself, or for a parameter with
    /// macros, what its expansion compiles to.
    pub fn prepare(&self, ctx: &EvalContext) -> Prepared<'_> {
        match self {
            Operator::Expanded(expanded) => Prepared::Expanded(expanded.compile(ctx)),
            operator => Prepared::Compiled(operator),
        }
    }

    /// Whether `value` matches; with `captures`, a matching `@rx` fills it with its groups 0-9.
    /// The bytes every value this operator matches holds one of, when there are such bytes.
    pub fn required_bytes(&self) -> Option<ByteSet> {
        match self {
            Operator::Rx(rx) => rx.required_bytes(),
            Operator::Pm(phrases) | Operator::PmFromFile(phrases) => phrases.required_bytes(),
            Operator::Contains(literal)
            | Operator::StrEq(literal)
            | Operator::BeginsWith(literal)
            | Operator::EndsWith(literal) => ByteSet::rarest_of(literal, false),
            _ => None,
        }
    }

    pub fn matches(
        &self,
        value: &[u8],
        captures: Option<&mut Vec<Vec<u8>>>,
        ctx: &EvalContext,
    ) -> bool {
        self.matches_subject(&Subject::new(value), captures, ctx)
    }

    /// [`Operator::matches`] on a value whose byte set may already be known.
    pub fn matches_subject(
        &self,
        subject: &Subject,
        captures: Option<&mut Vec<Vec<u8>>>,
        ctx: &EvalContext,
    ) -> bool {
        let value = subject.bytes();
        match self {
            Operator::Rx(rx) => rx.matches(subject, captures),
            Operator::StrEq(expected) => streq::matches(value, expected),
            Operator::Contains(needle) => contains::matches(value, needle),
            Operator::BeginsWith(prefix) => begins_with::matches(value, prefix),
            Operator::EndsWith(suffix) => ends_with::matches(value, suffix),
            Operator::Within(list) => within::matches(value, list),
            Operator::Pm(phrases) | Operator::PmFromFile(phrases) => {
                phrases.matches(value, captures)
            }
            Operator::IpMatch(set) | Operator::IpMatchFromFile(set) => set.matches(value),
            Operator::Numeric(comparison, param) => {
                comparison.holds(numeric::parse_integer_bytes(value), *param)
            }
            Operator::ValidateByteRange(ranges) => ranges.finds_outside(value),
            Operator::ValidateUrlEncoding => validate_url_encoding::finds_invalid(value),
            Operator::ValidateUtf8Encoding => validate_utf8_encoding::finds_invalid(value),
            Operator::UnconditionalMatch => true,
            Operator::GeoLookup => geo_lookup::matches(value),
            Operator::DetectSqli => detect_sqli::matches(value, captures),
            Operator::DetectXss => detect_xss::matches(value),
            Operator::Rbl(list) => list.lists(value),
            Operator::Expanded(expanded) => expanded
                .compile(ctx)
                .is_some_and(|operator| operator.matches_subject(subject, captures, ctx)),
        }
    }

    /// Where in `value` (the value the operator matched) the match lies, as libmodsecurity's
    /// operators report it for the `[ref]` of log lines (`oOFFSET,LENGTH` each): every group of
    /// `@rx` that took part, the phrase of `@pm`, each byte outside `@validateByteRange`, the
    /// value's place in the list of `@within`. Operators that report nothing give nothing.
    pub fn match_offsets(&self, value: &[u8], ctx: &EvalContext) -> Vec<(usize, usize)> {
        let find = |haystack: &[u8], needle: &[u8]| {
            (0..=haystack.len().saturating_sub(needle.len()))
                .find(|&i| haystack[i..].starts_with(needle))
        };
        match self {
            Operator::Rx(rx) => rx.group_spans(value),
            Operator::Pm(phrases) | Operator::PmFromFile(phrases) => {
                phrases.span(value).into_iter().collect()
            }
            Operator::Contains(needle) => find(value, needle)
                .map(|at| (at, needle.len()))
                .into_iter()
                .collect(),
            Operator::BeginsWith(prefix) if value.starts_with(prefix) => vec![(0, prefix.len())],
            Operator::EndsWith(suffix) if value.ends_with(suffix) => {
                vec![(value.len() - suffix.len(), suffix.len())]
            }
            Operator::Within(list) if !value.is_empty() => find(list, value)
                .map(|at| (at, value.len()))
                .into_iter()
                .collect(),
            Operator::ValidateByteRange(ranges) => ranges
                .outside(value)
                .into_iter()
                .map(|at| (at, 1))
                .collect(),
            Operator::ValidateUrlEncoding => validate_url_encoding::first_invalid(value)
                .map(|at| (at, value.len()))
                .into_iter()
                .collect(),
            Operator::ValidateUtf8Encoding => std::str::from_utf8(value)
                .err()
                .map(|e| (e.valid_up_to(), value.len()))
                .into_iter()
                .collect(),
            Operator::Expanded(expanded) => {
                let param = String::from_utf8_lossy(&expanded.template.expand(ctx)).into_owned();
                Operator::compile_literal(&expanded.name, &param, &expanded.base_dir)
                    .map(|operator| operator.match_offsets(value, ctx))
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// The parameter a log line shows for this match (expanded, for operators with macros).
    pub fn shown_parameter(&self, written: &Arc<str>, ctx: &EvalContext) -> Arc<str> {
        match self {
            Operator::Expanded(expanded) => {
                String::from_utf8_lossy(&expanded.template.expand(ctx)).into()
            }
            _ => Arc::clone(written),
        }
    }

    /// Whether what the operator does depends on the transaction's state (macros in its
    /// parameter), so that a later look at a match must not redo it.
    pub fn depends_on_state(&self) -> bool {
        matches!(self, Operator::Expanded(_))
    }
}
