//! The module's configuration: what each http/server/location level says, and how a child
//! inherits from its parent. Rules are compiled here, at configuration time, once per distinct
//! list of rule sources, and the compiled [`Ruleset`] is shared by every location using it.

use std::collections::HashMap;
use std::sync::Arc;

use ngx::ffi::{ngx_flag_t, ngx_http_complex_value_t, ngx_uint_t};

use crate::compile::{ConfigError, RuleSource, Ruleset};
use crate::mtls::FingerprintDigest;

pub const UNSET_FLAG: ngx_flag_t = -1;
pub const UNSET_UINT: ngx_uint_t = ngx_uint_t::MAX;

/// Values of `secrules_client_cert_fingerprint` (an `ngx_conf_enum_t` table maps names to them).
pub const DIGEST_SHA1: ngx_uint_t = 1;
pub const DIGEST_SHA256: ngx_uint_t = 2;

/// Values of `secrules_on_error`.
pub const ON_ERROR_CLOSED: ngx_uint_t = 1;
pub const ON_ERROR_OPEN: ngx_uint_t = 2;

/// Per http/server/location configuration. Fields touched by nginx's own slot setters
/// (`ngx_conf_set_flag_slot`, ...) use nginx's types and "unset" markers.
pub struct LocationConf {
    /// `secrules on|off` / `modsecurity on|off`.
    pub enabled: ngx_flag_t,
    /// Rule sources written at this level, in order.
    pub own_sources: Vec<RuleSource>,
    /// After merge: the parent's sources followed by this level's own.
    pub sources: Arc<[RuleSource]>,
    /// After merge: the compiled rules for `sources` (None when there are no rules).
    pub ruleset: Option<Arc<Ruleset>>,
    merged: bool,
    /// `secrules_transaction_id` / `modsecurity_transaction_id` (may contain variables).
    pub transaction_id: *mut ngx_http_complex_value_t,
    /// `secrules_client_cert_headers on|off`.
    pub client_cert_headers: ngx_flag_t,
    /// `secrules_client_cert_fingerprint sha1|sha256`.
    pub fingerprint_digest: ngx_uint_t,
    /// `secrules_client_cert_xfcc on|off`.
    pub xfcc: ngx_flag_t,
    /// `secrules_on_error closed|open`: what a request gets when inspecting it failed
    /// internally (a panic caught by the guard, memory nginx refused).
    pub on_error: ngx_uint_t,
}

impl Default for LocationConf {
    fn default() -> Self {
        LocationConf {
            enabled: UNSET_FLAG,
            own_sources: Vec::new(),
            sources: Arc::from(Vec::new()),
            ruleset: None,
            merged: false,
            transaction_id: std::ptr::null_mut(),
            client_cert_headers: UNSET_FLAG,
            fingerprint_digest: UNSET_UINT,
            xfcc: UNSET_FLAG,
            on_error: UNSET_UINT,
        }
    }
}

impl LocationConf {
    /// The rule sources in force at this level: merged ones once merged; before that (the http
    /// level is never merged with anything) just its own.
    fn effective_sources(&self) -> Arc<[RuleSource]> {
        if self.merged {
            self.sources.clone()
        } else {
            Arc::from(self.own_sources.clone())
        }
    }

    /// Inherits what this level leaves unset from `parent` and compiles the resulting rules.
    pub fn merge(
        &mut self,
        parent: &LocationConf,
        cache: &mut RulesetCache,
    ) -> Result<(), ConfigError> {
        merge_flag(&mut self.enabled, parent.enabled, 0);
        merge_flag(&mut self.client_cert_headers, parent.client_cert_headers, 0);
        merge_flag(&mut self.xfcc, parent.xfcc, 0);
        if self.fingerprint_digest == UNSET_UINT {
            self.fingerprint_digest = if parent.fingerprint_digest == UNSET_UINT {
                DIGEST_SHA1
            } else {
                parent.fingerprint_digest
            };
        }
        if self.on_error == UNSET_UINT {
            self.on_error = if parent.on_error == UNSET_UINT {
                ON_ERROR_CLOSED
            } else {
                parent.on_error
            };
        }
        if self.transaction_id.is_null() {
            self.transaction_id = parent.transaction_id;
        }

        let inherited = parent.effective_sources();
        self.sources = if self.own_sources.is_empty() {
            inherited
        } else {
            inherited
                .iter()
                .chain(self.own_sources.iter())
                .cloned()
                .collect::<Vec<_>>()
                .into()
        };
        self.ruleset = if self.sources.is_empty() {
            None
        } else {
            Some(cache.get_or_compile(&self.sources)?)
        };
        self.merged = true;
        Ok(())
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled == 1
    }

    /// `secrules_on_error open`: a request whose inspection failed goes on uninspected.
    pub fn fails_open(&self) -> bool {
        self.on_error == ON_ERROR_OPEN
    }

    pub fn forwards_client_identity(&self) -> bool {
        self.client_cert_headers == 1 || self.xfcc == 1
    }

    pub fn digest(&self) -> FingerprintDigest {
        if self.fingerprint_digest == DIGEST_SHA256 {
            FingerprintDigest::Sha256
        } else {
            FingerprintDigest::Sha1
        }
    }
}

fn merge_flag(value: &mut ngx_flag_t, parent: ngx_flag_t, default: ngx_flag_t) {
    if *value == UNSET_FLAG {
        *value = if parent == UNSET_FLAG {
            default
        } else {
            parent
        };
    }
}

/// Compiled rulesets of one configuration cycle, keyed by their source lists, so that locations
/// with the same rules share one `Arc<Ruleset>`. Dropped with the cycle's pool on reload.
#[derive(Default)]
pub struct RulesetCache {
    compiled: HashMap<Arc<[RuleSource]>, Arc<Ruleset>>,
    /// What nginx should log at notice level about rule sets compiled since last asked.
    notices: Vec<String>,
}

impl RulesetCache {
    pub fn get_or_compile(
        &mut self,
        sources: &Arc<[RuleSource]>,
    ) -> Result<Arc<Ruleset>, ConfigError> {
        if let Some(ruleset) = self.compiled.get(sources) {
            return Ok(ruleset.clone());
        }
        // A location that adds rules to its server's starts from the server's compiled set
        // (merged before it), sharing its rules instead of compiling them again.
        let parent = (1..sources.len())
            .rev()
            .find_map(|len| self.compiled.get(&sources[..len]).map(|p| (len, p.clone())));
        let ruleset = Arc::new(match &parent {
            Some((len, parent)) => parent.extend(&sources[*len..])?,
            None => Ruleset::load(sources)?,
        });
        ruleset.open_audit_log()?;
        // Each rule is listed once, when the first rule set holding it is compiled.
        let already_listed: Vec<u64> = parent
            .map(|(_, p)| p.backtracking_rules().iter().map(|r| r.0).collect())
            .unwrap_or_default();
        let backtracking: Vec<_> = ruleset
            .backtracking_rules()
            .into_iter()
            .filter(|r| !already_listed.contains(&r.0))
            .collect();
        if !backtracking.is_empty() {
            let listed: Vec<String> = backtracking
                .iter()
                .map(|(id, file, line)| format!("{id} ({file}:{line})"))
                .collect();
            self.notices.push(format!(
                "secrules: {} rule(s) need the backtracking regex engine (PCRE2, bounded by its match limit): {}",
                listed.len(),
                listed.join(", ")
            ));
        }
        self.compiled.insert(sources.clone(), ruleset.clone());
        Ok(ruleset)
    }

    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

/// The module's http-level (main) configuration.
#[derive(Default)]
pub struct MainConf {
    pub rulesets: RulesetCache,
}
