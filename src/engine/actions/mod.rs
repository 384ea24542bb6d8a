//! Actions: what a rule does and says about itself. Parsed at load time into [`RuleActions`];
//! one file per family (metadata, disruptive, flow, logging, setvar).

mod ctl;
mod disruptive;
mod flow;
mod logging;
mod metadata;
mod setvar;

pub use ctl::{Ctl, RuleSelector, TargetSpec};
pub use disruptive::Disruptive;
pub use metadata::RuleMetadata;
pub use setvar::{store as store_setvar, ExpireVar, InitCol, SetVar};

use super::macros::Macro;
use super::transformations::Transformation;

/// Everything the action list of one rule (or chain link) says.
#[derive(Clone, Debug, Default)]
pub struct RuleActions {
    pub id: Option<u64>,
    pub phase: Option<u8>,
    pub disruptive: Option<Disruptive>,
    pub status: Option<u16>,
    pub log: Option<bool>,
    pub auditlog: Option<bool>,
    pub metadata: RuleMetadata,
    /// `t:` in order; `t:none` clears what came before it.
    pub transformations: Vec<Transformation>,
    /// `t:none` appeared: the phase's default transformations do not apply.
    pub transformations_reset: bool,
    pub chain: bool,
    /// `multiMatch`: the operator runs on the value before and after every transformation.
    pub multi_match: bool,
    /// `skipAfter:MARKER`
    pub skip_after: Option<String>,
    /// `skip:N`
    pub skip: Option<usize>,
    pub ctls: Vec<Ctl>,
    pub capture: bool,
    pub setvars: Vec<SetVar>,
    pub initcols: Vec<InitCol>,
    pub expirevars: Vec<ExpireVar>,
}

impl RuleActions {
    /// Parses `id:1,phase:1,deny,msg:'...'`.
    pub fn parse(list: &str) -> Result<RuleActions, String> {
        let mut actions = RuleActions::default();
        for (name, value) in crate::seclang::split_actions(list)? {
            actions.apply(&name, value)?;
        }
        Ok(actions)
    }

    fn apply(&mut self, name: &str, value: Option<String>) -> Result<(), String> {
        let value_of =
            |value: Option<String>| value.ok_or_else(|| format!("action \"{name}\" needs a value"));
        match name.to_ascii_lowercase().as_str() {
            "id" => self.id = Some(metadata::id(&value_of(value)?)?),
            "rev" => self.metadata.rev = value_of(value)?,
            "ver" => self.metadata.ver = value_of(value)?,
            "maturity" => self.metadata.maturity = metadata::small_number(name, &value_of(value)?)?,
            "accuracy" => self.metadata.accuracy = metadata::small_number(name, &value_of(value)?)?,
            "msg" => self.metadata.msg = Some(Macro::parse(&value_of(value)?)?),
            "logdata" => self.metadata.logdata = Some(Macro::parse(&value_of(value)?)?),
            "tag" => self.metadata.tags.push(value_of(value)?),
            "severity" => self.metadata.severity = Some(metadata::severity(&value_of(value)?)?),
            "deny" | "drop" | "pass" | "block" => {
                self.disruptive = Some(Disruptive::from_name(name))
            }
            "status" => self.status = Some(disruptive::status(&value_of(value)?)?),
            "phase" => self.phase = Some(flow::phase(&value_of(value)?)?),
            "chain" => self.chain = true,
            "multimatch" => self.multi_match = true,
            "skipafter" => self.skip_after = Some(value_of(value)?.trim().to_string()),
            "skip" => {
                let n = value_of(value)?;
                self.skip = Some(
                    n.trim()
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("\"skip:{n}\" needs a positive number"))?,
                );
            }
            "ctl" => self.ctls.push(Ctl::parse(&value_of(value)?)?),
            "capture" => self.capture = true,
            "log" | "nolog" => self.log = Some(logging::enabled(name)),
            "auditlog" | "noauditlog" => self.auditlog = Some(logging::enabled(name)),
            "t" => {
                let transformation = value_of(value)?;
                if transformation.eq_ignore_ascii_case("none") {
                    self.transformations.clear();
                    self.transformations_reset = true;
                } else {
                    self.transformations
                        .push(Transformation::from_name(&transformation)?);
                }
            }
            "setvar" => self.setvars.push(SetVar::parse(&value_of(value)?)?),
            "initcol" => self.initcols.push(InitCol::parse(&value_of(value)?)?),
            "expirevar" => self.expirevars.push(ExpireVar::parse(&value_of(value)?)?),
            _ => return Err(format!("unknown or unsupported action \"{name}\"")),
        }
        Ok(())
    }
}
