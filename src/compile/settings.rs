//! Directives that set how the engine works rather than adding rules: `SecRuleEngine`, the
//! request body and argument settings, and engine-wide settings that have nothing to do here
//! (accepted only in the forms whose meaning this engine really has).

use super::{BodyLimitAction, EngineMode, Ruleset};
use crate::seclang::Directive;

/// Handles the directive if it is a settings directive; Ok(false) if it is not.
pub fn apply(ruleset: &mut Ruleset, directive: &Directive) -> Result<bool, String> {
    if crate::audit::config::apply(&mut ruleset.audit, directive)? {
        return Ok(true);
    }
    let name = directive.name.as_str();
    let args = directive.args.as_slice();
    match name.to_ascii_lowercase().as_str() {
        "secruleengine" => {
            ruleset.mode = Some(match one(directive)?.to_ascii_lowercase().as_str() {
                "on" => EngineMode::On,
                "off" => EngineMode::Off,
                "detectiononly" => EngineMode::DetectionOnly,
                other => {
                    return Err(format!(
                        "SecRuleEngine: \"{other}\" is not On, Off or DetectionOnly"
                    ))
                }
            });
        }
        "secrequestbodyaccess" => ruleset.request_body.access = on_off(directive)?,
        "secrequestbodylimit" => ruleset.request_body.limit = size(directive)?,
        "secrequestbodynofileslimit" => ruleset.request_body.no_files_limit = size(directive)?,
        "secrequestbodyjsondepthlimit" => {
            ruleset.request_body.json_depth_limit = positive(directive)?
        }
        "secrequestbodylimitaction" => {
            ruleset.request_body.limit_action = match one(directive)?.to_ascii_lowercase().as_str()
            {
                "reject" => BodyLimitAction::Reject,
                "processpartial" => BodyLimitAction::ProcessPartial,
                _ => return Err("SecRequestBodyLimitAction takes Reject or ProcessPartial".into()),
            }
        }
        // nginx buffers the body (client_body_buffer_size decides memory or file), so this limit
        // has nothing to govern; accepted for configurations written for ModSecurity.
        "secrequestbodyinmemorylimit" => {
            size(directive)?;
        }
        "secargumentseparator" => {
            ruleset.arguments.separator = match args {
                [c] if c.len() == 1 => c.as_bytes()[0],
                _ => return Err("SecArgumentSeparator takes one character".into()),
            }
        }
        // `SecUnicodeMapFile PATH CODEPAGE`: how urlDecodeUni turns %uXXXX into a byte; the path
        // is relative to the file that names it.
        "secunicodemapfile" => {
            let [path, codepage] = args else {
                return Err("SecUnicodeMapFile takes a file and a code page".into());
            };
            let codepage: u32 = codepage.parse().map_err(|_| {
                format!("SecUnicodeMapFile: \"{codepage}\" is not a code page number")
            })?;
            let base = std::path::Path::new(&*directive.span.file)
                .parent()
                .unwrap_or(std::path::Path::new("/"));
            let file = base.join(path);
            let text = std::fs::read(&file)
                .map_err(|e| format!("SecUnicodeMapFile: cannot read {}: {e}", file.display()))?;
            let map = crate::engine::transformations::unicode_map::parse(
                &String::from_utf8_lossy(&text),
                codepage,
            )
            .map_err(|e| format!("SecUnicodeMapFile {}: {e}", file.display()))?;
            ruleset.unicode_map = Some(std::sync::Arc::new(map));
        }
        "secargumentslimit" => ruleset.arguments.limit = positive(directive)?,
        "seccollectiontimeout" => ruleset.collection_timeout = positive(directive)? as u64,
        // Version 0 (Netscape) cookies are what browsers send; version 1 is not supported.
        "seccookieformat" if args == ["0"] => {}
        "seccookieformat" => return Err("SecCookieFormat: only 0 is supported".into()),
        "secresponsebodyaccess" => ruleset.response_body.access = on_off(directive)?,
        "secresponsebodylimit" => ruleset.response_body.limit = size(directive)?,
        "secresponsebodylimitaction" => {
            ruleset.response_body.limit_action = match one(directive)?.to_ascii_lowercase().as_str()
            {
                "reject" => BodyLimitAction::Reject,
                "processpartial" => BodyLimitAction::ProcessPartial,
                _ => return Err("SecResponseBodyLimitAction takes Reject or ProcessPartial".into()),
            }
        }
        "secresponsebodymimetype" => {
            if args.is_empty() {
                return Err("SecResponseBodyMimeType takes one or more media types".into());
            }
            // The first one replaces the default list; later ones add to it.
            if !ruleset.response_body.mime_types_set {
                ruleset.response_body.mime_types.clear();
                ruleset.response_body.mime_types_set = true;
            }
            ruleset.response_body.mime_types.extend(
                args.iter()
                    .flat_map(|a| a.split_whitespace())
                    .map(str::to_ascii_lowercase),
            );
        }
        "secresponsebodymimetypesclear" => {
            ruleset.response_body.mime_types.clear();
            ruleset.response_body.mime_types_set = true;
        }
        // Backtracking limits: nearly every pattern runs in linear time; the few that need
        // backtracking run under PCRE2's own default match and depth limits.
        "secpcrematchlimit" | "secpcrematchlimitrecursion" => {
            positive(directive)?;
        }
        // Where ModSecurity writes temporary and persistent files; this engine writes none.
        "sectmpdir" | "secdatadir" => {
            one(directive)?;
        }
        // Off is what this engine does: no status reporting ever.
        // libmodsecurity 3 parses `On` but reports nothing (its status feature was never
        // finished); ingress-nginx's older modsecurity.conf and many snippets still say On.
        "secstatusengine"
            if args.len() == 1
                && (args[0].eq_ignore_ascii_case("off") || args[0].eq_ignore_ascii_case("on")) => {}
        "secstatusengine" => return Err("SecStatusEngine takes On or Off".into()),
        _ => return Ok(false),
    }
    Ok(true)
}

fn one(directive: &Directive) -> Result<&str, String> {
    match directive.args.as_slice() {
        [value] => Ok(value),
        _ => Err(format!("{} takes one argument", directive.name)),
    }
}

fn on_off(directive: &Directive) -> Result<bool, String> {
    match one(directive)?.to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{} takes On or Off", directive.name)),
    }
}

fn size(directive: &Directive) -> Result<usize, String> {
    let value = one(directive)?;
    value
        .parse()
        .map_err(|_| format!("{}: \"{value}\" is not a size in bytes", directive.name))
}

fn positive(directive: &Directive) -> Result<usize, String> {
    let value = one(directive)?;
    value
        .parse()
        .ok()
        .filter(|&n: &usize| n > 0)
        .ok_or_else(|| format!("{}: \"{value}\" is not a positive number", directive.name))
}
