//! `@eq`, `@ne`, `@gt`, `@ge`, `@lt`, `@le`: integer comparisons. As in ModSecurity, text that is
//! not a number counts as 0 (leading digits count: "12abc" is 12).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Comparison {
    pub fn from_name(name: &str) -> Option<Comparison> {
        Some(match name.to_ascii_lowercase().as_str() {
            "eq" => Comparison::Eq,
            "ne" => Comparison::Ne,
            "gt" => Comparison::Gt,
            "ge" => Comparison::Ge,
            "lt" => Comparison::Lt,
            "le" => Comparison::Le,
            _ => return None,
        })
    }

    pub fn log_name(&self) -> &'static str {
        match self {
            Comparison::Eq => "Eq",
            Comparison::Ne => "Ne",
            Comparison::Gt => "Gt",
            Comparison::Ge => "Ge",
            Comparison::Lt => "Lt",
            Comparison::Le => "Le",
        }
    }

    pub fn holds(&self, value: i64, param: i64) -> bool {
        match self {
            Comparison::Eq => value == param,
            Comparison::Ne => value != param,
            Comparison::Gt => value > param,
            Comparison::Ge => value >= param,
            Comparison::Lt => value < param,
            Comparison::Le => value <= param,
        }
    }
}

pub fn parse_integer(text: &str) -> i64 {
    parse_integer_bytes(text.as_bytes())
}

pub fn parse_integer_bytes(text: &[u8]) -> i64 {
    let text = text.trim_ascii();
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add((d - b'0') as i64);
    }
    if negative {
        -value
    } else {
        value
    }
}
