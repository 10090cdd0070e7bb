//! The four panes of the console, in focus order.

/// The four panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Health,
    Playbook,
    Trace,
    Timeline,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Health, Pane::Playbook, Pane::Trace, Pane::Timeline];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Health => "Health",
            Pane::Playbook => "Playbook",
            Pane::Trace => "Trace",
            Pane::Timeline => "Timeline",
        }
    }

    pub fn number(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    pub fn step(self, by: isize) -> Pane {
        let i = (self.number() as isize - 1 + by).rem_euclid(4) as usize;
        Pane::ALL[i]
    }
}
