//! Time: parsing what a commander types (`-5m`, `14:32`, `2026-11-30 14:32`, RFC 3339),
//! humane durations (`15m`, `1h30m`), and showing UTC instants in the configured zone.

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Utc,
};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// The zone times are shown and typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The machine's local zone.
    Local,
    /// A named IANA zone (also used for UTC).
    Named(Tz),
}

impl Zone {
    pub const UTC: Zone = Zone::Named(Tz::UTC);

    /// The UTC offset in force at `at`.
    pub fn offset_at(&self, at: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Local => *at.with_timezone(&chrono::Local).offset(),
            Zone::Named(tz) => {
                use chrono::Offset;
                at.with_timezone(tz).offset().fix()
            }
        }
    }

    /// `at` as a wall-clock time in this zone.
    pub fn to_wall(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.offset_at(at))
    }

    /// Resolves a wall-clock time in this zone to UTC. In a DST gap the time is taken as if the
    /// clocks had not moved yet; in an overlap the earlier instant wins.
    pub fn from_wall(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        fn pick<T: TimeZone>(r: LocalResult<DateTime<T>>) -> Option<DateTime<Utc>> {
            match r {
                LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
                LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
                LocalResult::None => None,
            }
        }
        let direct = match self {
            Zone::Local => pick(chrono::Local.from_local_datetime(&wall)),
            Zone::Named(tz) => pick(tz.from_local_datetime(&wall)),
        };
        direct.or_else(|| self.from_wall(wall + Duration::hours(1)))
    }

    /// A short name for the zone: `UTC`, `Europe/Berlin` or `local`.
    pub fn name(&self) -> String {
        match self {
            Zone::Local => "local".to_string(),
            Zone::Named(tz) => tz.name().to_string(),
        }
    }
}

impl FromStr for Zone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err("no time zone given: use \"local\", \"UTC\" or an IANA name such as \"Europe/Berlin\"".into());
        }
        if s.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        if s.eq_ignore_ascii_case("utc") || s == "Z" {
            return Ok(Zone::UTC);
        }
        s.parse::<Tz>().map(Zone::Named).map_err(|_| {
            format!("unknown time zone {s:?}: use \"local\", \"UTC\" or an IANA name such as \"Europe/Berlin\"")
        })
    }
}

/// Why a typed time could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read the time {input:?}: use -5m, -1h30m, 14:32, \"2026-11-30 14:32\" or an RFC 3339 time"
)]
pub struct TimeError {
    pub input: String,
}

/// Parses a humane duration: one or more `<number><unit>` parts with units `d`, `h`, `m`, `s`
/// in that order, each at most once, no spaces inside (`90s`, `15m`, `1h30m`, `2d`).
pub fn parse_duration(input: &str) -> Option<Duration> {
    const UNITS: [(char, i64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];
    let text = input.trim();
    if text.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut next_unit = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        let c = c.to_ascii_lowercase();
        let offset = UNITS[next_unit..].iter().position(|(unit, _)| *unit == c)?;
        let index = next_unit + offset;
        let value: i64 = digits.parse().ok()?;
        total = total.checked_add(value.checked_mul(UNITS[index].1)?)?;
        digits.clear();
        next_unit = index + 1;
    }
    if !digits.is_empty() {
        return None;
    }
    Duration::try_seconds(total)
}

/// A humane duration (what [`parse_duration`] reads) that is not negative and at most `max`:
/// playbook due times and the like.
pub fn parse_duration_within(input: &str, max: Duration) -> Option<Duration> {
    parse_duration(input).filter(|d| *d >= Duration::zero() && *d <= max)
}

/// A configured interval, timeout or delay: what [`parse_duration`] reads (`"60s"`, `"5m"`,
/// `"1h30m"`), or milliseconds (`"250ms"`), or a bare number of seconds; at most a year. The
/// error says how to write one.
pub fn parse_config_duration(input: &str) -> Result<std::time::Duration, String> {
    let s = input.trim();
    let bad = || {
        format!(
            "`{}` is not a duration; write it like \"60s\", \"5m\", \"1h30m\" or \"250ms\"",
            input.escape_debug()
        )
    };
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    if let Some(ms) = s.strip_suffix("ms")
        && let Ok(ms) = ms.parse::<u64>()
    {
        return Ok(std::time::Duration::from_millis(ms));
    }
    parse_duration(s)
        .and_then(|d| d.to_std().ok())
        .filter(|d| d.as_secs() <= 365 * 86_400)
        .ok_or_else(bad)
}

/// Formats a configured duration the way [`parse_config_duration`] reads it (`"60s"`,
/// `"250ms"`, `"5m"`).
pub fn format_config_duration(d: std::time::Duration) -> String {
    if d.subsec_millis() != 0 {
        return format!("{}ms", d.as_millis());
    }
    format_duration(Duration::seconds(d.as_secs() as i64))
}

/// Formats a duration the way [`parse_duration`] reads it (`1h30m`, `45s`, `0m`); negative
/// values get a leading `-`.
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.num_seconds();
    let mut out = String::new();
    if secs < 0 {
        out.push('-');
        secs = -secs;
    }
    if secs == 0 {
        out.push_str("0m");
        return out;
    }
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

/// `hh:mm:ss` for an elapsed time, with days as a prefix when over 24 hours (`1d 02:03:04`).
pub fn format_elapsed(d: Duration) -> String {
    let neg = d < Duration::zero();
    let secs = d.num_seconds().abs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let body = format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60);
    let sign = if neg { "-" } else { "" };
    if days > 0 {
        format!("{sign}{days}d {body}")
    } else {
        format!("{sign}{body}")
    }
}

/// Parses a time a person typed, relative to `now` and in `zone`:
/// `now`, `-5m`, `-1h30m` (ago), `14:32` or `14:32:10` (today, or yesterday if that would be in
/// the future), `2026-11-30 14:32[:ss]`, `2026-11-30T14:32[:ss]`, or RFC 3339 with an offset.
pub fn parse_when(input: &str, now: DateTime<Utc>, zone: Zone) -> Result<DateTime<Utc>, TimeError> {
    let err = || TimeError {
        input: input.to_string(),
    };
    let s = input.trim();
    if s.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Some(rest) = s.strip_prefix('-') {
        return parse_duration(rest).map(|d| now - d).ok_or_else(err);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in ["%H:%M", "%H:%M:%S"] {
        if let Ok(t) = NaiveTime::parse_from_str(s, fmt) {
            let today = zone.to_wall(now).date_naive();
            let at = zone.from_wall(today.and_time(t)).ok_or_else(err)?;
            if at > now {
                let yesterday = today.pred_opt().ok_or_else(err)?;
                return zone.from_wall(yesterday.and_time(t)).ok_or_else(err);
            }
            return Ok(at);
        }
    }
    for fmt in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return zone.from_wall(t).ok_or_else(err);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return zone.from_wall(d.and_time(NaiveTime::MIN)).ok_or_else(err);
    }
    Err(err())
}

/// How far ahead of the clock a typed time may be (clocks differ a little).
pub const TYPED_AHEAD_MAX: Duration = Duration::minutes(5);
/// How long before the incident's opening a typed time may be without a warning.
pub const TYPED_BEFORE_OPENING: Duration = Duration::days(7);

/// Why a time a person typed for the incident's record is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypedTimeError {
    #[error(
        "{at} is in the future (more than 5 minutes after now, {now}): the timeline records what has happened; check the date and the time zone"
    )]
    Future { at: String, now: String },
    #[error("{at} is before the year 2000: check the year")]
    TooOld { at: String },
}

/// The rule for times a person types into the record (`--at`, the add and edit boxes,
/// `:keytime`, `warroom close --started` and the other key times): more than
/// [`TYPED_AHEAD_MAX`] after `now`, or before the year 2000, is refused; more than
/// [`TYPED_BEFORE_OPENING`] before the incident was `opened` is accepted with the warning
/// returned. Times that come from elsewhere (drills, other consoles, follow-up due dates) are
/// not checked. `zone` is for the messages.
pub fn check_typed_time(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    opened: Option<DateTime<Utc>>,
    zone: Zone,
) -> Result<Option<String>, TypedTimeError> {
    let show = |t| WithOffset(t, zone).to_string();
    if at > now + TYPED_AHEAD_MAX {
        return Err(TypedTimeError::Future {
            at: show(at),
            now: show(now),
        });
    }
    if at
        < Utc
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(at)
    {
        return Err(TypedTimeError::TooOld { at: show(at) });
    }
    Ok(opened.filter(|o| at < *o - TYPED_BEFORE_OPENING).map(|o| {
        format!(
            "{} is more than 7 days before the incident was opened ({}); kept as typed",
            show(at),
            show(o)
        )
    }))
}

/// Whether a token looks like the start of a time (used to split `-4m fixed MX` into time and
/// text).
pub fn looks_like_time(token: &str) -> bool {
    let t = token.trim();
    (t.starts_with('-') && t.len() > 1 && t[1..].starts_with(|c: char| c.is_ascii_digit()))
        || (t.len() >= 4 && t.contains(':') && t.chars().all(|c| c.is_ascii_digit() || c == ':'))
        || t.eq_ignore_ascii_case("now")
}

/// Shows an instant in `zone`: `14:32:05` when it falls on the same day as `now`, else
/// `Nov 29 23:58:01` (and the year too when it differs).
pub fn show_time(at: DateTime<Utc>, now: DateTime<Utc>, zone: Zone) -> String {
    let wall = zone.to_wall(at);
    let today = zone.to_wall(now);
    if wall.date_naive() == today.date_naive() {
        wall.format("%H:%M:%S").to_string()
    } else if wall.format("%Y").to_string() == today.format("%Y").to_string() {
        wall.format("%b %d %H:%M:%S").to_string()
    } else {
        wall.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// A fixed-width (15 columns) rendering of [`show_time`], right-aligned, for tables.
pub fn show_time_padded(at: DateTime<Utc>, now: DateTime<Utc>, zone: Zone) -> String {
    format!("{:>15}", show_time(at, now, zone))
}

/// Wraps an instant for `Display` in a zone with its offset: `2026-11-30 14:32:05 +01:00`.
pub struct WithOffset(pub DateTime<Utc>, pub Zone);

impl fmt::Display for WithOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            self.1.to_wall(self.0).format("%Y-%m-%d %H:%M:%S %:z")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_durations() {
        use std::time::Duration;
        let parse_duration = parse_config_duration;
        let format_duration = format_config_duration;
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
        for bad in ["", "s", "5x", "-5s", "1..2s", "5m3", "abc"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        for d in [60_000, 250, 300_000, 3_600_000, 1500] {
            let d = Duration::from_millis(d);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap()
    }

    #[test]
    fn relative_times() {
        assert_eq!(
            parse_when("-5m", now(), Zone::UTC).unwrap(),
            now() - Duration::minutes(5)
        );
        assert_eq!(
            parse_when("-1h30m", now(), Zone::UTC).unwrap(),
            now() - Duration::minutes(90)
        );
        assert_eq!(parse_when("now", now(), Zone::UTC).unwrap(), now());
    }

    #[test]
    fn clock_times_today_or_yesterday() {
        assert_eq!(
            parse_when("13:32", now(), Zone::UTC).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 30, 13, 32, 0).unwrap()
        );
        // 14:32 is still in the future at 14:00, so it means yesterday.
        assert_eq!(
            parse_when("14:32", now(), Zone::UTC).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 29, 14, 32, 0).unwrap()
        );
        assert_eq!(
            parse_when("13:59:30", now(), Zone::UTC).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 30, 13, 59, 30).unwrap()
        );
    }

    #[test]
    fn clock_times_in_a_named_zone() {
        let ny = Zone::Named(chrono_tz::America::New_York);
        // 14:00 UTC is 09:00 in New York (EST, UTC-5).
        assert_eq!(
            parse_when("08:30", now(), ny).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 30, 13, 30, 0).unwrap()
        );
    }

    #[test]
    fn absolute_times() {
        let want = Utc.with_ymd_and_hms(2026, 11, 30, 14, 32, 0).unwrap();
        assert_eq!(
            parse_when("2026-11-30 14:32", now(), Zone::UTC).unwrap(),
            want
        );
        assert_eq!(
            parse_when("2026-11-30T14:32", now(), Zone::UTC).unwrap(),
            want
        );
        assert_eq!(
            parse_when("2026-11-30T15:32:00+01:00", now(), Zone::UTC).unwrap(),
            want
        );
        assert_eq!(
            parse_when("2026-11-30T14:32:00Z", now(), Zone::UTC).unwrap(),
            want
        );
    }

    #[test]
    fn bad_times_are_errors() {
        for bad in [
            "",
            "-",
            "-5x",
            "25:00",
            "yesterday",
            "2026-13-01 10:00",
            "-m",
        ] {
            let e = parse_when(bad, now(), Zone::UTC).unwrap_err();
            assert!(e.to_string().contains("-5m"), "{e}");
        }
    }

    #[test]
    fn durations_round_trip() {
        assert_eq!(parse_duration("15m"), Some(Duration::minutes(15)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration("1h5m3s"), Some(Duration::seconds(3903)));
        assert_eq!(parse_duration("5m1h"), None);
        assert_eq!(parse_duration("15"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
        assert_eq!(format_duration(Duration::zero()), "0m");
        assert_eq!(format_elapsed(Duration::seconds(3723)), "01:02:03");
        assert_eq!(format_elapsed(Duration::seconds(90_061)), "1d 01:01:01");
    }

    #[test]
    fn shows_date_when_not_today() {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 23, 58, 1).unwrap();
        assert_eq!(show_time(at, now(), Zone::UTC), "Nov 29 23:58:01");
        assert_eq!(show_time(now(), now(), Zone::UTC), "14:00:00");
    }

    #[test]
    fn typed_times_that_cannot_be_right() {
        let opened = now() - Duration::hours(2);
        let ok = |at| check_typed_time(at, now(), Some(opened), Zone::UTC);
        assert_eq!(ok(now()), Ok(None));
        assert_eq!(ok(now() + Duration::minutes(5)), Ok(None));
        let e = ok(now() + Duration::minutes(5) + Duration::seconds(1)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("2026-11-30 14:05:01 +00:00 is in the future"),
            "{e}"
        );
        let old = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap();
        assert!(
            ok(old)
                .unwrap_err()
                .to_string()
                .contains("before the year 2000")
        );
        let y2k = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
        assert!(
            ok(y2k)
                .unwrap()
                .unwrap()
                .contains("more than 7 days before")
        );
        // Up to 7 days before the opening is plain backdating.
        assert_eq!(ok(opened - Duration::days(7)), Ok(None));
        let w = ok(opened - Duration::days(7) - Duration::seconds(1))
            .unwrap()
            .unwrap();
        assert!(
            w.contains("2026-11-30 12:00:00 +00:00") && w.contains("kept as typed"),
            "{w}"
        );
        // Without an incident (none opened yet) only the hard limits apply.
        assert_eq!(check_typed_time(y2k, now(), None, Zone::UTC), Ok(None));
        // Messages are in the zone the person types in.
        let ny = Zone::Named(chrono_tz::America::New_York);
        let e = check_typed_time(now() + Duration::hours(1), now(), None, ny).unwrap_err();
        assert!(e.to_string().contains("10:00:00 -05:00"), "{e}");
    }

    #[test]
    fn time_tokens() {
        assert!(looks_like_time("-4m"));
        assert!(looks_like_time("14:32"));
        assert!(!looks_like_time("-foo"));
        assert!(!looks_like_time("fixed"));
    }
}
