//! A compiled rule: one or more links (a chain), the actions of its first link, and where it was
//! written.

use std::sync::Arc;

use crate::engine::actions::{Disruptive, RuleActions, RuleMetadata, SetVar};
use crate::engine::operators::Operator;
use crate::engine::transformations::Transformation;
use crate::engine::variables::{parse_targets, Target};
use crate::seclang::{Directive, Span};

/// What one `SecRule` line (or `SecAction`) checks, and the actions that belong to that line.
#[derive(Debug)]
pub struct RuleLink {
    pub targets: Vec<Target>,
    pub operator: Operator,
    pub negated: bool,
    /// The operator's parameter as written, for log lines.
    pub parameter: String,
    pub transformations: Vec<Transformation>,
    pub capture: bool,
    pub setvars: Vec<SetVar>,
    actions: RuleActions,
}

/// A rule with its chain.
#[derive(Debug)]
pub struct Rule {
    pub id: u64,
    pub phase: u8,
    pub links: Vec<RuleLink>,
    pub disruptive: Disruptive,
    pub status: Option<u16>,
    pub log: bool,
    pub metadata: RuleMetadata,
    pub file: Arc<str>,
    pub line: usize,
}

impl RuleLink {
    pub fn from_directive(directive: &Directive) -> Result<RuleLink, String> {
        let is_action = directive.name.eq_ignore_ascii_case("SecAction");
        let (targets, operator, negated, parameter, actions) = if is_action {
            let [actions] = directive.args.as_slice() else {
                return Err("SecAction takes one argument: \"actions\"".into());
            };
            (Vec::new(), Operator::UnconditionalMatch, false, String::new(), actions.as_str())
        } else {
            let (variables, operator, actions) = match directive.args.as_slice() {
                [v, o] => (v, o, ""),
                [v, o, a] => (v, o, a.as_str()),
                _ => return Err("SecRule takes VARIABLES \"OPERATOR\" \"ACTIONS\"".into()),
            };
            let (negated, name, parameter) = split_operator(operator);
            // Name the rule in operator errors: a bad regex is easier to find by its rule id.
            let id = RuleActions::parse(actions).ok().and_then(|a| a.id);
            let base_dir = std::path::Path::new(&*directive.span.file).parent().unwrap_or(std::path::Path::new("/"));
            let compiled = Operator::compile(name, parameter, base_dir).map_err(|e| match id {
                Some(id) => format!("rule {id}: {e}"),
                None => e,
            })?;
            (parse_targets(variables)?, compiled, negated, parameter.to_string(), actions)
        };
        let mut actions = RuleActions::parse(actions)?;
        Ok(RuleLink {
            targets,
            operator,
            negated,
            parameter,
            transformations: std::mem::take(&mut actions.transformations),
            capture: actions.capture,
            setvars: std::mem::take(&mut actions.setvars),
            actions,
        })
    }
}

/// `!@name param`, `@name param`, or a bare regex -> (negated, name, param).
fn split_operator(text: &str) -> (bool, &str, &str) {
    let text = text.trim_start();
    let (negated, text) = match text.strip_prefix('!') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    match text.strip_prefix('@') {
        Some(rest) => {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (negated, &rest[..end], rest[end..].trim_start())
        }
        None => (negated, "rx", text),
    }
}

impl Rule {
    /// A rule from its first link, which carries the rule's metadata and disruptive action.
    pub fn start(link: RuleLink, span: &Span) -> Result<Rule, String> {
        let actions = &link.actions;
        let id = actions.id.ok_or("a rule must have an \"id\" action")?;
        let rule = Rule {
            id,
            phase: actions.phase.unwrap_or(2),
            disruptive: actions.disruptive.unwrap_or(Disruptive::Pass),
            status: actions.status,
            log: actions.log.unwrap_or(true),
            metadata: actions.metadata.clone(),
            file: span.file.clone(),
            line: span.line,
            links: vec![link],
        };
        Ok(rule)
    }

    /// Appends the next link of a chain.
    pub fn push_link(&mut self, link: RuleLink) -> Result<(), String> {
        let actions = &link.actions;
        if actions.id.is_some() || actions.phase.is_some() || actions.disruptive.is_some() {
            return Err(format!(
                "a chained rule (after rule {}) may not set id, phase or a disruptive action",
                self.id
            ));
        }
        self.links.push(link);
        Ok(())
    }

    /// Whether the last link ended with `chain`.
    pub fn expects_link(&self) -> bool {
        self.links.last().is_some_and(|l| l.actions.chain)
    }
}
