//! A compiled rule: one or more links (a chain), the actions of its first link, and where it was
//! written.

use std::sync::Arc;

use crate::engine::actions::{
    Ctl, Disruptive, ExpireVar, InitCol, RuleActions, RuleMetadata, SetVar,
};
use crate::engine::byte_set::ByteSet;
use crate::engine::operators::Operator;
use crate::engine::transformations::{preimage, Transformation};
use crate::engine::variables::{parse_targets, Target};
use crate::seclang::{Directive, Span};

/// What one `SecRule` line (or `SecAction`) checks, and the actions that belong to that line.
/// Cloning is cheap where it matters: the compiled operator is shared.
#[derive(Clone, Debug)]
pub struct RuleLink {
    pub targets: Vec<Target>,
    pub operator: Arc<Operator>,
    pub negated: bool,
    /// The operator's parameter as written, for log lines.
    pub parameter: Arc<str>,
    pub transformations: Vec<Transformation>,
    pub multi_match: bool,
    pub capture: bool,
    pub setvars: Vec<SetVar>,
    pub initcols: Vec<InitCol>,
    pub expirevars: Vec<ExpireVar>,
    pub ctls: Vec<Ctl>,
    /// The bytes a value must hold one of, before its transformations, for this link to match
    /// it; None when any value might. Set when the rule set is finished (transformations can
    /// change until then).
    pub prefilter: Option<ByteSet>,
    actions: RuleActions,
}

/// A rule with its chain.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: u64,
    pub phase: u8,
    pub links: Vec<RuleLink>,
    pub disruptive: Disruptive,
    pub status: Option<u16>,
    pub log: bool,
    /// `auditlog` / `noauditlog` as written; unset, the match is audited when it is logged.
    pub auditlog: Option<bool>,
    pub metadata: Arc<RuleMetadata>,
    /// `skipAfter`: the marker's name as written.
    pub skip_after: Option<String>,
    /// Where a match continues in the phase's list (resolved from `skipAfter` / `skip`).
    pub continue_at: Option<usize>,
    skip: Option<usize>,
    pub file: Arc<str>,
    pub line: usize,
}

/// `SecDefaultAction` for one phase: what `block` means there, and what rules of the phase
/// inherit when they don't say (`log`/`nolog`, `auditlog`/`noauditlog`, `status`,
/// transformations unless `t:none`): libmodsecurity runs a default's logging actions before the
/// rule's own, so the rule's win.
#[derive(Clone, Debug)]
pub struct DefaultAction {
    disruptive: Disruptive,
    status: Option<u16>,
    log: Option<bool>,
    auditlog: Option<bool>,
    transformations: Vec<Transformation>,
}

impl DefaultAction {
    pub fn parse(text: &str) -> Result<(u8, DefaultAction), String> {
        let actions = RuleActions::parse(text)?;
        let phase = actions.phase.ok_or("SecDefaultAction must name a phase")?;
        if actions.id.is_some()
            || actions.chain
            || actions.skip_after.is_some()
            || !actions.setvars.is_empty()
        {
            return Err("SecDefaultAction may not use id, chain, skipAfter or setvar".into());
        }
        let disruptive = actions
            .disruptive
            .ok_or("SecDefaultAction must name a disruptive action (pass, deny)")?;
        if disruptive == Disruptive::Block {
            return Err("SecDefaultAction cannot be block".into());
        }
        Ok((
            phase,
            DefaultAction {
                disruptive,
                status: actions.status,
                log: actions.log,
                auditlog: actions.auditlog,
                transformations: actions.transformations,
            },
        ))
    }
}

impl RuleLink {
    pub fn from_directive(directive: &Directive) -> Result<RuleLink, String> {
        let is_action = directive.name.eq_ignore_ascii_case("SecAction");
        let (targets, operator, negated, parameter, actions) = if is_action {
            let [actions] = directive.args.as_slice() else {
                return Err("SecAction takes one argument: \"actions\"".into());
            };
            (
                Vec::new(),
                Operator::UnconditionalMatch,
                false,
                Arc::from(""),
                actions.as_str(),
            )
        } else {
            let (variables, operator, actions) = match directive.args.as_slice() {
                [v, o] => (v, o, ""),
                [v, o, a] => (v, o, a.as_str()),
                _ => return Err("SecRule takes VARIABLES \"OPERATOR\" \"ACTIONS\"".into()),
            };
            let (negated, name, parameter) = split_operator(operator);
            // Name the rule in operator errors: a bad regex is easier to find by its rule id.
            let id = RuleActions::parse(actions).ok().and_then(|a| a.id);
            let base_dir = std::path::Path::new(&*directive.span.file)
                .parent()
                .unwrap_or(std::path::Path::new("/"));
            let compiled = Operator::compile(name, parameter, base_dir).map_err(|e| match id {
                Some(id) => format!("rule {id}: {e}"),
                None => e,
            })?;
            (
                parse_targets(variables)?,
                compiled,
                negated,
                Arc::from(parameter),
                actions,
            )
        };
        let mut actions = RuleActions::parse(actions)?;
        Ok(RuleLink {
            targets,
            operator: Arc::new(operator),
            negated,
            parameter,
            transformations: std::mem::take(&mut actions.transformations),
            multi_match: actions.multi_match,
            capture: actions.capture,
            setvars: std::mem::take(&mut actions.setvars),
            initcols: std::mem::take(&mut actions.initcols),
            expirevars: std::mem::take(&mut actions.expirevars),
            ctls: std::mem::take(&mut actions.ctls),
            prefilter: None,
            actions,
        })
    }
}

impl RuleLink {
    /// What [`RuleLink::prefilter`] should be: the operator's required bytes traced back through
    /// the transformations. A negated operator matches the values its operator does not, so it
    /// rules nothing out; with `multiMatch` every step's output is tested, and each step's needs
    /// include the later steps' (every preimage holds what it was asked for).
    pub fn computed_prefilter(&self) -> Option<ByteSet> {
        if self.negated {
            return None;
        }
        preimage::through_chain(&self.transformations, self.operator.required_bytes()?)
    }

    /// The phase's default transformations come first, unless the rule said `t:none`.
    fn inherit_transformations(&mut self, default: Option<&DefaultAction>) {
        if let Some(default) = default {
            if !self.actions.transformations_reset && !default.transformations.is_empty() {
                let own = std::mem::take(&mut self.transformations);
                self.transformations = default.transformations.iter().copied().chain(own).collect();
            }
        }
    }
}

/// One item of a phase's rule list.
/// Rules are shared between the rule sets of a parent context and its children (a location
/// that adds a few rules to the server's CRS); one that a child changes is copied first.
#[derive(Clone, Debug)]
pub enum Entry {
    Rule(Arc<Rule>),
    /// `SecMarker`: a place `skipAfter` jumps past.
    Marker(Arc<str>),
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
    /// A rule from its first link, which carries the rule's metadata and disruptive action;
    /// `defaults` are the `SecDefaultAction`s in force, by phase.
    pub fn start(
        mut link: RuleLink,
        span: &Span,
        defaults: &[Option<DefaultAction>; 5],
    ) -> Result<Rule, String> {
        let actions = &link.actions;
        let id = actions.id.ok_or("a rule must have an \"id\" action")?;
        let phase = actions.phase.unwrap_or(2);
        let default = defaults[phase as usize - 1].as_ref();
        let (disruptive, default_status) = match actions.disruptive {
            Some(Disruptive::Block) => {
                default.map_or((Disruptive::Pass, None), |d| (d.disruptive, d.status))
            }
            Some(disruptive) => (disruptive, None),
            None => (Disruptive::Pass, None),
        };
        let mut rule = Rule {
            id,
            phase,
            disruptive,
            status: actions.status.or(default_status),
            log: actions.log.or(default.and_then(|d| d.log)).unwrap_or(true),
            // The default's actions run before the rule's own: its `auditlog` saves the
            // message, which the rule's own `nolog` then unsaves (CRS's `nolog` rules stay out of
            // audit records, and cost no log entry per match). Its `noauditlog` always holds.
            auditlog: actions.auditlog.or(default
                .and_then(|d| d.auditlog)
                .filter(|&audit| !audit || actions.log.is_none())),
            metadata: Arc::new(actions.metadata.clone()),
            skip_after: actions.skip_after.clone(),
            continue_at: None,
            skip: actions.skip,
            file: span.file.clone(),
            line: span.line,
            links: Vec::new(),
        };
        link.inherit_transformations(default);
        rule.links.push(link);
        Ok(rule)
    }

    /// Appends the next link of a chain.
    pub fn push_link(
        &mut self,
        mut link: RuleLink,
        defaults: &[Option<DefaultAction>; 5],
    ) -> Result<(), String> {
        link.inherit_transformations(defaults[self.phase as usize - 1].as_ref());
        let actions = &link.actions;
        if actions.id.is_some()
            || actions.phase.is_some()
            || actions.disruptive.is_some()
            || actions.skip_after.is_some()
        {
            return Err(format!(
                "a chained rule (after rule {}) may not set id, phase, skipAfter or a disruptive action",
                self.id
            ));
        }
        self.links.push(link);
        Ok(())
    }

    /// Where a match of the rule at `index` of its phase's `entries` continues, from
    /// `skipAfter` (past the first marker of that name after the rule; none: the phase ends) or
    /// `skip` (past the next `count` rules; markers do not count).
    pub fn continuation(&self, index: usize, entries: &[Entry]) -> Option<usize> {
        if let Some(marker) = &self.skip_after {
            let found = entries[index + 1..]
                .iter()
                .position(|e| matches!(e, Entry::Marker(m) if **m == **marker));
            return Some(found.map_or(entries.len(), |offset| index + 1 + offset + 1));
        }
        let count = self.skip?;
        let mut seen = 0;
        let mut at = index + 1;
        while at < entries.len() && seen < count {
            if matches!(entries[at], Entry::Rule(_)) {
                seen += 1;
            }
            at += 1;
        }
        Some(at)
    }

    /// `SecRuleUpdateActionById`: the new disruptive action, status, metadata, `log`,
    /// `skipAfter` replace the rule's; tags, `setvar`, `ctl` and the other per-match actions are
    /// added; transformations are added, or replaced when the list has `t:none`.
    pub fn update_actions(
        &mut self,
        text: &str,
        defaults: &[Option<DefaultAction>; 5],
    ) -> Result<(), String> {
        let mut actions = RuleActions::parse(text)?;
        if actions.id.is_some_and(|id| id != self.id)
            || actions.phase.is_some_and(|p| p != self.phase)
            || actions.chain
        {
            return Err("SecRuleUpdateActionById cannot change a rule's id, phase or chain".into());
        }
        let default = defaults[self.phase as usize - 1].as_ref();
        match actions.disruptive {
            Some(Disruptive::Block) => {
                (self.disruptive, self.status) =
                    default.map_or((Disruptive::Pass, None), |d| (d.disruptive, d.status));
            }
            Some(disruptive) => self.disruptive = disruptive,
            None => {}
        }
        if actions.status.is_some() {
            self.status = actions.status;
        }
        if let Some(log) = actions.log {
            self.log = log;
        }
        if actions.auditlog.is_some() {
            self.auditlog = actions.auditlog;
        }
        if actions.skip_after.is_some() {
            self.skip_after = actions.skip_after.take();
        }
        let new = &actions.metadata;
        let metadata = Arc::make_mut(&mut self.metadata);
        if new.msg.is_some() {
            metadata.msg = new.msg.clone();
        }
        if new.logdata.is_some() {
            metadata.logdata = new.logdata.clone();
        }
        if new.severity.is_some() {
            metadata.severity = new.severity;
        }
        if !new.rev.is_empty() {
            metadata.rev = new.rev.clone();
        }
        if !new.ver.is_empty() {
            metadata.ver = new.ver.clone();
        }
        if new.maturity != 0 {
            metadata.maturity = new.maturity;
        }
        if new.accuracy != 0 {
            metadata.accuracy = new.accuracy;
        }
        metadata.tags.extend(new.tags.iter().cloned());
        let first = &mut self.links[0];
        if actions.transformations_reset {
            first.transformations = std::mem::take(&mut actions.transformations);
        } else {
            first.transformations.append(&mut actions.transformations);
        }
        first.multi_match |= actions.multi_match;
        first.capture |= actions.capture;
        first.setvars.append(&mut actions.setvars);
        first.initcols.append(&mut actions.initcols);
        first.expirevars.append(&mut actions.expirevars);
        first.ctls.append(&mut actions.ctls);
        Ok(())
    }

    /// Whether the last link ended with `chain`.
    pub fn expects_link(&self) -> bool {
        self.links.last().is_some_and(|l| l.actions.chain)
    }
}
