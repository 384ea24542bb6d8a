//! What a transaction tells the outside once rules ran: the logged matches, the verdict (for
//! nginx variables such as `$secrules_action`), the CRS anomaly score, and its audit record.

use std::sync::OnceLock;
use std::time::SystemTime;

use super::{Intervention, RequestView, Transaction};
use crate::audit::config::{AuditEngine, AuditSettings};
use crate::audit::error_log::RuleMatch;
use crate::audit::record::Record;
use crate::audit::time::Utc;
use crate::compile::EngineMode;

/// What the transaction recorded for the logs.
#[derive(Debug)]
pub struct Report {
    /// Every logged match (error log or audit log), in order.
    pub matches: Vec<RuleMatch>,
    /// The intervention that answered the request, if any.
    pub intervention: Option<Intervention>,
    /// In DetectionOnly: the first rule that would have denied or dropped.
    pub detected: Option<Intervention>,
    /// When the transaction began (the record's `time_stamp`).
    pub started_at: SystemTime,
    /// Keep `nolog` matches too (the rules tool shows every match).
    pub trace: bool,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            matches: Vec::new(),
            intervention: None,
            detected: None,
            started_at: SystemTime::now(),
            trace: false,
        }
    }
}

impl Transaction {
    /// Also keep matches of `nolog` rules in [`Transaction::matches`] (they still write no
    /// log line and no audit message).
    pub fn set_trace(&mut self, on: bool) {
        self.report.trace = on;
    }

    /// The logged matches so far (every match with [`Transaction::set_trace`]).
    pub fn matches(&self) -> &[RuleMatch] {
        &self.report.matches
    }

    /// The intervention that answered the request, if any.
    pub fn intervention(&self) -> Option<&Intervention> {
        self.report.intervention.as_ref()
    }

    /// `pass`, `deny`, `drop`, or `detected` (DetectionOnly: a rule would have denied or
    /// dropped, the request went on).
    pub fn action(&self) -> &'static str {
        match (&self.report.intervention, &self.report.detected) {
            (Some(i), _) if i.drop => "drop",
            (Some(_), _) => "deny",
            (None, Some(_)) => "detected",
            (None, None) => "pass",
        }
    }

    /// Ids of the logged matches, comma separated, each once, in the order they matched.
    pub fn rule_ids(&self) -> String {
        let mut ids: Vec<u64> = Vec::new();
        for m in self
            .report
            .matches
            .iter()
            .filter(|m| m.error_log || m.audit_log)
        {
            if !ids.contains(&m.id) {
                ids.push(m.id);
            }
        }
        ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
    }

    /// CRS's inbound anomaly score: `TX:blocking_inbound_anomaly_score` (CRS v4), else
    /// `TX:anomaly_score` (CRS v3); None when the rules set neither.
    pub fn anomaly_score(&self) -> Option<&[u8]> {
        ["blocking_inbound_anomaly_score", "anomaly_score"]
            .iter()
            .find_map(|name| self.state.tx.get(*name))
            .map(Vec::as_slice)
    }

    pub(super) fn record_intervention(&mut self, intervention: &Intervention) {
        self.intervened = true;
        self.report.intervention = Some(intervention.clone());
    }

    /// The audit engine in force: `SecAuditEngine`, unless `ctl:auditEngine` changed it.
    fn audit_engine(&self) -> AuditEngine {
        self.overrides
            .audit_engine
            .unwrap_or(self.ruleset.audit().0.engine)
    }

    /// Whether this transaction gets an audit record, `http_code` being the status the client
    /// got: as libmodsecurity, always with `On`; with `RelevantOnly` when a match is for the
    /// audit log or the status matches `SecAuditLogRelevantStatus`.
    pub fn wants_audit_record(&self, http_code: u16) -> bool {
        match self.audit_engine() {
            AuditEngine::Off => false,
            AuditEngine::On => true,
            AuditEngine::RelevantOnly => {
                self.report.matches.iter().any(|m| m.audit_log)
                    || self.ruleset.audit().0.is_relevant_status(http_code)
            }
        }
    }

    /// The audit record of this transaction, in the configured format, or None when it gets
    /// none. Call once the response is gone (nginx's log phase), after phase 5.
    pub fn audit_record(&self, request: &dyn RequestView, http_code: u16) -> Option<String> {
        if !self.wants_audit_record(http_code) {
            return None;
        }
        let (settings, _) = self.ruleset.audit();
        let record = self.record(settings, request, http_code);
        Some(crate::audit::writer::render(settings, &record))
    }

    /// Writes the audit record if this transaction gets one. Ok(true) when written.
    pub fn write_audit_log(
        &self,
        request: &dyn RequestView,
        http_code: u16,
    ) -> Result<bool, String> {
        if !self.wants_audit_record(http_code) {
            return Ok(false);
        }
        let (settings, writer) = self.ruleset.audit();
        writer.write(settings, &self.record(settings, request, http_code))?;
        Ok(true)
    }

    fn record<'a>(
        &'a self,
        settings: &'a AuditSettings,
        request: &'a dyn RequestView,
        http_code: u16,
    ) -> Record<'a> {
        let parts = self
            .overrides
            .audit_parts
            .iter()
            .fold(settings.parts(), |parts, change| change.apply(parts));
        let mut request_headers = Vec::new();
        request.for_each_header(&mut |name, value| {
            request_headers.push((name.to_vec(), value.to_vec()))
        });
        let response = self.state.response.as_ref();
        Record {
            time: Utc::from(self.report.started_at),
            server_id: server_id(),
            client_ip: request.remote_addr(),
            client_port: request.remote_port(),
            host_ip: request.hostname(),
            host_port: request.server_port(),
            unique_id: request.unique_id(),
            method: request.method(),
            protocol: request.protocol(),
            uri: request.uri(),
            request_headers,
            request_body: self.state.request_body.as_ref().map(|b| b.bytes.as_slice()),
            http_code,
            response_headers: response.map_or(&[], |r| r.headers.as_slice()),
            response_body: response.and_then(|r| r.body.as_deref()),
            engine: match self.mode() {
                EngineMode::On => "Enabled",
                EngineMode::DetectionOnly => "DetectionOnly",
                EngineMode::Off => "Disabled",
            },
            components: &settings.components,
            messages: self.report.matches.iter().filter(|m| m.audit_log).collect(),
            parts,
        }
    }
}

/// libmodsecurity's `server_id` names the machine (a hash of its name and addresses); here the
/// SHA-1 of the host name, stable across restarts.
fn server_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        use sha1::Digest;
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        sha1::Sha1::digest(name.trim().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}
