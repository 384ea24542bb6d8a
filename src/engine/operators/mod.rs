//! Operators (`@rx`, `@streq`, ...): compiled once from their parameter at load time, then run
//! per value. One file per operator.

mod begins_with;
mod contains;
mod ends_with;
mod ip_match;
mod numeric;
mod rx;
mod streq;

pub use numeric::Comparison;

/// Text as ModSecurity reads numbers (leading digits; anything else is 0).
pub fn numeric_value(text: &[u8]) -> i64 {
    numeric::parse_integer_bytes(text)
}

/// A compiled operator.
#[derive(Debug)]
pub enum Operator {
    Rx(rx::Rx),
    StrEq(Vec<u8>),
    Contains(Vec<u8>),
    BeginsWith(Vec<u8>),
    EndsWith(Vec<u8>),
    IpMatch(ip_match::IpSet),
    Numeric(Comparison, i64),
    UnconditionalMatch,
}

impl Operator {
    /// Compiles operator `name` (without `@`) with `param`.
    pub fn compile(name: &str, param: &str) -> Result<Operator, String> {
        if param.contains("%{") && !name.eq_ignore_ascii_case("rx") {
            return Err(format!("macros in the argument of @{name} are not supported yet"));
        }
        let bytes = param.as_bytes().to_vec();
        Ok(match name.to_ascii_lowercase().as_str() {
            "rx" => Operator::Rx(rx::Rx::compile(param)?),
            "streq" => Operator::StrEq(bytes),
            "contains" => Operator::Contains(bytes),
            "beginswith" => Operator::BeginsWith(bytes),
            "endswith" => Operator::EndsWith(bytes),
            "ipmatch" => Operator::IpMatch(ip_match::IpSet::parse(param)?),
            "eq" | "ne" | "gt" | "ge" | "lt" | "le" => {
                let comparison = Comparison::from_name(name).expect("listed above");
                Operator::Numeric(comparison, numeric::parse_integer(param))
            }
            "unconditionalmatch" => Operator::UnconditionalMatch,
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
            Operator::IpMatch(_) => "IpMatch",
            Operator::Numeric(c, _) => c.log_name(),
            Operator::UnconditionalMatch => "UnconditionalMatch",
        }
    }

    /// Whether `value` matches; with `captures`, a matching `@rx` fills it with its groups 0-9.
    pub fn matches(&self, value: &[u8], captures: Option<&mut Vec<Vec<u8>>>) -> bool {
        match self {
            Operator::Rx(rx) => rx.matches(value, captures),
            Operator::StrEq(expected) => streq::matches(value, expected),
            Operator::Contains(needle) => contains::matches(value, needle),
            Operator::BeginsWith(prefix) => begins_with::matches(value, prefix),
            Operator::EndsWith(suffix) => ends_with::matches(value, suffix),
            Operator::IpMatch(set) => set.matches(value),
            Operator::Numeric(comparison, param) => comparison.holds(numeric::parse_integer_bytes(value), *param),
            Operator::UnconditionalMatch => true,
        }
    }
}
