//! `phase` (and `chain`, a flag): where and how a rule runs.

/// `phase:1..5`, or the names `request` (2), `response` (4) and `logging` (5).
pub fn phase(value: &str) -> Result<u8, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" => Ok(1),
        "2" | "request" => Ok(2),
        "3" => Ok(3),
        "4" | "response" => Ok(4),
        "5" | "logging" => Ok(5),
        other => Err(format!("\"phase:{other}\": the phase must be 1 to 5")),
    }
}
