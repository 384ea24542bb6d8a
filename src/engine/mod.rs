//! The per-request side: a [`Transaction`] runs one phase's rules of a compiled
//! [`Ruleset`](crate::compile::Ruleset) against a [`RequestView`] and says whether to intervene.
#![forbid(unsafe_code)]

pub mod actions;
pub mod body;
pub mod byte_set;
pub mod collections;
pub mod macros;
mod matched_vars;
pub mod operators;
mod prefilter;
pub mod regex;
mod report;
mod request;
pub mod transformations;
pub mod variables;

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use prefilter::PhaseScreen;
pub use report::Report;
pub use request::RequestView;

use self::regex::Subject;
use crate::audit::error_log::{MatchedValue, RuleMatch};
use crate::audit::reference::Reference;
use crate::compile::{BodyLimitAction, EngineMode, Entry, Rule, RuleLink, Ruleset};
use actions::{store_setvar, Ctl, Disruptive, RuleSelector, TargetSpec};
pub use matched_vars::MatchedVars;
use variables::Value;

/// What the transaction tells nginx to do instead of going on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intervention {
    pub status: u16,
    pub rule_id: u64,
    pub phase: u8,
    /// `drop`: close the connection instead of answering.
    pub drop: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
}

/// A line for nginx's error log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogMessage {
    pub level: LogLevel,
    pub text: String,
}

/// Per-request state the rules read and write.
#[derive(Default)]
pub struct TransactionState {
    /// TX, keys in lower case. A hash map: CRS reads and writes TX by name hundreds of times
    /// per request, and a B-tree's string comparisons along shared prefixes
    /// (`inbound_anomaly_score_pl1`...) were most of that. foldhash, seeded at random: names can
    /// come from the request (`tx.header_name_920450_%{...}`), and std's SipHash cost more than
    /// the B-tree. Walks are sorted by name where the order shows (see `Target::values`).
    pub tx: HashMap<String, Vec<u8>, foldhash::fast::RandomState>,
    pub matched_var: Vec<u8>,
    pub matched_var_name: String,
    /// ARGS_GET, parsed on first use.
    pub query_args: OnceCell<Vec<(Vec<u8>, Vec<u8>)>>,
    /// REQUEST_COOKIES, parsed on first use.
    pub cookies: OnceCell<Vec<(Vec<u8>, Vec<u8>)>>,
    /// `SecArgumentSeparator` and `SecArgumentsLimit` of the ruleset.
    pub arguments: crate::compile::ArgumentSettings,
    /// MATCHED_VARS of the rule being evaluated: (name, value) of every match of the last link.
    pub matched_vars: MatchedVars,
    /// The rule set's persistent collections, and the keys this transaction opened them under.
    pub store: Option<Arc<collections::Store>>,
    pub opened: BTreeMap<collections::Collection, Vec<u8>>,
    /// The request body, once nginx read it for phase 2.
    pub request_body: Option<RequestBody>,
    /// The rule being evaluated (RULE:id, RULE:msg, ...): its phase and place in `rules`. A
    /// place, not a shared pointer to the rule: taking a reference count for each of the
    /// hundreds of rules a request meets cost more in nginx than the rest of their clean path.
    pub current_rule: Option<(u8, usize)>,
    /// The rule set being run.
    pub rules: Option<Arc<Ruleset>>,
    /// When the transaction began (DURATION).
    pub started: Option<std::time::Instant>,
    /// The upstream's response, once nginx has it (phases 3 and 4).
    pub response: Option<Response>,
    /// `ctl:requestBodyProcessor`, for REQBODY_PROCESSOR before the body is read.
    pub body_processor_override: Option<body::Processor>,
    /// `SecUnicodeMapFile`'s map, for `urlDecodeUni`.
    pub unicode_map: Option<Arc<transformations::UnicodeMap>>,
}

/// The response as phases 3 and 4 see it.
#[derive(Default)]
pub struct Response {
    pub status: u16,
    /// e.g. `HTTP/1.1`
    pub protocol: Vec<u8>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body, when response body inspection applies and phase 4 runs.
    pub body: Option<Vec<u8>>,
}

impl TransactionState {
    /// The rule being evaluated, if any.
    pub fn current_rule(&self) -> Option<&Rule> {
        let (phase, index) = self.current_rule?;
        match self.rules.as_ref()?.entries(phase).get(index)? {
            Entry::Rule(rule) => Some(rule),
            Entry::Marker(_) => None,
        }
    }

    /// A variable of TX or of an opened persistent collection.
    pub fn get(&self, collection: collections::Collection, name: &str) -> Option<Vec<u8>> {
        if collection == collections::Collection::Tx {
            return self.tx.get(name).cloned();
        }
        self.persistent(collection)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// A variable's value as a number (see [`operators::numeric_value`]).
    pub fn numeric(&self, collection: collections::Collection, name: &str) -> Option<i64> {
        if collection == collections::Collection::Tx {
            return self.tx.get(name).map(|v| operators::numeric_value(v));
        }
        self.get(collection, name)
            .map(|v| operators::numeric_value(&v))
    }

    /// Sets a variable to what `write` puts in the (emptied) buffer given; a TX variable that
    /// exists already is overwritten in place, without a new name or buffer.
    pub fn set_with(
        &mut self,
        collection: collections::Collection,
        name: &str,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        if collection == collections::Collection::Tx {
            if let Some(slot) = self.tx.get_mut(name) {
                write(slot);
                return;
            }
        }
        let mut value = Vec::new();
        write(&mut value);
        self.set(collection, name, Some(value));
    }

    /// Sets (Some) or deletes (None) a variable; writes to a collection not opened are dropped,
    /// as in ModSecurity.
    pub fn set(&mut self, collection: collections::Collection, name: &str, value: Option<Vec<u8>>) {
        if collection == collections::Collection::Tx {
            match value {
                Some(value) => self.tx.insert(name.to_string(), value),
                None => self.tx.remove(name),
            };
            return;
        }
        if let (Some(store), Some(key)) = (&self.store, self.opened.get(&collection)) {
            store.write(collection, key, name, value);
        }
    }

    /// The live variables of an opened persistent collection.
    pub fn persistent(&self, collection: collections::Collection) -> Vec<(String, Vec<u8>)> {
        match (&self.store, self.opened.get(&collection)) {
            (Some(store), Some(key)) => store.read(collection, key),
            _ => Vec::new(),
        }
    }
}

/// A request body handed to the transaction.
pub struct RequestBody {
    pub bytes: Vec<u8>,
    /// The processor that turns it into ARGS_POST, if any.
    pub processor: Option<body::Processor>,
    /// ARGS_POST: parsed on first use for urlencoded bodies, at once for JSON.
    pub args: OnceCell<Vec<(Vec<u8>, Vec<u8>)>>,
    /// REQBODY_ERROR_MSG: why the processor failed.
    pub error: Option<String>,
    /// The parsed document, for XML bodies.
    pub xml: Option<body::xml::XmlBody>,
    /// Files, part headers and flags of a multipart body (its fields are in `args`).
    pub multipart: Option<body::multipart::Multipart>,
    /// REQUEST_BODY is there: for every processor but XML, whose raw body CRS expects to be
    /// hidden unless `ctl:forceRequestBodyVariable=On`.
    pub raw_visible: bool,
}

/// What variables, operators and macros read: the request and the transaction's state.
pub struct EvalContext<'a> {
    pub request: &'a dyn RequestView,
    pub state: &'a TransactionState,
}

/// One request's run through a ruleset. Owns its state (no borrowed request data), so nginx can
/// keep it in the request's context between phases.
pub struct Transaction {
    ruleset: Arc<Ruleset>,
    state: TransactionState,
    log: Vec<LogMessage>,
    /// The request was denied; later phases run nothing.
    intervened: bool,
    /// What `ctl:` changed for this transaction.
    overrides: Overrides,
    /// Logged matches and the verdict, for audit records and nginx variables.
    report: Report,
    /// The list a link's values are collected into, kept between links: CRS reads every
    /// argument in most rules, and growing a list of 2,000 values anew per rule was 5% of a
    /// JSON POST's instructions.
    value_buffer: Vec<Value<'static>>,
    /// The MATCHED_VARS being written by the link running, with the buffers of an earlier one.
    matched_scratch: MatchedVars,
}

#[derive(Default)]
struct Overrides {
    mode: Option<EngineMode>,
    body_access: Option<bool>,
    body_processor: Option<body::Processor>,
    force_body_variable: bool,
    removed_rules: Vec<RuleSelector>,
    removed_targets: Vec<(RuleSelector, TargetSpec)>,
    audit_engine: Option<crate::audit::config::AuditEngine>,
    audit_parts: Vec<crate::audit::config::PartsChange>,
}

impl Transaction {
    pub fn new(ruleset: Arc<Ruleset>) -> Transaction {
        let state = TransactionState {
            arguments: ruleset.argument_settings(),
            store: Some(Arc::clone(ruleset.collections())),
            started: Some(std::time::Instant::now()),
            unicode_map: ruleset.unicode_map().cloned(),
            rules: Some(Arc::clone(&ruleset)),
            ..TransactionState::default()
        };
        Transaction {
            ruleset,
            state,
            log: Vec::new(),
            intervened: false,
            overrides: Overrides::default(),
            report: Report::default(),
            value_buffer: Vec::new(),
            matched_scratch: MatchedVars::default(),
        }
    }

    /// Runs phase `phase` (1..=5) against `request`. Returns the intervention if a rule denies;
    /// never in DetectionOnly, and with the engine Off no rule runs at all.
    pub fn run_phase(&mut self, phase: u8, request: &dyn RequestView) -> Option<Intervention> {
        // The logging phase runs even after a deny, as in ModSecurity; nothing else does.
        if self.mode() == EngineMode::Off
            || (self.intervened && phase != 5)
            || !(1..=5).contains(&phase)
        {
            return None;
        }
        let ruleset = Arc::clone(&self.ruleset);
        let entries = ruleset.entries(phase);
        let screen = ruleset.screen(phase);
        let mut chains = transformations::ChainCache::default();
        let mut target_bytes = prefilter::TargetBytes::default();
        let mut index = 0;
        while index < entries.len() {
            if target_bytes.screens_out(screen, index) {
                // As when the rule's first link is ruled out in `evaluate_link`.
                self.state.matched_vars.clear();
                index += 1;
                continue;
            }
            let entry = &entries[index];
            index += 1;
            let Entry::Rule(rule) = entry else {
                continue;
            };
            if self
                .overrides
                .removed_rules
                .iter()
                .any(|r| r.selects(rule.id, &rule.metadata.tags))
            {
                continue;
            }
            self.state.current_rule = Some((phase, index - 1));
            let Some(matched) = self.evaluate(rule, request, &mut chains, &mut target_bytes) else {
                continue;
            };
            for ctl in rule.links.iter().flat_map(|link| &link.ctls) {
                self.apply_ctl(ctl);
            }
            let mode = self.mode();
            if mode == EngineMode::Off {
                return None;
            }
            // In phase 5 the response is gone: a deny there can only be logged.
            let blocking = matches!(rule.disruptive, Disruptive::Deny | Disruptive::Drop)
                && mode == EngineMode::On
                && phase != 5;
            let status = rule.status.unwrap_or(403);
            let intervention = Intervention {
                status,
                rule_id: rule.id,
                phase,
                drop: rule.disruptive == Disruptive::Drop,
            };
            if rule.log || rule.auditlog == Some(true) || self.report.trace {
                let ctx = EvalContext {
                    request,
                    state: &self.state,
                };
                let found = RuleMatch::new(rule, blocking.then_some(status), &matched, &ctx);
                if found.error_log {
                    let level = if blocking {
                        LogLevel::Error
                    } else {
                        LogLevel::Info
                    };
                    let text = found.log_line();
                    self.log.push(LogMessage { level, text });
                }
                self.report.matches.push(found);
            }
            if blocking {
                self.record_intervention(&intervention);
                return Some(intervention);
            }
            let would_block = matches!(rule.disruptive, Disruptive::Deny | Disruptive::Drop)
                && mode == EngineMode::DetectionOnly
                && phase != 5;
            if would_block && self.report.detected.is_none() {
                self.report.detected = Some(intervention);
            }
            if let Some(at) = rule.continue_at {
                index = at;
            }
        }
        None
    }

    /// The engine mode in force: `SecRuleEngine`, unless a `ctl:ruleEngine` changed it.
    fn mode(&self) -> EngineMode {
        self.overrides
            .mode
            .unwrap_or_else(|| self.ruleset.engine_mode())
    }

    fn body_access(&self) -> bool {
        self.overrides
            .body_access
            .unwrap_or_else(|| self.ruleset.request_body_settings().access)
    }

    /// Whether nginx should read the body for phase 2 (asked after phase 1, which may have
    /// changed it with `ctl:requestBodyAccess` or `ctl:ruleEngine`).
    pub fn wants_request_body(&self) -> bool {
        self.mode() != EngineMode::Off
            && !self.intervened
            && self.body_access()
            && self.ruleset.rule_count_per_phase()[1] > 0
    }

    fn apply_ctl(&mut self, ctl: &Ctl) {
        let overrides = &mut self.overrides;
        match ctl {
            Ctl::RemoveRules(selector) => overrides.removed_rules.push(selector.clone()),
            Ctl::RemoveTarget(selector, target) => overrides
                .removed_targets
                .push((selector.clone(), target.clone())),
            Ctl::RuleEngine(mode) => overrides.mode = Some(*mode),
            Ctl::RequestBodyAccess(on) => overrides.body_access = Some(*on),
            Ctl::ForceRequestBodyVariable => overrides.force_body_variable = true,
            Ctl::AuditEngine(engine) => overrides.audit_engine = Some(*engine),
            Ctl::AuditLogParts(change) => overrides.audit_parts.push(*change),
            Ctl::BodyProcessor(processor) => {
                overrides.body_processor = Some(*processor);
                self.state.body_processor_override = Some(*processor);
            }
        }
    }

    /// Whether phase 4 wants the response body: response body access on, phase-4 rules, a media
    /// type listed in `SecResponseBodyMimeType`, and nothing decided yet.
    pub fn wants_response_body(&self) -> bool {
        let settings = self.ruleset.response_body_settings();
        if self.mode() == EngineMode::Off
            || self.intervened
            || !settings.access
            || self.ruleset.rule_count_per_phase()[3] == 0
        {
            return false;
        }
        let Some(response) = &self.state.response else {
            return false;
        };
        let content_type = response
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
            .map(|(_, v)| v.as_slice());
        let media_type = content_type
            .unwrap_or_default()
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii()
            .to_ascii_lowercase();
        settings
            .mime_types
            .iter()
            .any(|t| t.as_bytes() == media_type.as_slice())
    }

    /// `SecResponseBodyLimit` and what to do beyond it.
    pub fn response_body_limit(&self) -> (usize, BodyLimitAction) {
        let settings = self.ruleset.response_body_settings();
        (settings.limit, settings.limit_action)
    }

    /// A response body over `SecResponseBodyLimit` with `Reject`: as libmodsecurity, a 403
    /// when the engine is On (in DetectionOnly the response goes on, cut inspection aside).
    pub fn reject_response_body_over_limit(&mut self) -> Option<Intervention> {
        let (limit, _) = self.response_body_limit();
        let prefix = if self.mode() == EngineMode::On {
            ""
        } else {
            "Warning. "
        };
        self.log.push(LogMessage {
            level: if self.mode() == EngineMode::On { LogLevel::Error } else { LogLevel::Info },
            text: format!("ModSecurity: {prefix}Response body is larger than the configured limit ({limit} bytes)."),
        });
        if self.mode() != EngineMode::On {
            return None;
        }
        let intervention = Intervention {
            status: 403,
            rule_id: 0,
            phase: 4,
            drop: false,
        };
        self.record_intervention(&intervention);
        Some(intervention)
    }

    /// Hands phases 3 and 4 the upstream's response status, protocol and headers.
    pub fn set_response_headers(
        &mut self,
        status: u16,
        protocol: &[u8],
        headers: Vec<(Vec<u8>, Vec<u8>)>,
    ) {
        self.state.response = Some(Response {
            status,
            protocol: protocol.to_vec(),
            headers,
            body: None,
        });
    }

    /// Hands phase 4 the response body (already cut to `SecResponseBodyLimit` by the caller).
    pub fn set_response_body(&mut self, body: Vec<u8>) {
        self.state
            .response
            .get_or_insert_with(Response::default)
            .body = Some(body);
    }

    /// Hands phase 2 the request body (`content_type` is the request's Content-Type). A body
    /// over `SecRequestBodyLimit` is refused with 413 (`Reject`, the default) or cut to the limit
    /// (`ProcessPartial`); DetectionOnly only logs the refusal. The same goes for
    /// `SecRequestBodyNoFilesLimit`, which for multipart bodies counts only what is not a file
    /// (and, over it, also sets REQBODY_ERROR as libmodsecurity does).
    pub fn set_request_body(
        &mut self,
        mut bytes: Vec<u8>,
        content_type: &[u8],
    ) -> Option<Intervention> {
        let settings = self.ruleset.request_body_settings();
        let mode = self.mode();
        if mode == EngineMode::Off || !self.body_access() {
            return None;
        }
        let processor = self
            .overrides
            .body_processor
            .or_else(|| body_processor_for(content_type));
        // A multipart body's files do not count for SecRequestBodyNoFilesLimit: that part of it
        // is only known once parsed. For every other body all of it is "no files".
        let multipart = processor == Some(body::Processor::Multipart);
        let limit = if multipart {
            settings.limit
        } else {
            settings.limit.min(settings.no_files_limit)
        };
        if bytes.len() > limit {
            if settings.limit_action == BodyLimitAction::Reject {
                let reason = format!(
                    "Request body ({} bytes) is larger than the configured limit ({limit} bytes).",
                    bytes.len()
                );
                if let Some(intervention) = self.refuse_body(&reason) {
                    return Some(intervention);
                }
            }
            bytes.truncate(limit);
        }
        let raw_visible =
            processor != Some(body::Processor::Xml) || self.overrides.force_body_variable;
        let mut request_body = RequestBody {
            bytes,
            processor,
            args: OnceCell::new(),
            error: None,
            xml: None,
            multipart: None,
            raw_visible,
        };
        if multipart {
            let mut parsed = body::multipart::parse(
                content_type,
                &request_body.bytes,
                self.state.arguments.limit,
            );
            let _ = request_body.args.set(std::mem::take(&mut parsed.fields));
            request_body.error = parsed
                .error
                .as_ref()
                .map(|e| format!("Multipart parsing error: {e}"));
            if parsed.no_files_length > settings.no_files_limit {
                // libmodsecurity's REQBODY_ERROR; Reject also refuses the body, as for the others.
                if request_body.error.is_none() {
                    request_body.error = Some(
                        "Request body excluding files is bigger than the maximum expected.".into(),
                    );
                }
                if settings.limit_action == BodyLimitAction::Reject {
                    let reason = format!(
                        "Request body no files data length ({} bytes) is larger than the configured limit ({} bytes).",
                        parsed.no_files_length, settings.no_files_limit
                    );
                    if let Some(intervention) = self.refuse_body(&reason) {
                        return Some(intervention);
                    }
                }
            }
            request_body.multipart = Some(parsed);
        }
        if processor == Some(body::Processor::Xml) {
            // XML bodies give no arguments, only XML:/* and XML://@*.
            let _ = request_body.args.set(Vec::new());
            match body::xml::parse(&request_body.bytes) {
                Ok(xml) => request_body.xml = Some(xml),
                Err(reason) => request_body.error = Some(format!("XML parsing error: {reason}")),
            }
        }
        if processor == Some(body::Processor::Json) {
            let limit = self.state.arguments.limit;
            match body::json::arguments(&request_body.bytes, settings.json_depth_limit, limit) {
                Ok(args) => {
                    let _ = request_body.args.set(args);
                }
                Err(reason) => {
                    let _ = request_body.args.set(Vec::new());
                    request_body.error = Some(format!("JSON parsing error: {reason}"));
                }
            }
        }
        self.state.request_body = Some(request_body);
        None
    }

    /// Logs a body over a limit; in On mode also denies with 413.
    fn refuse_body(&mut self, reason: &str) -> Option<Intervention> {
        let blocking = self.mode() == EngineMode::On;
        let prefix = if blocking {
            "Access denied with code 413 (phase 2). "
        } else {
            "Warning. "
        };
        self.log.push(LogMessage {
            level: if blocking {
                LogLevel::Error
            } else {
                LogLevel::Info
            },
            text: format!("ModSecurity: {prefix}{reason}"),
        });
        if blocking {
            let intervention = Intervention {
                status: 413,
                rule_id: 0,
                phase: 2,
                drop: false,
            };
            self.record_intervention(&intervention);
            return Some(intervention);
        }
        None
    }

    /// Log lines produced so far, taken out.
    pub fn take_log(&mut self) -> Vec<LogMessage> {
        std::mem::take(&mut self.log)
    }

    /// Runs every link of `rule`; all must match. Returns what the last link matched.
    ///
    /// As in libmodsecurity, a link's `initcol`s and `setvar`s run as soon as that link matches,
    /// once per matched value (a chain that fails later keeps them), while `expirevar` (like
    /// `ctl` and the disruptive action) waits for the whole chain.
    fn evaluate(
        &mut self,
        rule: &Rule,
        request: &dyn RequestView,
        chains: &mut transformations::ChainCache,
        target_bytes: &mut prefilter::TargetBytes,
    ) -> Option<MatchedValue> {
        let mut last: Option<MatchedValue> = None;
        for (position, link) in rule.links.iter().enumerate() {
            let mut found =
                self.evaluate_link(rule, position, link, request, chains, target_bytes)?;
            // libmodsecurity's `[ref]` tells every match of the chain, first link first.
            if let Some(mut earlier) = last.map(|l| l.reference) {
                earlier.append(&mut found.reference);
                found.reference = earlier;
            }
            last = Some(found);
        }
        for link in &rule.links {
            for expirevar in &link.expirevars {
                let seconds = numeric_value_of(&expirevar.seconds.expand(&EvalContext {
                    request,
                    state: &self.state,
                }));
                if let (Some(store), Some(key)) = (
                    &self.state.store,
                    self.state.opened.get(&expirevar.var.collection),
                ) {
                    let var = expirevar.var.resolve(&EvalContext {
                        request,
                        state: &self.state,
                    });
                    store.expire(var.collection, key, &var.name, seconds.max(0) as u64);
                }
            }
        }
        last
    }

    /// The actions that run at each match of a link.
    fn on_link_match(&mut self, link: &RuleLink, first: bool, request: &dyn RequestView) {
        if first {
            for initcol in &link.initcols {
                let key = initcol.key.expand(&EvalContext {
                    request,
                    state: &self.state,
                });
                self.state
                    .opened
                    .insert(initcol.collection, key.into_owned());
            }
        }
        for setvar in &link.setvars {
            let update = setvar.evaluate(&EvalContext {
                request,
                state: &self.state,
            });
            store_setvar(&mut self.state, update);
        }
    }

    fn evaluate_link(
        &mut self,
        rule: &Rule,
        position: usize,
        link: &RuleLink,
        request: &dyn RequestView,
        chains: &mut transformations::ChainCache,
        target_bytes: &mut prefilter::TargetBytes,
    ) -> Option<MatchedValue> {
        if link.targets.is_empty() {
            self.on_link_match(link, true, request);
            return Some(MatchedValue::bare());
        }
        let ctx = EvalContext {
            request,
            state: &self.state,
        };
        if target_bytes.rule_out(link, &ctx, chains) {
            self.state.matched_vars.clear();
            return None;
        }
        let removed: Vec<&TargetSpec> = self
            .overrides
            .removed_targets
            .iter()
            .filter(|(selector, _)| selector.selects(rule.id, &rule.metadata.tags))
            .map(|(_, target)| target)
            .collect();
        let wants_captures = link.capture && !link.negated;
        let wants_reference = rule.log || rule.auditlog == Some(true) || self.report.trace;
        let run = |ctx: &EvalContext| LinkRun {
            link,
            position,
            operator: link.operator.prepare(ctx),
            wants_captures,
            wants_reference,
        };
        // MATCHED_VARS of this link, written as values match and put in place when all were
        // tried (the values still to try see the previous link's).
        let mut matched = std::mem::take(&mut self.matched_scratch);
        matched.clear();
        // The values borrow the request and the transaction's state, so nothing is copied while
        // nothing matches (the clean path). A match changes that state (MATCHED_VAR, captures,
        // setvar), so from the first match on, the values still to try are copied first.
        let (first, rest) = {
            let ctx = EvalContext {
                request,
                state: &self.state,
            };
            let mut values: Vec<Value> = recycle(std::mem::take(&mut self.value_buffer));
            for target in &link.targets {
                // A target none of whose values can match is not read at all.
                if !target_bytes.target_ruled_out(link, target, &ctx, chains) {
                    target.values(&ctx, &mut values);
                }
            }
            if !removed.is_empty() {
                values.retain(|v| {
                    !removed
                        .iter()
                        .any(|target| target.selects_value(v.variable, v.key.as_deref()))
                });
            }
            let mut first = None;
            let run = run(&ctx);
            for (index, value) in values.iter().enumerate() {
                if prefilter::ruled_out(link, value, chains) {
                    continue;
                }
                let mut groups = Vec::new();
                if let Some(found) = try_value(&run, value, &mut groups, &ctx, chains, &mut matched)
                {
                    first = Some((index, found, groups));
                    break;
                }
            }
            let Some((index, found, groups)) = first else {
                self.value_buffer = recycle(values);
                self.matched_scratch = matched;
                self.state.matched_vars.clear();
                return None;
            };
            let rest: Vec<Value<'static>> =
                values.drain(index + 1..).map(Value::into_owned).collect();
            self.value_buffer = recycle(values);
            (Some((found, groups)), rest)
        };
        // Every value is tried (MATCHED_VARS holds all matches); like libmodsecurity, the last
        // match is the one the log line shows and whose groups `capture` keeps.
        let mut logged: Vec<MatchedValue> = Vec::new();
        let mut pending = first;
        let mut rest = rest.into_iter();
        let mut first_match = true;
        loop {
            if let Some((found, groups)) = pending.take() {
                if let Some((name, value)) = matched.last() {
                    matched_vars::overwrite(&mut self.state.matched_var, value);
                    self.state.matched_var_name.clear();
                    self.state.matched_var_name.push_str(name);
                }
                if wants_captures {
                    for (i, group) in groups.into_iter().enumerate() {
                        self.state.tx.insert(i.to_string(), group);
                    }
                }
                self.on_link_match(link, first_match, request);
                first_match = false;
                logged.extend(found);
            }
            let Some(value) = rest.next() else {
                break;
            };
            if prefilter::ruled_out(link, &value, chains) {
                continue;
            }
            let ctx = EvalContext {
                request,
                state: &self.state,
            };
            let mut groups = Vec::new();
            pending = try_value(&run(&ctx), &value, &mut groups, &ctx, chains, &mut matched)
                .map(|found| (found, groups));
        }
        self.matched_scratch = std::mem::replace(&mut self.state.matched_vars, matched);
        let Some(found) = logged.pop() else {
            return Some(MatchedValue::bare());
        };
        let mut reference = Reference::default();
        for m in &mut logged {
            reference.append(&mut m.reference);
        }
        let mut last = found;
        reference.append(&mut last.reference);
        Some(MatchedValue { reference, ..last })
    }
}

/// An emptied list of values, with its allocation, for values of another lifetime. Collecting
/// a `vec::IntoIter` through `map` reuses its buffer when the element layouts agree (they are
/// the same type here), so this moves no memory and allocates nothing.
fn recycle<'b>(mut values: Vec<Value<'_>>) -> Vec<Value<'b>> {
    values.clear();
    values
        .into_iter()
        .map(|_| unreachable!("the list was emptied"))
        .collect()
}

/// One link's run over its values: the link, its operator ready for the transaction's state,
/// and what a match must collect.
struct LinkRun<'l> {
    link: &'l RuleLink,
    /// The link's place in its rule's chain.
    position: usize,
    /// Prepared once per run, not per value: with macros in its parameter, the operator is
    /// expanded and compiled here, and the state it was expanded from holds until a value
    /// matches (after which each remaining value gets a run of its own).
    operator: operators::Prepared<'l>,
    wants_captures: bool,
    /// The rule is logged: a match keeps what the log line and `[ref]` show.
    wants_reference: bool,
}

/// Tries one value of `link`. On a match, adds its name and what matched to `matched`, and
/// returns what the log line shows if the rule is logged (Some(None) if not).
fn try_value(
    run: &LinkRun,
    value: &Value,
    groups: &mut Vec<Vec<u8>>,
    ctx: &EvalContext,
    chains: &mut transformations::ChainCache,
    matched: &mut MatchedVars,
) -> Option<Option<MatchedValue>> {
    let link = run.link;
    let mut found = false;
    let mut write = |subject: &[u8]| {
        found = true;
        matched.push_with(|name, kept| {
            value.write_name(name);
            kept.extend_from_slice(subject);
        });
    };
    match_value(
        run,
        value,
        run.wants_captures.then_some(groups),
        ctx,
        chains,
        &mut write,
    );
    if !found {
        return None;
    }
    if !run.wants_reference {
        return Some(None);
    }
    let (variable, kept) = matched.last().expect("just added");
    let kept = kept.to_vec();
    let reference = Reference::of_match(run.position, link, value, &kept, ctx);
    Some(Some(MatchedValue {
        variable: variable.to_string(),
        value: kept,
        operator: link.operator.log_name(),
        parameter: link.operator.shown_parameter(&link.parameter, ctx),
        reference,
    }))
}

/// Runs `link`'s operator on one value: after its transformations, or with `multiMatch` on the
/// value as it is and after every transformation that changed it. Hands `on_match` the value
/// that matched.
fn match_value(
    run: &LinkRun,
    value: &Value,
    mut captures: Option<&mut Vec<Vec<u8>>>,
    ctx: &EvalContext,
    chains: &mut transformations::ChainCache,
    on_match: &mut dyn FnMut(&[u8]),
) {
    let link = run.link;
    let mut test_subject = |candidate: &Subject| {
        let matched = run.operator.operator().is_some_and(|operator| {
            operator.matches_subject(candidate, captures.as_deref_mut(), ctx)
        });
        matched != link.negated
    };
    if !link.multi_match {
        let (transformed, present) = chains.apply(
            &link.transformations,
            &value.value,
            value.stable,
            ctx.state.unicode_map.as_deref(),
        );
        let subject = match present {
            Some(present) => Subject::with_byte_set(&transformed, present),
            None => Subject::new(&transformed),
        };
        if test_subject(&subject) {
            on_match(&transformed);
        }
        return;
    }
    let candidate = chains.first_candidate(
        &link.transformations,
        &value.value,
        value.stable,
        ctx.state.unicode_map.as_deref(),
        test_subject,
    );
    if let Some(candidate) = candidate {
        on_match(&candidate);
    }
}

/// The processor a Content-Type selects: urlencoded forms (that media type exactly) and
/// multipart ones (any value starting with `multipart/form-data`, as libmodsecurity decides).
pub(crate) fn body_processor_for(content_type: &[u8]) -> Option<body::Processor> {
    let media_type = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if media_type.eq_ignore_ascii_case(b"application/x-www-form-urlencoded") {
        return Some(body::Processor::Urlencoded);
    }
    const MULTIPART: &[u8] = b"multipart/form-data";
    let value = content_type.trim_ascii_start();
    let multipart =
        value.len() >= MULTIPART.len() && value[..MULTIPART.len()].eq_ignore_ascii_case(MULTIPART);
    multipart.then_some(body::Processor::Multipart)
}

fn numeric_value_of(text: &[u8]) -> i64 {
    operators::numeric_value(text)
}

impl MatchedValue {
    /// The match of a link without targets (`SecAction`), and what a match of a rule that is
    /// not logged keeps: nothing to show, so nothing allocated.
    fn bare() -> MatchedValue {
        static NO_PARAMETER: std::sync::LazyLock<Arc<str>> =
            std::sync::LazyLock::new(|| Arc::from(""));
        MatchedValue {
            variable: String::new(),
            value: Vec::new(),
            operator: "UnconditionalMatch",
            parameter: Arc::clone(&NO_PARAMETER),
            reference: Reference::default(),
        }
    }
}
