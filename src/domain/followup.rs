//! Follow-ups as their own model: each action decided at close gets an id, an owner, a due date
//! (a real date when one can be read, the text kept otherwise), a state (open, done, dropped
//! with a reason) and the tracker issues it was pushed to.
//!
//! Where they come from and how they change, all through the journal:
//! - a `closed` event carries the follow-ups decided at that close. Each gets an id derived from
//!   the closed event's id and its position (so journals written before follow-ups had ids get
//!   the same ids on every replay). A later close (after a reopen) that names a follow-up already
//!   recorded — the same action, ignoring case and spacing — updates its owner and due date and
//!   keeps its id, state and tracker issues: re-closing never duplicates a follow-up.
//! - `followup_changed` sets the state; competing changes resolve by (event time, event id), the
//!   later one winning, so every console agrees whatever order the events arrived in.
//! - `followup_pushed` records the tracker issue created for it (tracker name, key, URL), so a
//!   second push to the same tracker creates no duplicate.
//!
//! Both events are allowed on a closed incident (see `EventBody::allowed_on_closed`).
//!
//! A leaf below the incident: serde, chrono and uuid only.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::close_record::FollowUp;

/// How many hex digits of a follow-up id the lists show (a unique prefix is accepted).
pub const SHORT_ID: usize = 7;
/// `about` of the timeline entries follow-up events make (`followup/<id>`).
pub const ABOUT_FOLLOWUP: &str = "followup";

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpState {
    #[default]
    Open,
    Done,
    Dropped,
}

impl FollowUpState {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpState::Open => "open",
            FollowUpState::Done => "done",
            FollowUpState::Dropped => "dropped",
        }
    }
}

impl std::fmt::Display for FollowUpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tracker issue a follow-up was pushed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pushed {
    /// The tracker's name in the config.
    pub tracker: String,
    /// `owner/repo#12` or `OPS-7`.
    pub key: String,
    pub url: String,
    pub at: DateTime<Utc>,
}

/// One follow-up with everything the journal says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpItem {
    /// 16 hex digits; lists show the first [`SHORT_ID`].
    pub id: String,
    pub action: String,
    pub owner: String,
    /// The due date as written at close.
    pub due_text: Option<String>,
    /// The due date, when the text reads as one (`2026-12-15`, `2026/12/15`).
    pub due: Option<NaiveDate>,
    pub state: FollowUpState,
    /// Why it was dropped (or the note given with another change).
    pub reason: Option<String>,
    /// When the close that decided it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The change that set the state: (time, event id, by).
    #[serde(skip)]
    changed: Option<(DateTime<Utc>, Uuid)>,
    pub changed_by: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
    /// Tracker issues, in the order they were recorded.
    pub pushed: Vec<Pushed>,
}

impl FollowUpItem {
    /// The first [`SHORT_ID`] digits of the id.
    pub fn short_id(&self) -> &str {
        &self.id[..SHORT_ID.min(self.id.len())]
    }

    /// Open and past its due date (the due day itself is not overdue yet).
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state == FollowUpState::Open && self.due.is_some_and(|d| d < today)
    }

    /// The issue created for it on `tracker`, if any.
    pub fn pushed_to(&self, tracker: &str) -> Option<&Pushed> {
        self.pushed.iter().find(|p| p.tracker == tracker)
    }
}

/// The id of the `index`th follow-up of the `closed` event `event`: 64 bits of FNV-1a over the
/// event id and the index, as 16 hex digits. (A UUID v7 starts with its time, so two follow-ups
/// of one close would share the start of any id cut from the event id itself.)
pub fn derived_id(event: Uuid, index: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in event
        .as_bytes()
        .iter()
        .chain((index as u64).to_le_bytes().iter())
    {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A due text read as a date: `2026-12-15` or `2026/12/15` (anything after the date, such as a
/// time, is ignored). `None` for "next sprint" and the like.
pub fn parse_due(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let head: String = t.chars().take(10).collect();
    NaiveDate::parse_from_str(&head.replace('/', "-"), "%Y-%m-%d").ok()
}

/// The action as compared when a later close names the follow-ups again.
fn same_action(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// Every follow-up of an incident, in the order they were first recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUps {
    items: Vec<FollowUpItem>,
}

impl FollowUps {
    /// The follow-ups in order.
    pub fn all(&self) -> &[FollowUpItem] {
        &self.items
    }

    /// A follow-up by its full id.
    pub fn get(&self, id: &str) -> Option<&FollowUpItem> {
        self.items.iter().find(|f| f.id == id)
    }

    /// Records the follow-ups of a `closed` event (see the module's rule for ones already
    /// recorded). Returns whether anything changed.
    pub fn record_close(&mut self, event: Uuid, at: DateTime<Utc>, list: &[FollowUp]) -> bool {
        let mut changed = false;
        for (i, f) in list.iter().enumerate() {
            let due = f.due.as_deref().and_then(parse_due);
            if let Some(known) = self
                .items
                .iter_mut()
                .find(|k| same_action(&k.action, &f.action))
            {
                if known.owner != f.owner || known.due_text != f.due {
                    known.owner = f.owner.clone();
                    known.due_text = f.due.clone();
                    known.due = due;
                    changed = true;
                }
                continue;
            }
            self.items.push(FollowUpItem {
                id: derived_id(event, i),
                action: f.action.clone(),
                owner: f.owner.clone(),
                due_text: f.due.clone(),
                due,
                state: FollowUpState::Open,
                reason: None,
                recorded_at: at,
                changed: None,
                changed_by: None,
                changed_at: None,
                pushed: Vec::new(),
            });
            changed = true;
        }
        changed
    }

    /// A `followup_changed` event. The later change (by event time, then id) wins; an earlier
    /// one arriving late changes nothing. Returns the follow-up's action when it applied.
    pub fn change(
        &mut self,
        id: &str,
        state: FollowUpState,
        reason: Option<&str>,
        ev: (Uuid, DateTime<Utc>, &str),
    ) -> Option<String> {
        let (event, at, by) = ev;
        let f = self.items.iter_mut().find(|f| f.id == id)?;
        if f.changed.is_some_and(|c| c >= (at, event)) {
            return None;
        }
        f.changed = Some((at, event));
        f.changed_at = Some(at);
        f.changed_by = Some(by.to_string());
        f.state = state;
        f.reason = reason.map(str::to_string);
        Some(f.action.clone())
    }

    /// A `followup_pushed` event. Returns the follow-up's action when it applied (a second issue
    /// recorded for the same tracker is kept too, but the first is the one pushes compare with).
    pub fn pushed(&mut self, id: &str, p: Pushed) -> Option<String> {
        let f = self.items.iter_mut().find(|f| f.id == id)?;
        f.pushed.push(p);
        Some(f.action.clone())
    }
}

/// Which follow-up a typed id names among `items`: the whole id or a unique prefix of it
/// (at least 4 digits). The error says what to type instead.
pub fn resolve<'a, T>(
    wanted: &str,
    items: &'a [T],
    id_of: impl Fn(&T) -> &str,
) -> Result<&'a T, String> {
    let w = wanted.trim().to_ascii_lowercase();
    if w.len() < 4 || !w.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{wanted:?} is not a follow-up id: give the id `warroom followups` shows (at least 4 of its hex digits)"
        ));
    }
    let hits: Vec<&T> = items.iter().filter(|t| id_of(t).starts_with(&w)).collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no follow-up has the id {wanted:?}: `warroom followups --all` lists them with their ids"
        )),
        _ => Err(format!(
            "{} follow-ups start with {wanted:?}: give more of the id",
            hits.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn fu(a: &str, o: &str, d: Option<&str>) -> FollowUp {
        FollowUp {
            action: a.into(),
            owner: o.into(),
            due: d.map(str::to_string),
        }
    }

    #[test]
    fn ids_are_stable_distinct_and_hex() {
        let e = Uuid::now_v7();
        assert_eq!(derived_id(e, 0), derived_id(e, 0));
        assert_ne!(derived_id(e, 0), derived_id(e, 1));
        assert_ne!(
            derived_id(e, 0)[..SHORT_ID],
            derived_id(e, 1)[..SHORT_ID],
            "short ids of one close differ"
        );
        assert_eq!(derived_id(e, 3).len(), 16);
    }

    #[test]
    fn due_dates_are_read_when_they_are_dates() {
        assert_eq!(
            parse_due("2026-12-15"),
            NaiveDate::from_ymd_opt(2026, 12, 15)
        );
        assert_eq!(
            parse_due(" 2026/12/15 17:00"),
            NaiveDate::from_ymd_opt(2026, 12, 15)
        );
        assert_eq!(parse_due("next sprint"), None);
        assert_eq!(parse_due("2026-13-01"), None);
    }

    #[test]
    fn a_second_close_updates_instead_of_duplicating() {
        let mut f = FollowUps::default();
        let first = Uuid::now_v7();
        assert!(f.record_close(
            first,
            t(0),
            &[
                fu("Add a second MX", "bob", Some("2026-12-15")),
                fu("Alert on queue", "carol", None)
            ]
        ));
        let id0 = f.all()[0].id.clone();
        f.change(
            &id0,
            FollowUpState::Done,
            None,
            (Uuid::now_v7(), t(5), "bob"),
        );
        let again = Uuid::now_v7();
        assert!(f.record_close(
            again,
            t(10),
            &[
                fu("add a  second mx", "dave", Some("next sprint")),
                fu("Write runbook", "erin", None)
            ]
        ));
        let all = f.all();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].id, id0);
        assert_eq!(all[0].owner, "dave");
        assert_eq!(all[0].due, None);
        assert_eq!(all[0].state, FollowUpState::Done);
        assert_eq!(all[2].id, derived_id(again, 1));
        // The same close again changes nothing.
        assert!(!f.record_close(again, t(10), &[fu("Write runbook", "erin", None)]));
    }

    #[test]
    fn the_later_change_wins_in_any_order() {
        let setup = || {
            let mut f = FollowUps::default();
            f.record_close(Uuid::nil(), t(0), &[fu("a", "b", Some("2026-12-01"))]);
            f
        };
        let id = derived_id(Uuid::nil(), 0);
        let early = (Uuid::now_v7(), t(5), "x");
        let late = (Uuid::now_v7(), t(6), "y");
        let mut one = setup();
        one.change(&id, FollowUpState::Done, None, early);
        one.change(&id, FollowUpState::Dropped, Some("moot"), late);
        let mut two = setup();
        two.change(&id, FollowUpState::Dropped, Some("moot"), late);
        assert!(
            two.change(&id, FollowUpState::Done, None, early).is_none(),
            "an earlier change arriving late loses"
        );
        assert_eq!(one, two);
        assert_eq!(one.all()[0].state, FollowUpState::Dropped);
        assert_eq!(one.all()[0].reason.as_deref(), Some("moot"));
        assert!(
            one.change("nope", FollowUpState::Done, None, late)
                .is_none()
        );
    }

    #[test]
    fn overdue_is_open_and_past_due() {
        let mut f = FollowUps::default();
        f.record_close(Uuid::nil(), t(0), &[fu("a", "b", Some("2026-12-01"))]);
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let item = &f.all()[0];
        assert!(!item.overdue(day(1)));
        assert!(item.overdue(day(2)));
        let id = item.id.clone();
        f.change(&id, FollowUpState::Done, None, (Uuid::now_v7(), t(1), "b"));
        assert!(!f.all()[0].overdue(day(2)));
    }

    #[test]
    fn typed_ids_resolve_by_unique_prefix() {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ids = v(&["abcd1234", "abce5678", "ffff0000"]);
        let id = String::as_str;
        assert_eq!(resolve("ABCD", &ids, id).unwrap(), "abcd1234");
        assert!(resolve("abc", &ids, id).unwrap_err().contains("at least 4"));
        assert!(
            resolve("abcx", &ids, id)
                .unwrap_err()
                .contains("not a follow-up")
        );
        assert!(resolve("1234", &ids, id).unwrap_err().contains("--all"));
        let two = v(&["abcd1", "abcd2"]);
        assert!(
            resolve("abcd", &two, id)
                .unwrap_err()
                .contains("2 follow-ups")
        );
    }
}
