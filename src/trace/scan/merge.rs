//! The aggregation half of a run: folding parsed events into one state per message and file,
//! withdrawing a file's share, joining the queue ids a content filter links, and emitting the
//! rows that changed.

use super::read::signatures;
use super::*;

impl TraceScan {
    pub(super) fn new_entry(
        &mut self,
        source: usize,
        path: &Path,
        id: FileId,
        len: u64,
        modified: Option<SystemTime>,
    ) -> usize {
        let file = Arc::new(path.to_path_buf());
        let entry = FileEntry {
            source,
            path: path.to_path_buf(),
            file,
            id: id.clone(),
            gz: false,
            len,
            modified,
            offset: 0,
            next_line: 1,
            head_sig: Vec::new(),
            tail_sig: Vec::new(),
            started: false,
            rejected: None,
            parser: None,
            committed: HashMap::new(),
            overlay: HashMap::new(),
            committed_links: HashSet::new(),
            overlay_links: HashSet::new(),
            overlong: (0, None),
            read_error: None,
            unterminated: None,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s] = Some(entry);
                s
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        };
        self.by_id.insert((source, id), slot);
        slot
    }

    /// Withdraws everything a file contributed.
    pub(super) fn retract(&mut self, slot: usize) {
        let Some(e) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        if self.by_id.get(&(e.source, e.id.clone())) == Some(&slot) {
            self.by_id.remove(&(e.source, e.id.clone()));
        }
        let links = e.links();
        for key in e.committed.keys().chain(e.overlay.keys()) {
            self.unindex(key, slot);
            self.dirty.insert(key.clone());
        }
        for l in links {
            self.unlink(l);
        }
        self.free.push(slot);
    }

    pub(super) fn unindex(&mut self, key: &AggKey, slot: usize) {
        if let Some(v) = self.index.get_mut(key) {
            v.retain(|s| *s != slot);
            if v.is_empty() {
                self.index.remove(key);
            }
        }
    }

    pub(super) fn link(&mut self, l: (AggKey, AggKey)) {
        let n = self.link_count.entry(l.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            self.children
                .entry(l.0.clone())
                .or_default()
                .insert(l.1.clone());
            self.parents
                .entry(l.1.clone())
                .or_default()
                .insert(l.0.clone());
        }
        self.dirty.insert(l.0);
        self.dirty.insert(l.1);
    }

    pub(super) fn unlink(&mut self, l: (AggKey, AggKey)) {
        let Some(n) = self.link_count.get_mut(&l) else {
            return;
        };
        *n -= 1;
        if *n == 0 {
            self.link_count.remove(&l);
            if let Some(c) = self.children.get_mut(&l.0) {
                c.remove(&l.1);
                if c.is_empty() {
                    self.children.remove(&l.0);
                }
            }
            if let Some(p) = self.parents.get_mut(&l.1) {
                p.remove(&l.0);
                if p.is_empty() {
                    self.parents.remove(&l.1);
                }
            }
        }
        self.dirty.insert(l.0);
        self.dirty.insert(l.1);
    }

    /// Folds one committed event of file `slot`.
    pub(super) fn fold(&mut self, slot: usize, ev: RawEvent) {
        let keep = self.keep_events;
        let name = self.sources.get(ev.source).map_or("", |s| s.name.as_str());
        let Some(e) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let key = ev.key.clone();
        let fresh = !e.committed.contains_key(&key) && !e.overlay.contains_key(&key);
        e.committed
            .entry(key.clone())
            .or_default()
            .fold(&ev, keep, name);
        let new_link = ev.link.as_ref().and_then(|l| {
            let pair = (key.clone(), l.clone());
            (e.committed_links.insert(pair.clone()) && !e.overlay_links.contains(&pair))
                .then_some(pair)
        });
        if fresh {
            self.index.entry(key.clone()).or_default().push(slot);
        }
        if let Some(pair) = new_link {
            self.link(pair);
        }
        self.dirty.insert(key);
    }

    /// Stores what a job handed back and rebuilds the file's overlay of open messages.
    pub(super) fn finish_job(&mut self, done: JobDone) {
        let slot = done.slot;
        let name_of: Vec<String> = self.sources.iter().map(|s| s.name.clone()).collect();
        let keep = self.keep_events;
        let Some(e) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        e.parser = Some(done.parser);
        e.offset = done.offset;
        e.next_line = done.next_line;
        e.started = done.started;
        e.gz = done.gz;
        if let Some(r) = done.rejected {
            e.rejected = Some(r);
            e.offset = e.len;
        }
        for l in done.overlong {
            e.overlong.0 += 1;
            e.overlong.1.get_or_insert(l);
        }
        e.read_error = done.read_error;
        e.unterminated = done.unterminated;
        let (head, tail) = signatures(&e.path, e.offset, e.gz);
        e.head_sig = head;
        e.tail_sig = tail;
        // The overlay: committed state plus the provisional events, for the keys they touch.
        let old_links = e.links();
        let old_keys: Vec<AggKey> = e.overlay.keys().cloned().collect();
        let mut overlay: HashMap<AggKey, MessageAgg> = HashMap::new();
        for ev in &done.provisional {
            overlay
                .entry(ev.key.clone())
                .or_insert_with(|| e.committed.get(&ev.key).cloned().unwrap_or_default())
                .fold(ev, keep, &name_of[ev.source]);
        }
        e.overlay_links = overlay
            .iter()
            .flat_map(|(k, a)| a.links.iter().map(move |l| (k.clone(), l.clone())))
            .collect();
        let new_keys: Vec<AggKey> = overlay.keys().cloned().collect();
        e.overlay = overlay;
        let new_links = e.links();
        let unindexed: Vec<AggKey> = old_keys
            .iter()
            .filter(|k| !e.overlay.contains_key(*k) && !e.committed.contains_key(*k))
            .cloned()
            .collect();
        let indexed: Vec<AggKey> = new_keys
            .iter()
            .filter(|k| !e.committed.contains_key(*k) && !old_keys.contains(k))
            .cloned()
            .collect();
        for k in unindexed {
            self.unindex(&k, slot);
        }
        for k in indexed {
            self.index.entry(k).or_default().push(slot);
        }
        for l in new_links.difference(&old_links) {
            self.link(l.clone());
        }
        for l in old_links.difference(&new_links) {
            self.unlink(l.clone());
        }
        self.dirty.extend(old_keys);
        self.dirty.extend(new_keys);
    }

    /// The message `key` across every file that holds it.
    pub(super) fn view(&self, key: &AggKey) -> Option<Cow<'_, MessageAgg>> {
        let slots = self.index.get(key)?;
        let mut views = slots
            .iter()
            .filter_map(|s| self.slots.get(*s)?.as_ref()?.view(key));
        let first = views.next()?;
        let mut merged: Option<MessageAgg> = None;
        for v in views {
            merged.get_or_insert_with(|| first.clone()).merge(v);
        }
        Some(match merged {
            Some(m) => Cow::Owned(m),
            None => Cow::Borrowed(first),
        })
    }

    /// The first queue id of the message `key` belongs to (following content-filter links
    /// back).
    pub(super) fn root_of(&self, key: &AggKey) -> AggKey {
        let mut cur = key.clone();
        let mut seen: HashSet<AggKey> = HashSet::new();
        while let Some(p) = self.parents.get(&cur).and_then(|ps| ps.iter().next()) {
            if !seen.insert(cur.clone()) {
                break;
            }
            cur = p.clone();
        }
        cur
    }

    /// `root` and the keys it went on under, with their depth.
    pub(super) fn members(&self, root: &AggKey) -> Vec<(usize, AggKey)> {
        let mut out = vec![(0, root.clone())];
        let mut seen: HashSet<AggKey> = HashSet::from([root.clone()]);
        let mut i = 0;
        while i < out.len() {
            let (d, k) = out[i].clone();
            if let Some(cs) = self.children.get(&k) {
                for c in cs {
                    if seen.insert(c.clone()) {
                        out.push((d + 1, c.clone()));
                    }
                }
            }
            i += 1;
        }
        out
    }

    pub(super) fn row_key(&self, key: &AggKey) -> String {
        match key {
            AggKey::Exchange(m) => m.clone(),
            AggKey::Postfix { source, qid } => format!("{}/{}", self.sources[*source].name, qid),
            AggKey::Single { source, id } => format!("{}/{}", self.sources[*source].name, id),
        }
    }

    /// Sends the rows of every message changed since the last call.
    pub(super) fn emit(&mut self, query: &TraceQuery, sink: &mut impl FnMut(ScanMsg)) {
        if self.dirty.is_empty() {
            return;
        }
        let dirty = std::mem::take(&mut self.dirty);
        let roots: BTreeSet<AggKey> = dirty.iter().map(|k| self.root_of(k)).collect();
        let names: Vec<&str> = self.sources.iter().map(|s| s.name.as_str()).collect();
        let mut updates: Vec<GroupUpdate> = Vec::new();
        for root in &roots {
            let members = self.members(root);
            let views: Vec<(usize, Cow<'_, MessageAgg>)> = members
                .iter()
                .filter_map(|(d, k)| self.view(k).map(|v| (*d, v)))
                .collect();
            let rows = if self.index.contains_key(root) {
                let refs: Vec<(usize, &MessageAgg)> =
                    views.iter().map(|(d, v)| (*d, v.as_ref())).collect();
                group_rows(&refs, &self.row_key(root), &names)
            } else {
                Vec::new()
            };
            let others: Vec<String> = members
                .iter()
                .skip(1)
                .map(|(_, k)| self.row_key(k))
                .collect();
            updates.push((self.row_key(root), rows, others));
        }
        for (rk, rows, others) in updates {
            let before = self.emitted.remove(&rk).unwrap_or_default();
            let mut now = BTreeSet::new();
            for (lower, row) in rows {
                if query.matches(&row) {
                    now.insert(lower);
                    sink(ScanMsg::Row(row));
                }
            }
            for gone in before.difference(&now) {
                sink(ScanMsg::Remove {
                    key: rk.clone(),
                    recipient: gone.clone(),
                });
            }
            if !now.is_empty() {
                self.emitted.insert(rk, now);
            }
            for other in others {
                for gone in self.emitted.remove(&other).unwrap_or_default() {
                    sink(ScanMsg::Remove {
                        key: other.clone(),
                        recipient: gone,
                    });
                }
            }
        }
    }

    /// Every file's warnings, in path order.
    pub(super) fn file_warnings(&self) -> Vec<ScanWarning> {
        let mut entries: Vec<&FileEntry> = self.slots.iter().flatten().collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let mut out = Vec::new();
        for e in entries {
            let mut push = |line: Option<u64>, message: String| {
                out.push(ScanWarning {
                    source: self.sources[e.source].name.clone(),
                    file: Some(e.path.clone()),
                    line,
                    message,
                })
            };
            if let Some(r) = &e.rejected {
                push(None, format!("{r}; file skipped"));
                continue;
            }
            if let Some(r) = &e.read_error {
                push(None, r.clone());
            }
            if let (n, Some(first)) = e.overlong {
                push(
                    Some(first),
                    if n == 1 {
                        format!("line longer than {} KiB, skipped", CHUNK >> 10)
                    } else {
                        format!(
                            "{n} lines longer than {} KiB skipped; the first here",
                            CHUNK >> 10
                        )
                    },
                );
            }
            if let Some(p) = &e.parser {
                for (line, message) in p.warnings() {
                    push(line, message);
                }
            }
            if let Some(line) = e.unterminated {
                push(
                    Some(line),
                    "incomplete last line (no line end), skipped".into(),
                );
            }
        }
        out
    }
}
