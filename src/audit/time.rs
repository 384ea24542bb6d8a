//! Calendar dates for audit records, in UTC: the engine has no time-zone database, and UTC
//! stamps sort and compare across servers.

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment broken into its UTC calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday
    pub weekday: u32,
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Utc {
    pub fn from(time: SystemTime) -> Utc {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(since) => since.as_secs() as i64,
            Err(before) => -(before.duration().as_secs() as i64),
        };
        let days = seconds.div_euclid(86_400);
        let of_day = seconds.rem_euclid(86_400) as u32;
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Utc {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// C's `%c` in the C locale, libmodsecurity's `time_stamp`: `Mon Nov 23 08:52:54 2026`.
    pub fn asctime(&self) -> String {
        format!(
            "{} {} {:>2} {:02}:{:02}:{:02} {}",
            DAYS[self.weekday as usize],
            MONTHS[self.month as usize - 1],
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }

    /// The Native format's `[23/Nov/2026:08:52:54 +0000]`.
    pub fn common_log(&self) -> String {
        format!(
            "[{:02}/{}/{}:{:02}:{:02}:{:02} +0000]",
            self.day,
            MONTHS[self.month as usize - 1],
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }

    /// `YYYYMMDD`, `YYYYMMDD-HHMM`, `YYYYMMDD-HHMMSS`: the Concurrent storage layout.
    pub fn storage_names(&self) -> [String; 3] {
        let date = format!("{}{:02}{:02}", self.year, self.month, self.day);
        let minute = format!("{date}-{:02}{:02}", self.hour, self.minute);
        let second = format!("{minute}{:02}", self.second);
        [date, minute, second]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_dates() {
        // 2026-11-23 08:52:54 UTC, a Monday (checked with `date -u -d @1795423974`).
        let t = Utc::from(UNIX_EPOCH + Duration::from_secs(1_795_423_974));
        assert_eq!(t.asctime(), "Mon Nov 23 08:52:54 2026");
        assert_eq!(t.common_log(), "[23/Nov/2026:08:52:54 +0000]");
        assert_eq!(
            t.storage_names(),
            ["20261123", "20261123-0852", "20261123-085254"]
        );
        // A leap day and a single-digit day, space padded as %c pads it.
        let t = Utc::from(UNIX_EPOCH + Duration::from_secs(951_782_400));
        assert_eq!(t.asctime(), "Tue Feb 29 00:00:00 2000");
        let t = Utc::from(UNIX_EPOCH);
        assert_eq!(t.asctime(), "Thu Jan  1 00:00:00 1970");
    }
}
