//! `deny`, `drop`, `pass`, `block` and `status`: what happens when a rule matches.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disruptive {
    /// Stop the transaction with the rule's status (403 unless `status` says otherwise).
    Deny,
    /// Stop the transaction and close the connection without an answer (nginx's 444).
    Drop,
    /// Go on with the next rule.
    Pass,
    /// Whatever the phase's default action says; without `SecDefaultAction` that is `pass`.
    Block,
}

impl Disruptive {
    pub fn from_name(name: &str) -> Disruptive {
        match name.to_ascii_lowercase().as_str() {
            "deny" => Disruptive::Deny,
            "drop" => Disruptive::Drop,
            "block" => Disruptive::Block,
            _ => Disruptive::Pass,
        }
    }
}

pub fn status(value: &str) -> Result<u16, String> {
    match value.trim().parse::<u16>() {
        Ok(code @ 100..=599) => Ok(code),
        _ => Err(format!("\"status:{value}\" is not an HTTP status code")),
    }
}
