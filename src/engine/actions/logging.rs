//! `log`, `nolog`, `auditlog`, `noauditlog`.

pub fn enabled(name: &str) -> bool {
    !name.to_ascii_lowercase().starts_with("no")
}
