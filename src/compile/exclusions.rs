//! Load-time changes to rules: `SecRuleRemoveById|ByTag|ByMsg` and
//! `SecRuleUpdateTargetById|ByTag|ByMsg`. Like libmodsecurity, they act on every rule of the
//! rule set, whether defined before or after them; the compiler applies them once all rules are
//! in.

use super::{DefaultAction, Entry, Ruleset};
use crate::engine::actions::RuleSelector;
use crate::engine::variables::update_targets;
use crate::seclang::Directive;

/// Which rules a directive names.
enum Which {
    Rules(RuleSelector),
    Msg(String),
}

impl Which {
    fn selects(&self, rule: &super::Rule) -> bool {
        match self {
            Which::Rules(selector) => selector.selects(rule.id, &rule.metadata.tags),
            Which::Msg(msg) => rule
                .metadata
                .msg
                .as_ref()
                .is_some_and(|m| m.literal() == Some(msg.as_str())),
        }
    }
}

pub fn is_exclusion(directive: &Directive) -> bool {
    matches!(
        directive.name.to_ascii_lowercase().as_str(),
        "secruleremovebyid"
            | "secruleremovebytag"
            | "secruleremovebymsg"
            | "secruleupdatetargetbyid"
            | "secruleupdatetargetbytag"
            | "secruleupdatetargetbymsg"
            | "secruleupdateactionbyid"
    )
}

/// Handles the directive if it is one of the exclusion directives; Ok(false) if it is not.
/// Applies `directive` to the entries of each phase from index `from[phase]` on: a child
/// context's rule set applies its parent's exclusions only to the rules it adds (the parent's
/// own rules had them already) and its own to every rule.
pub fn apply(
    ruleset: &mut Ruleset,
    directive: &Directive,
    defaults: &[Option<DefaultAction>; 5],
    from: [usize; 5],
) -> Result<bool, String> {
    let name = directive.name.to_ascii_lowercase();
    let args = &directive.args;
    if name == "secruleupdateactionbyid" {
        let [id, actions] = args.as_slice() else {
            return Err("SecRuleUpdateActionById takes ID \"ACTIONS\"".into());
        };
        let id: u64 = id.trim().parse().map_err(|_| format!("SecRuleUpdateActionById: \"{id}\" is not a rule id (chain offsets are not supported)"))?;
        let mut found = false;
        for (entries, from) in ruleset.phases.iter_mut().zip(from) {
            let selected = |e: &Entry| matches!(e, Entry::Rule(rule) if rule.id == id);
            if !entries.iter().skip(from).any(selected) {
                continue;
            }
            // A phase list or rule a parent context's rule set shares is copied first.
            for entry in std::sync::Arc::make_mut(entries).iter_mut().skip(from) {
                if let Entry::Rule(rule) = entry {
                    if rule.id == id {
                        std::sync::Arc::make_mut(rule).update_actions(actions, defaults)?;
                        found = true;
                    }
                }
            }
        }
        // libmodsecurity accepts an update for a rule that does not exist (or was removed).
        let _ = found;
        return Ok(true);
    }
    let (which, targets) = match name.as_str() {
        "secruleremovebyid" => (Which::Rules(RuleSelector::Ids(id_list(args)?)), None),
        "secruleremovebytag" => (
            Which::Rules(RuleSelector::Tag(one(args, &directive.name)?)),
            None,
        ),
        "secruleremovebymsg" => (Which::Msg(one(args, &directive.name)?), None),
        "secruleupdatetargetbyid" | "secruleupdatetargetbytag" | "secruleupdatetargetbymsg" => {
            let [rules, targets] = args.as_slice() else {
                return Err(format!(
                    "{} takes RULES \"TARGETS\" (replacing a target is not supported)",
                    directive.name
                ));
            };
            let which = match name.as_str() {
                "secruleupdatetargetbyid" => {
                    Which::Rules(RuleSelector::Ids(id_list(std::slice::from_ref(rules))?))
                }
                "secruleupdatetargetbytag" => Which::Rules(RuleSelector::Tag(rules.clone())),
                _ => Which::Msg(rules.clone()),
            };
            (which, Some(targets.as_str()))
        }
        _ => return Ok(false),
    };
    for (entries, from) in ruleset.phases.iter_mut().zip(from) {
        if !entries
            .iter()
            .skip(from)
            .any(|e| matches!(e, Entry::Rule(rule) if which.selects(rule)))
        {
            continue;
        }
        let entries = std::sync::Arc::make_mut(entries);
        match targets {
            None => {
                let mut index = 0;
                entries.retain(|e| {
                    index += 1;
                    index <= from || !matches!(e, Entry::Rule(rule) if which.selects(rule))
                });
            }
            Some(list) => {
                for entry in entries.iter_mut().skip(from) {
                    if let Entry::Rule(rule) = entry {
                        if which.selects(rule) {
                            update_targets(
                                &mut std::sync::Arc::make_mut(rule).links[0].targets,
                                list,
                            )?;
                        }
                    }
                }
            }
        }
    }
    Ok(true)
}

fn one(args: &[String], directive: &str) -> Result<String, String> {
    match args {
        [value] => Ok(value.clone()),
        _ => Err(format!("{directive} takes one argument")),
    }
}

/// `1 2 10-20` (one argument or several).
fn id_list(args: &[String]) -> Result<Vec<(u64, u64)>, String> {
    let mut ranges = Vec::new();
    for item in args
        .iter()
        .flat_map(|a| a.split([' ', ',']))
        .filter(|s| !s.is_empty())
    {
        let bad = || format!("\"{item}\" is not a rule id or id range");
        let range = match item.split_once('-') {
            Some((low, high)) => (
                low.parse().map_err(|_| bad())?,
                high.parse().map_err(|_| bad())?,
            ),
            None => {
                let id = item.parse().map_err(|_| bad())?;
                (id, id)
            }
        };
        ranges.push(range);
    }
    if ranges.is_empty() {
        return Err("no rule id given".to_string());
    }
    Ok(ranges)
}
