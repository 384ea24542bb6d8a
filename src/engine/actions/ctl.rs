//! `ctl:`: changes to the running transaction a rule makes when it matches: remove rules (by
//! id, ranges included, or tag), remove targets from rules, switch the engine or body access.

use crate::engine::variables::Variable;

/// Which rules a `ctl` removal applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSelector {
    /// `1-999`, `920100`, or a list of both.
    Ids(Vec<(u64, u64)>),
    Tag(String),
}

/// A target removed from rules: a variable and, optionally, one key of it (lower case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetSpec {
    pub variable: Variable,
    pub key: Option<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ctl {
    RemoveRules(RuleSelector),
    RemoveTarget(RuleSelector, TargetSpec),
    RuleEngine(crate::compile::EngineMode),
    RequestBodyAccess(bool),
    /// `forceRequestBodyVariable`: REQUEST_BODY is filled for XML bodies too.
    ForceRequestBodyVariable,
    /// `auditEngine=On|Off|RelevantOnly`: whether this transaction gets an audit record.
    AuditEngine(crate::audit::config::AuditEngine),
    /// `auditLogParts=ABC`, `=+E`, `=-B`: which parts this transaction's record has.
    AuditLogParts(crate::audit::config::PartsChange),
    /// `requestBodyProcessor=URLENCODED|JSON`: how the body becomes ARGS_POST, whatever its type.
    BodyProcessor(crate::engine::body::Processor),
}

impl Ctl {
    pub fn parse(text: &str) -> Result<Ctl, String> {
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| format!("ctl:{text}: expected name=value"))?;
        let value = value.trim();
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "ruleremovebyid" => Ctl::RemoveRules(RuleSelector::Ids(id_ranges(value)?)),
            "ruleremovebytag" => Ctl::RemoveRules(RuleSelector::Tag(value.to_string())),
            "ruleremovetargetbyid" => {
                let (ids, target) = split_target(value)?;
                Ctl::RemoveTarget(RuleSelector::Ids(id_ranges(ids)?), target)
            }
            "ruleremovetargetbytag" => {
                let (tag, target) = split_target(value)?;
                Ctl::RemoveTarget(RuleSelector::Tag(tag.to_string()), target)
            }
            "ruleengine" => Ctl::RuleEngine(match value.to_ascii_lowercase().as_str() {
                "on" => crate::compile::EngineMode::On,
                "off" => crate::compile::EngineMode::Off,
                "detectiononly" => crate::compile::EngineMode::DetectionOnly,
                _ => return Err(format!("ctl:ruleEngine={value}: expected On, Off or DetectionOnly")),
            }),
            "requestbodyaccess" => Ctl::RequestBodyAccess(match value.to_ascii_lowercase().as_str() {
                "on" => true,
                "off" => false,
                _ => return Err(format!("ctl:requestBodyAccess={value}: expected On or Off")),
            }),
            "forcerequestbodyvariable" if value.eq_ignore_ascii_case("on") => Ctl::ForceRequestBodyVariable,
            "auditengine" => Ctl::AuditEngine(
                crate::audit::config::AuditEngine::parse(value)
                    .map_err(|e| format!("ctl:auditEngine={value}: {e}"))?,
            ),
            "auditlogparts" => Ctl::AuditLogParts(
                crate::audit::config::PartsChange::parse(value)
                    .map_err(|e| format!("ctl:auditLogParts={value}: {e}"))?,
            ),
            "requestbodyprocessor" => Ctl::BodyProcessor(match value.to_ascii_uppercase().as_str() {
                "URLENCODED" => crate::engine::body::Processor::Urlencoded,
                "JSON" => crate::engine::body::Processor::Json,
                "XML" => crate::engine::body::Processor::Xml,
                "MULTIPART" => crate::engine::body::Processor::Multipart,
                _ => return Err(format!("ctl:requestBodyProcessor={value} is not supported (URLENCODED, JSON, XML, MULTIPART)")),
            }),
            _ => return Err(format!("ctl:{name} is not supported yet")),
        })
    }
}

impl RuleSelector {
    pub fn selects(&self, id: u64, tags: &[String]) -> bool {
        match self {
            RuleSelector::Ids(ranges) => {
                ranges.iter().any(|&(low, high)| (low..=high).contains(&id))
            }
            RuleSelector::Tag(tag) => tags.iter().any(|t| t == tag),
        }
    }
}

impl TargetSpec {
    /// Whether a value named `name` (`ARGS:id`, `REQUEST_URI`) is this target.
    pub fn selects(&self, name: &str) -> bool {
        match name.split_once(':') {
            Some((variable, key)) => self.selects_value(variable, Some(key.as_bytes())),
            None => self.selects_value(name, None),
        }
    }

    /// The same for a value given as variable and key, without spelling out its name (CRS's
    /// 941010 removes REQUEST_FILENAME from the XSS rules on most requests: this runs for every
    /// value those rules see).
    pub fn selects_value(&self, variable: &str, key: Option<&[u8]>) -> bool {
        variable.eq_ignore_ascii_case(self.variable.name())
            && match (&self.key, key) {
                (None, _) => true,
                (Some(wanted), Some(key)) => key.eq_ignore_ascii_case(wanted),
                (Some(_), None) => false,
            }
    }
}

/// `1-999`, `920100`, `1,5,10-20`.
fn id_ranges(value: &str) -> Result<Vec<(u64, u64)>, String> {
    value
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|item| {
            let bad = || format!("\"{item}\" is not a rule id or id range");
            match item.split_once('-') {
                Some((low, high)) => Ok((
                    low.trim().parse().map_err(|_| bad())?,
                    high.trim().parse().map_err(|_| bad())?,
                )),
                None => {
                    let id = item.trim().parse().map_err(|_| bad())?;
                    Ok((id, id))
                }
            }
        })
        .collect()
}

/// `920100;ARGS:password` -> ("920100", ARGS, "password").
fn split_target(value: &str) -> Result<(&str, TargetSpec), String> {
    let (rules, target) = value
        .split_once(';')
        .ok_or_else(|| format!("\"{value}\": expected RULES;VARIABLE[:key]"))?;
    let (name, key) = match target.split_once(':') {
        Some((name, key)) => (name, Some(key.as_bytes().to_ascii_lowercase())),
        None => (target, None),
    };
    Ok((
        rules,
        TargetSpec {
            variable: Variable::from_name(name)?,
            key,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctl_forms() {
        assert_eq!(
            Ctl::parse("ruleRemoveById=1-999999").unwrap(),
            Ctl::RemoveRules(RuleSelector::Ids(vec![(1, 999_999)]))
        );
        assert_eq!(
            Ctl::parse("ruleRemoveTargetById=942100;ARGS:Password").unwrap(),
            Ctl::RemoveTarget(
                RuleSelector::Ids(vec![(942_100, 942_100)]),
                TargetSpec {
                    variable: Variable::Args,
                    key: Some(b"password".to_vec())
                }
            )
        );
        use crate::audit::config::{AuditEngine, Parts, PartsChange};
        assert_eq!(
            Ctl::parse("auditEngine=Off").unwrap(),
            Ctl::AuditEngine(AuditEngine::Off)
        );
        assert_eq!(
            Ctl::parse("auditEngine=RelevantOnly").unwrap(),
            Ctl::AuditEngine(AuditEngine::RelevantOnly)
        );
        assert!(Ctl::parse("auditEngine=Sometimes").is_err());
        assert_eq!(
            Ctl::parse("auditLogParts=+E").unwrap(),
            Ctl::AuditLogParts(PartsChange::Add(Parts::parse("E").unwrap()))
        );
        assert!(Ctl::parse("auditLogParts=+X").is_err());
        assert!(Ctl::parse("ruleRemoveById=abc").is_err());
        assert!(RuleSelector::Ids(vec![(10, 20)]).selects(15, &[]));
        assert!(RuleSelector::Tag("attack-sqli".into()).selects(1, &["attack-sqli".to_string()]));
    }
}
