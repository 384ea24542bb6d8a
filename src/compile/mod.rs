//! SecLang directives -> immutable [`Ruleset`]: operators, regexes and macros compiled, chains
//! assembled and rules sorted into their phases, all at configuration time. A `Ruleset` is
//! `Send + Sync` and shared through `Arc` by every nginx context that uses the same rule sources.
#![forbid(unsafe_code)]

mod exclusions;
mod rule;
mod settings;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

pub use rule::{DefaultAction, Entry, Rule, RuleLink};

use crate::engine::byte_set::ByteSet;
use crate::engine::PhaseScreen;
use crate::seclang::{self, Directive};

/// Where rules come from, in the order nginx's configuration gives them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuleSource {
    /// A rules file (`secrules_file`, `modsecurity_rules_file`), an absolute path.
    File(PathBuf),
    /// SecLang text written in nginx.conf (`secrule`, `modsecurity_rules`), with the
    /// configuration file and line it was written at, for error messages and log lines.
    Inline {
        text: String,
        origin: String,
        line: usize,
    },
}

/// A configuration error a person can act on: where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// `SecRuleEngine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineMode {
    On,
    Off,
    DetectionOnly,
}

/// `SecRequestBodyLimitAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyLimitAction {
    /// Answer 413.
    Reject,
    /// Inspect the first `SecRequestBodyLimit` bytes only.
    ProcessPartial,
}

/// How the request body is inspected (`SecRequestBody*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestBodySettings {
    /// `SecRequestBodyAccess On|Off` (default Off, as ModSecurity).
    pub access: bool,
    /// `SecRequestBodyLimit` in bytes (default 13107200, as ModSecurity).
    pub limit: usize,
    /// `SecRequestBodyLimitAction` (default Reject).
    pub limit_action: BodyLimitAction,
    /// `SecRequestBodyNoFilesLimit`: the limit for the body less uploaded files (default
    /// 1048576, as ModSecurity); without a multipart processor that is the whole body.
    pub no_files_limit: usize,
    /// `SecRequestBodyJsonDepthLimit` (default 10000, as libmodsecurity).
    pub json_depth_limit: usize,
}

impl Default for RequestBodySettings {
    fn default() -> Self {
        RequestBodySettings {
            access: false,
            limit: 13_107_200,
            limit_action: BodyLimitAction::Reject,
            no_files_limit: 1_048_576,
            json_depth_limit: 10_000,
        }
    }
}

/// How the response body is inspected (`SecResponseBody*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseBodySettings {
    /// `SecResponseBodyAccess` (default Off).
    pub access: bool,
    /// `SecResponseBodyLimit` in bytes (default 524288, as ModSecurity).
    pub limit: usize,
    /// `SecResponseBodyLimitAction` (default Reject).
    pub limit_action: BodyLimitAction,
    /// `SecResponseBodyMimeType`, lower case (default text/plain and text/html).
    pub mime_types: Vec<String>,
    mime_types_set: bool,
}

impl Default for ResponseBodySettings {
    fn default() -> Self {
        ResponseBodySettings {
            access: false,
            limit: 524_288,
            limit_action: BodyLimitAction::Reject,
            mime_types: vec!["text/plain".into(), "text/html".into()],
            mime_types_set: false,
        }
    }
}

/// How arguments are read: `SecArgumentSeparator`, `SecArgumentsLimit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgumentSettings {
    /// Separates arguments in query strings and urlencoded bodies (default `&`).
    pub separator: u8,
    /// At most this many arguments per source are read (default 1000, as ModSecurity).
    pub limit: usize,
}

impl Default for ArgumentSettings {
    fn default() -> Self {
        ArgumentSettings {
            separator: b'&',
            limit: 1000,
        }
    }
}

/// Compiled rules, by phase (index 0 is phase 1).
#[derive(Debug)]
pub struct Ruleset {
    mode: Option<EngineMode>,
    request_body: RequestBodySettings,
    response_body: ResponseBodySettings,
    arguments: ArgumentSettings,
    /// `SecCollectionTimeout` in seconds (default 3600).
    collection_timeout: u64,
    collections: std::sync::Arc<crate::engine::collections::Store>,
    /// `SecUnicodeMapFile`
    unicode_map: Option<std::sync::Arc<crate::engine::transformations::UnicodeMap>>,
    /// Shared with a parent context's rule set until this one changes a phase.
    phases: [std::sync::Arc<Vec<Entry>>; 5],
    /// Each phase's rules as ruling them out by bytes reads them (shared along with the phase).
    screens: [std::sync::Arc<PhaseScreen>; 5],
    /// `SecAudit*` and where records go (the writer shared with a parent context's rule set
    /// that writes to the same place).
    audit: crate::audit::config::AuditSettings,
    audit_writer: std::sync::Arc<crate::audit::writer::AuditWriter>,
    /// Rules (a chain counting once) per phase as the files define them, before
    /// `SecRuleRemove*` took any out: what libmodsecurity reports as loaded.
    loaded_per_phase: [usize; 5],
    /// What a child context's rule set continues from (see [`Ruleset::extend`]): the rule ids in
    /// use, each phase's `SecDefaultAction`, and the exclusion directives.
    /// Layers: the parent's (shared), then this set's own.
    ids: Vec<std::sync::Arc<HashSet<u64>>>,
    defaults: [Option<DefaultAction>; 5],
    exclusions: Vec<std::sync::Arc<[Directive]>>,
}

impl Ruleset {
    /// Parses and compiles `sources` in order.
    pub fn load(sources: &[RuleSource]) -> Result<Ruleset, ConfigError> {
        Ruleset::compile(seclang::load(sources)?, None)
    }

    /// The rule set of `self`'s sources followed by `more`, as [`Ruleset::load`] would compile
    /// it, sharing `self`'s compiled rules: a location that adds a line to the server's CRS
    /// costs that line, not another CRS. A rule the new directives change is copied.
    pub fn extend(&self, more: &[RuleSource]) -> Result<Ruleset, ConfigError> {
        Ruleset::compile(seclang::load(more)?, Some(self))
    }

    fn compile(
        directives: Vec<Directive>,
        parent: Option<&Ruleset>,
    ) -> Result<Ruleset, ConfigError> {
        let mut ruleset = match parent {
            Some(parent) => Ruleset {
                mode: parent.mode,
                request_body: parent.request_body,
                response_body: parent.response_body.clone(),
                arguments: parent.arguments,
                collection_timeout: parent.collection_timeout,
                collections: Default::default(),
                unicode_map: parent.unicode_map.clone(),
                phases: parent.phases.clone(),
                screens: parent.screens.clone(),
                audit: parent.audit.clone(),
                audit_writer: parent.audit_writer.clone(),
                loaded_per_phase: parent.loaded_per_phase,
                ids: parent.ids.clone(),
                defaults: parent.defaults.clone(),
                exclusions: parent.exclusions.clone(),
            },
            None => Ruleset {
                mode: None,
                request_body: RequestBodySettings::default(),
                response_body: ResponseBodySettings::default(),
                arguments: ArgumentSettings::default(),
                collection_timeout: 3600,
                collections: Default::default(),
                unicode_map: None,
                phases: Default::default(),
                screens: Default::default(),
                audit: Default::default(),
                audit_writer: Default::default(),
                loaded_per_phase: [0; 5],
                ids: Vec::new(),
                defaults: Default::default(),
                exclusions: Vec::new(),
            },
        };
        let first_new_entry: [usize; 5] = std::array::from_fn(|i| ruleset.phases[i].len());
        // libmodsecurity applies SecRuleRemove*/SecRuleUpdateTarget* to every rule, defined
        // before or after them, so they wait until all rules are in.
        let mut exclusion_directives = Vec::new();
        let mut ids = HashSet::new();
        let mut defaults = std::mem::take(&mut ruleset.defaults);
        // A rule ending in `chain` waits here for its next link.
        let mut open_chain: Option<Rule> = None;
        for directive in directives {
            let span = directive.span.clone();
            let error = |reason: String| span.error(reason);
            match directive.name.to_ascii_lowercase().as_str() {
                "secdefaultaction" => {
                    let [actions] = directive.args.as_slice() else {
                        return Err(error(
                            "SecDefaultAction takes one argument: \"actions\"".into(),
                        ));
                    };
                    let (phase, default) = DefaultAction::parse(actions).map_err(error)?;
                    defaults[phase as usize - 1] = Some(default);
                }
                "secmarker" => {
                    let [name] = directive.args.as_slice() else {
                        return Err(error("SecMarker takes one name".into()));
                    };
                    let name: std::sync::Arc<str> =
                        std::sync::Arc::from(name.trim_matches('\'').trim());
                    // skipAfter works within a phase, so every phase gets the marker.
                    for phase in ruleset.phases.iter_mut() {
                        std::sync::Arc::make_mut(phase).push(Entry::Marker(name.clone()));
                    }
                }
                "secrule" | "secaction" => {
                    let link = RuleLink::from_directive(&directive).map_err(error)?;
                    let rule = match open_chain.take() {
                        Some(mut head) => {
                            head.push_link(link, &defaults).map_err(error)?;
                            head
                        }
                        None => {
                            let rule = Rule::start(link, &span, &defaults).map_err(error)?;
                            if ruleset.ids.iter().any(|layer| layer.contains(&rule.id))
                                || !ids.insert(rule.id)
                            {
                                return Err(error(format!("rule id {} is already used", rule.id)));
                            }
                            rule
                        }
                    };
                    if rule.expects_link() {
                        open_chain = Some(rule);
                    } else {
                        ruleset.loaded_per_phase[rule.phase as usize - 1] += 1;
                        std::sync::Arc::make_mut(&mut ruleset.phases[rule.phase as usize - 1])
                            .push(Entry::Rule(std::sync::Arc::new(rule)));
                    }
                }
                _ if exclusions::is_exclusion(&directive) => exclusion_directives.push(directive),
                _ => {
                    let handled = settings::apply(&mut ruleset, &directive).map_err(error)?;
                    if !handled {
                        return Err(error(format!(
                            "unknown or unsupported directive \"{}\"",
                            directive.name
                        )));
                    }
                }
            }
        }
        if let Some(rule) = open_chain {
            return Err(ConfigError {
                file: rule.file.to_string(),
                line: rule.line,
                reason: format!("rule {} ends with \"chain\" but no rule follows", rule.id),
            });
        }
        let inherited: Vec<std::sync::Arc<[Directive]>> = ruleset.exclusions.clone();
        for directive in inherited.iter().flat_map(|layer| layer.iter()) {
            exclusions::apply(&mut ruleset, directive, &defaults, first_new_entry)
                .map_err(|reason| directive.span.error(reason))?;
        }
        for directive in &exclusion_directives {
            exclusions::apply(&mut ruleset, directive, &defaults, [0; 5])
                .map_err(|reason| directive.span.error(reason))?;
        }
        if !ids.is_empty() {
            ruleset.ids.push(std::sync::Arc::new(ids));
        }
        if !exclusion_directives.is_empty() {
            ruleset.exclusions.push(exclusion_directives.into());
        }
        ruleset.defaults = defaults;
        if let (Err(reason), Some(span)) = (ruleset.audit.check(), &ruleset.audit.engine_span) {
            return Err(span.error(reason));
        }
        // A child that sets its own SecAudit* writes through its own writer.
        if let Some(parent) = parent {
            if format!("{:?}", ruleset.audit) != format!("{:?}", parent.audit) {
                ruleset.audit_writer = Default::default();
            }
        }
        ruleset.collections = std::sync::Arc::new(crate::engine::collections::Store::new(
            std::time::Duration::from_secs(ruleset.collection_timeout),
        ));
        for entries in ruleset.phases.iter_mut() {
            let resolved: Vec<Option<usize>> = (0..entries.len())
                .map(|index| match &entries[index] {
                    Entry::Rule(rule) => rule.continuation(index, entries),
                    Entry::Marker(_) => None,
                })
                .collect();
            let unchanged = entries
                .iter()
                .zip(&resolved)
                .all(|(entry, at)| match entry {
                    Entry::Rule(rule) => rule.continue_at == *at,
                    Entry::Marker(_) => true,
                });
            if unchanged {
                continue;
            }
            for (entry, continue_at) in std::sync::Arc::make_mut(entries).iter_mut().zip(resolved) {
                if let Entry::Rule(rule) = entry {
                    if rule.continue_at != continue_at {
                        std::sync::Arc::make_mut(rule).continue_at = continue_at;
                    }
                }
            }
        }
        // Targets are final only now (SecRuleUpdateTargetById): each phase numbers its distinct
        // target identities, in the order they first appear.
        for entries in ruleset.phases.iter_mut() {
            let slots = target_slots(entries);
            let numbered = |rule: &Rule| {
                let mut targets = rule.links.iter().flat_map(|link| &link.targets);
                targets.all(|target| slots.get(&target.identity) == Some(&target.slot))
            };
            if entries
                .iter()
                .all(|entry| !matches!(entry, Entry::Rule(rule) if !numbered(rule)))
            {
                continue;
            }
            for entry in std::sync::Arc::make_mut(entries).iter_mut() {
                if let Entry::Rule(rule) = entry {
                    if !numbered(rule) {
                        let links = &mut std::sync::Arc::make_mut(rule).links;
                        for target in links.iter_mut().flat_map(|link| &mut link.targets) {
                            target.slot = slots[&target.identity];
                        }
                    }
                }
            }
        }
        // Transformations are final only now (SecDefaultAction, SecRuleUpdateActionById). A
        // phase shared with a parent's rule set and unchanged keeps being shared.
        for entries in ruleset.phases.iter_mut() {
            let fresh: Vec<Option<Vec<Option<ByteSet>>>> = entries
                .iter()
                .map(|entry| match entry {
                    Entry::Rule(rule) => {
                        let computed: Vec<_> = rule
                            .links
                            .iter()
                            .map(RuleLink::computed_prefilter)
                            .collect();
                        let stale = rule
                            .links
                            .iter()
                            .zip(&computed)
                            .any(|(l, p)| l.prefilter != *p);
                        stale.then_some(computed)
                    }
                    Entry::Marker(_) => None,
                })
                .collect();
            if fresh.iter().all(Option::is_none) {
                continue;
            }
            for (entry, fresh) in std::sync::Arc::make_mut(entries).iter_mut().zip(fresh) {
                if let (Entry::Rule(rule), Some(fresh)) = (entry, fresh) {
                    let links = &mut std::sync::Arc::make_mut(rule).links;
                    for (link, prefilter) in links.iter_mut().zip(fresh) {
                        link.prefilter = prefilter;
                    }
                }
            }
        }
        for (phase, entries) in ruleset.phases.iter().enumerate() {
            let shared = parent.is_some_and(|p| std::sync::Arc::ptr_eq(entries, &p.phases[phase]));
            if !shared {
                ruleset.screens[phase] = std::sync::Arc::new(PhaseScreen::of(entries));
            }
        }
        Ok(ruleset)
    }

    /// The audit log settings and writer.
    pub fn audit(
        &self,
    ) -> (
        &crate::audit::config::AuditSettings,
        &crate::audit::writer::AuditWriter,
    ) {
        (&self.audit, &self.audit_writer)
    }

    /// Opens the audit log file now (nginx does it as the master process, at load), so an
    /// unwritable path fails the configuration instead of every later write.
    pub fn open_audit_log(&self) -> Result<(), ConfigError> {
        fn at(span: &Option<crate::seclang::Span>, reason: String) -> ConfigError {
            match span {
                Some(span) => span.error(reason),
                None => ConfigError {
                    file: String::new(),
                    line: 0,
                    reason,
                },
            }
        }
        let audit = &self.audit;
        self.audit_writer
            .open(audit)
            .map_err(|reason| at(&audit.path_span, reason))?;
        self.audit_writer
            .open_second(audit)
            .map_err(|reason| at(&audit.path2_span, reason))
    }

    /// The engine mode; without `SecRuleEngine` rules run and block, as in libmodsecurity,
    /// which treats an unset engine as enabled.
    pub fn engine_mode(&self) -> EngineMode {
        self.mode.unwrap_or(EngineMode::On)
    }

    /// The persistent collections of this rule set (per nginx worker, until reload).
    pub fn collections(&self) -> &std::sync::Arc<crate::engine::collections::Store> {
        &self.collections
    }

    pub fn unicode_map(
        &self,
    ) -> Option<&std::sync::Arc<crate::engine::transformations::UnicodeMap>> {
        self.unicode_map.as_ref()
    }

    pub fn argument_settings(&self) -> ArgumentSettings {
        self.arguments
    }

    pub fn request_body_settings(&self) -> RequestBodySettings {
        self.request_body
    }

    pub fn response_body_settings(&self) -> &ResponseBodySettings {
        &self.response_body
    }

    /// Rules per phase, a chain counting once.
    pub fn rule_count_per_phase(&self) -> [usize; 5] {
        std::array::from_fn(|i| {
            self.phases[i]
                .iter()
                .filter(|e| matches!(e, Entry::Rule(_)))
                .count()
        })
    }

    /// Rules per phase as loaded, before `SecRuleRemove*` (libmodsecurity's count).
    pub fn loaded_rule_count_per_phase(&self) -> [usize; 5] {
        self.loaded_per_phase
    }

    /// `SecMarker`s per phase (each marker is in every phase, as in libmodsecurity).
    pub fn marker_count_per_phase(&self) -> [usize; 5] {
        std::array::from_fn(|i| {
            self.phases[i]
                .iter()
                .filter(|e| matches!(e, Entry::Marker(_)))
                .count()
        })
    }

    /// Rules with a pattern only the backtracking regex engine runs (PCRE2, bounded by its match
    /// limit): id, file and line of each, for the load-time notice.
    pub fn backtracking_rules(&self) -> Vec<(u64, &str, usize)> {
        let mut found = Vec::new();
        for entry in self.phases.iter().flat_map(|p| p.iter()) {
            if let Entry::Rule(rule) = entry {
                if rule
                    .links
                    .iter()
                    .any(|link| link.operator.is_backtracking())
                {
                    found.push((rule.id, &*rule.file, rule.line));
                }
            }
        }
        found
    }

    /// The phase's rules and markers, in order.
    pub fn entries(&self, phase: u8) -> &[Entry] {
        &self.phases[phase as usize - 1]
    }

    /// The phase's rules as ruling them out by bytes reads them, by entry index.
    pub fn screen(&self, phase: u8) -> &PhaseScreen {
        &self.screens[phase as usize - 1]
    }

    /// What each phase holds, spelled out (ids, where matches continue, actions, each link's
    /// targets, operator and transformations): equal for equal rule sets, however compiled.
    pub fn describe(&self) -> Vec<String> {
        self.phases
            .iter()
            .flat_map(|p| p.iter())
            .map(|entry| match entry {
                Entry::Marker(name) => format!("marker {name}"),
                Entry::Rule(rule) => {
                    let links: Vec<String> = rule
                        .links
                        .iter()
                        .map(|link| {
                            format!(
                                "{:?} {} {:?} {:?} setvars {}",
                                link.targets
                                    .iter()
                                    .map(|t| (t.variable, t.count, t.exclusions.len()))
                                    .collect::<Vec<_>>(),
                                link.parameter,
                                link.negated,
                                link.transformations,
                                link.setvars.len()
                            )
                        })
                        .collect();
                    format!(
                        "rule {} phase {} continue {:?} {:?} status {:?} log {} tags {:?} [{}]",
                        rule.id,
                        rule.phase,
                        rule.continue_at,
                        rule.disruptive,
                        rule.status,
                        rule.log,
                        rule.metadata.tags,
                        links.join(" | ")
                    )
                }
            })
            .collect()
    }
}

/// Each distinct target identity of a phase's rules, numbered in the order of first appearance.
fn target_slots(entries: &[Entry]) -> HashMap<std::sync::Arc<str>, u32> {
    let mut slots = HashMap::new();
    let rules = entries.iter().filter_map(|entry| match entry {
        Entry::Rule(rule) => Some(rule),
        Entry::Marker(_) => None,
    });
    for target in rules.flat_map(|rule| rule.links.iter().flat_map(|link| &link.targets)) {
        let next = slots.len() as u32;
        slots
            .entry(std::sync::Arc::clone(&target.identity))
            .or_insert(next);
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Ruleset, ConfigError> {
        Ruleset::load(&[RuleSource::Inline {
            text: text.to_string(),
            origin: "/etc/nginx/nginx.conf".into(),
            line: 10,
        }])
    }

    #[test]
    fn rules_are_sorted_into_phases_with_chains_counted_once() {
        let ruleset = load(
            "SecRuleEngine DetectionOnly\n\
             SecRule REMOTE_ADDR \"@ipMatch 10.0.0.0/8\" \"id:1,phase:1,deny\"\n\
             SecRule ARGS \"@rx x\" \"id:2,chain\"\n\
             SecRule REQUEST_METHOD \"@streq POST\" \"t:none\"\n\
             SecAction \"id:3,phase:5,pass,nolog\"\n",
        )
        .unwrap();
        assert_eq!(ruleset.engine_mode(), EngineMode::DetectionOnly);
        assert_eq!(ruleset.rule_count_per_phase(), [1, 1, 0, 0, 1]);
    }

    fn inline(text: &str, line: usize) -> RuleSource {
        RuleSource::Inline {
            text: text.to_string(),
            origin: "/etc/nginx/nginx.conf".into(),
            line,
        }
    }

    #[test]
    fn an_extended_rule_set_equals_one_compiled_whole_and_shares_the_parents_rules() {
        let parent_text = "SecDefaultAction \"phase:2,log,pass\"\n\
             SecRuleRemoveById 9003\n\
             SecRuleUpdateTargetById 2 \"!ARGS:token\"\n\
             SecRule ARGS \"@rx x\" \"id:1,phase:1,deny,tag:a\"\n\
             SecRule ARGS \"@rx y\" \"id:2,phase:2,block,skipAfter:END\"\n\
             SecRule ARGS \"@rx z\" \"id:3,phase:2,block,tag:remove-me\"\n\
             SecRule ARGS \"@rx u\" \"id:4,phase:2,pass\"\n\
             SecMarker END\n";
        let child_text = "SecRuleRemoveByTag remove-me\n\
             SecRuleUpdateTargetById 1 \"!ARGS:safe\"\n\
             SecDefaultAction \"phase:2,log,deny,status:406\"\n\
             SecRule ARGS \"@rx w\" \"id:9001,phase:2,block\"\n\
             SecRule REQUEST_URI \"@beginsWith /admin\" \"id:9002,phase:1,deny,skipAfter:END\"\n\
             SecRule ARGS \"@rx v\" \"id:9003,phase:2,deny\"\n\
             SecMarker END\n";
        let parent = Ruleset::load(&[inline(parent_text, 1)]).unwrap();
        let extended = parent.extend(&[inline(child_text, 20)]).unwrap();
        let whole = Ruleset::load(&[inline(parent_text, 1), inline(child_text, 20)]).unwrap();
        assert_eq!(extended.describe(), whole.describe());
        assert_eq!(
            extended.loaded_rule_count_per_phase(),
            whole.loaded_rule_count_per_phase()
        );
        // 9003 went (the parent's SecRuleRemoveById), so did 3 (the child's by tag).
        assert!(!whole.describe().iter().any(|d| d.starts_with("rule 9003 ")));
        assert!(!whole.describe().iter().any(|d| d.starts_with("rule 3 ")));
        // Rule 4 is the parent's own object; rule 1, which the child changed, is a copy (and so
        // is 2, whose skipAfter now lands on the child's END).
        let find = |set: &Ruleset, id: u64| {
            set.phases
                .iter()
                .flat_map(|p| p.iter())
                .find_map(|e| match e {
                    Entry::Rule(rule) if rule.id == id => Some(rule.clone()),
                    _ => None,
                })
                .unwrap()
        };
        assert!(std::sync::Arc::ptr_eq(
            &find(&parent, 4),
            &find(&extended, 4)
        ));
        assert!(!std::sync::Arc::ptr_eq(
            &find(&parent, 1),
            &find(&extended, 1)
        ));
        // A child that adds one phase-1 rule shares the parent's other phase lists.
        let small = parent
            .extend(&[inline(
                "SecRule ARGS \"@rx q\" \"id:9100,phase:1,deny\"",
                40,
            )])
            .unwrap();
        assert!(!std::sync::Arc::ptr_eq(&small.phases[0], &parent.phases[0]));
        assert!((1..5).all(|i| std::sync::Arc::ptr_eq(&small.phases[i], &parent.phases[i])));
        // The parent is untouched.
        assert_eq!(
            parent.describe(),
            Ruleset::load(&[inline(parent_text, 1)]).unwrap().describe()
        );
        // An id the parent uses is refused in the child, with the child's line.
        let error = parent
            .extend(&[inline("SecRule ARGS \"@rx q\" \"id:2,phase:2,deny\"", 30)])
            .unwrap_err();
        assert_eq!(
            (error.line, error.reason.contains("already used")),
            (30, true)
        );
    }

    #[test]
    fn errors_name_the_line_and_the_reason() {
        let cases: &[(&str, usize, &str)] = &[
            ("SecRule ARGS \"@nope x\" \"id:1\"", 10, "@nope"),
            ("\n\nSecRule NOPE \"@rx x\" \"id:1\"", 12, "NOPE"),
            ("SecRule ARGS \"@rx x\" \"id:1,frob\"", 10, "frob"),
            ("SecRule ARGS \"@rx (\" \"id:1\"", 10, "does not compile"),
            ("SecRule ARGS \"@rx x\" \"phase:1\"", 10, "id"),
            (
                "SecRule ARGS \"@rx x\" \"id:1\"\nSecRule ARGS \"@rx y\" \"id:1\"",
                11,
                "already used",
            ),
            ("SecRule ARGS \"@rx x\" \"id:1,chain\"", 10, "chain"),
            ("SecFoo On", 10, "SecFoo"),
            ("SecRule ARGS \"@rx x\" \"id:1,t:nothing\"", 10, "nothing"),
            (
                "SecRule REMOTE_ADDR:x \"@rx x\" \"id:1\"",
                10,
                "not a collection",
            ),
            (
                "SecRule ARGS \"@rx x\" \\\n   \"id:1,\\\n  msg:'unterminated\"",
                10,
                "quote",
            ),
            ("SecStatusEngine Maybe", 10, "On or Off"),
        ];
        for (text, line, reason) in cases {
            let error = load(text).expect_err(text);
            assert_eq!(error.file, "/etc/nginx/nginx.conf", "{text}");
            assert_eq!(error.line, *line, "{text}: {error}");
            assert!(error.reason.contains(reason), "{text}: {error}");
        }
        assert_eq!(cases.len(), 12);
        // What ingress-nginx's older modsecurity.conf says: accepted, as libmodsecurity does.
        for text in ["SecStatusEngine On", "SecStatusEngine Off"] {
            load(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }
}
