//! The tracer: token, requests within the budget, paging, decoding and the rows it sends.

use super::*;

/// One page of a Graph collection; entries are decoded one by one so a bad one is skipped.
#[derive(Deserialize)]
pub(super) struct Page {
    #[serde(default)]
    value: Vec<Value>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

/// An `exchangeMessageTrace`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireTrace {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    sender_address: Option<String>,
    #[serde(default)]
    recipient_address: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    received_date_time: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// An `exchangeMessageTraceDetail`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireDetail {
    #[serde(default)]
    date_time: Option<String>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

pub(super) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) fn opt_line(s: &Option<String>, cap: usize) -> String {
    sanitize_line(s.as_deref().unwrap_or(""), cap)
}

/// Maps one Graph entry to a row, or says why it cannot be one.
pub(super) fn to_row(v: Value, source: &str) -> Result<TraceRow, String> {
    let w: WireTrace = serde_json::from_value(v).map_err(|e| format!("unreadable entry: {e}"))?;
    let raw_time = opt_line(&w.received_date_time, 64);
    let received = parse_time(&raw_time)
        .ok_or_else(|| format!("entry without a usable receivedDateTime ({raw_time:?})"))?;
    let message_id = opt_line(&w.message_id, ADDR_CAP);
    let id = opt_line(&w.id, ADDR_CAP);
    let status_text = opt_line(&w.status, 64);
    Ok(TraceRow {
        received,
        sender: opt_line(&w.sender_address, ADDR_CAP),
        recipient: opt_line(&w.recipient_address, ADDR_CAP),
        subject: opt_line(&w.subject, FIELD_CAP),
        // `recalled`, `unknownFutureValue` and anything newer: unknown.
        status: status_text.parse().unwrap_or(TraceStatus::Unknown),
        reply: String::new(),
        key: if id.is_empty() {
            message_id.clone()
        } else {
            id
        },
        message_id,
        source: source.to_string(),
        deferrals: Vec::new(),
        last_event: None,
        delay_ms: None,
        dsn: String::new(),
    })
}

pub(super) fn is_defer(event: &str) -> bool {
    event.eq_ignore_ascii_case("defer")
}

pub(super) fn is_fail(event: &str) -> bool {
    event.eq_ignore_ascii_case("fail") || event.eq_ignore_ascii_case("failed")
}

/// Message trace for one Exchange Online tenant.
pub struct ExoTracer {
    name: String,
    base: String,
    origin: String,
    http: HttpClient,
    tokens: TokenCache,
    options: ExoOptions,
    max_retries: u32,
    max_retry_delay: Duration,
    fallback_retry_delay: Duration,
    budget: RequestBudget,
    clock: Clock,
}

impl fmt::Debug for ExoTracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExoTracer")
            .field("name", &self.name)
            .field("base", &self.base)
            .field("tokens", &self.tokens)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

pub(super) enum Stop {
    Budget(ExoError),
    Pages,
}

impl ExoTracer {
    /// A tracer for `cfg` (kind `exchange-online`) with the default options.
    pub fn new(cfg: &TraceSourceConfig, http: HttpClient) -> Result<Self, ExoError> {
        Self::with_options(cfg, http, ExoOptions::default())
    }

    /// A tracer with explicit options (a smaller budget, another timeout, …).
    pub fn with_options(
        cfg: &TraceSourceConfig,
        http: HttpClient,
        options: ExoOptions,
    ) -> Result<Self, ExoError> {
        let TraceSourceKind::ExchangeOnline {
            tenant,
            client_id,
            secret,
            base_url,
            token_url,
        } = &cfg.kind
        else {
            return Err(ExoError::NotExchangeOnline(sanitize_line(&cfg.name, 200)));
        };
        let config_err = |detail: String| ExoError::Config {
            name: sanitize_line(&cfg.name, 200),
            detail,
        };
        let base = base_url.trim().trim_end_matches('/').to_string();
        let origin = origin_of(&base).ok_or_else(|| {
            config_err(format!(
                "`base_url` {} is not an absolute http(s) URL; fix it in the config (default https://graph.microsoft.com)",
                sanitize_line(&base, 200)
            ))
        })?;
        let authority = token_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_AUTHORITY)
            .to_string();
        if origin_of(&authority).is_none() {
            return Err(config_err(format!(
                "`token_url` {} is not an absolute http(s) URL; fix it in the config (default {DEFAULT_AUTHORITY})",
                sanitize_line(&authority, 200)
            )));
        }
        if options.budget_limit == 0 || options.page_size == 0 || options.max_pages == 0 {
            return Err(config_err(
                "the budget, page size and page cap must be at least 1".to_string(),
            ));
        }
        let creds = ClientCredentials {
            authority,
            tenant: tenant.clone(),
            client_id: client_id.clone(),
            secret: secret.clone().into(),
            scope: GRAPH_SCOPE.to_string(),
        };
        let tokens = TokenCache::new(http.clone(), creds, options.request.clone());
        let o = http.options();
        Ok(Self {
            name: cfg.name.clone(),
            base,
            origin,
            max_retries: o.max_retries,
            max_retry_delay: o.max_retry_delay,
            fallback_retry_delay: o.fallback_retry_delay,
            http: http.without_retries(),
            tokens,
            budget: RequestBudget::new(options.budget_limit, options.budget_window),
            options,
            clock: Arc::new(Utc::now),
        })
    }

    /// Replaces the clock the request budget runs on (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configured source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The request budget at `now`.
    pub fn budget(&self, now: DateTime<Utc>) -> Budget {
        self.budget.snapshot(now)
    }

    /// Runs `q` against Graph, streaming matching rows (and warnings) to `sink`. `now` sets the
    /// default window and the clamps. See the module docs for the rules.
    pub async fn query(
        &mut self,
        q: &TraceQuery,
        now: DateTime<Utc>,
        mut sink: impl FnMut(ScanMsg),
    ) -> Result<ExoStats, ExoError> {
        let started = Instant::now();
        let plan = plan(q, now)?;
        let mut stats = ExoStats {
            since: plan.since,
            until: plan.until,
            requests: 0,
            pages: 0,
            rows_received: 0,
            rows: 0,
            warnings: 0,
            complete: true,
            elapsed: Duration::ZERO,
        };
        let name = self.name.clone();
        let warn = |sink: &mut dyn FnMut(ScanMsg), message: String, stats: &mut ExoStats| {
            stats.warnings += 1;
            sink(ScanMsg::Warning(ScanWarning {
                source: name.clone(),
                file: None,
                line: None,
                message,
            }));
        };
        for c in &plan.clamps {
            warn(&mut sink, c.clone(), &mut stats);
        }
        let mut rows_out = Vec::new();
        let mut next = Some(format!(
            "{}/v1.0/admin/exchange/tracing/messageTraces?$filter={}&$top={}",
            self.base,
            pct(&plan.filter, b"'(),:@"),
            self.options.page_size
        ));
        let mut stop = None;
        while let Some(url) = next.take() {
            if stats.pages >= self.options.max_pages {
                stop = Some(Stop::Pages);
                break;
            }
            let page = match self.get_page(&url, &mut stats.requests).await {
                Ok(p) => p,
                Err(e @ ExoError::Budget { .. }) if stats.pages > 0 => {
                    stop = Some(Stop::Budget(e));
                    break;
                }
                Err(e) => return Err(e),
            };
            stats.pages += 1;
            let mut bad = 0usize;
            let mut first_bad = String::new();
            for v in page.value {
                stats.rows_received += 1;
                match to_row(v, &self.name) {
                    Ok(row) if q.matches(&row) => rows_out.push(row),
                    Ok(_) => {}
                    Err(why) => {
                        if bad == 0 {
                            first_bad = why;
                        }
                        bad += 1;
                    }
                }
            }
            if bad > 0 {
                warn(
                    &mut sink,
                    format!(
                        "page {}: {bad} entr{} skipped ({})",
                        stats.pages,
                        if bad == 1 { "y" } else { "ies" },
                        sanitize_line(&first_bad, EXCERPT_CAP)
                    ),
                    &mut stats,
                );
            }
            for row in rows_out.drain(..) {
                stats.rows += 1;
                sink(ScanMsg::Row(row));
            }
            next = page.next_link;
        }
        match stop {
            Some(Stop::Pages) => {
                stats.complete = false;
                warn(
                    &mut sink,
                    format!(
                        "stopped after {} pages ({} rows): the results are incomplete; narrow the query (shorter window, a sender or recipient)",
                        stats.pages, stats.rows_received
                    ),
                    &mut stats,
                );
            }
            Some(Stop::Budget(e)) => {
                stats.complete = false;
                warn(
                    &mut sink,
                    format!(
                        "stopped after {} pages, the results are incomplete: {e}",
                        stats.pages
                    ),
                    &mut stats,
                );
            }
            None => {}
        }
        stats.elapsed = started.elapsed();
        Ok(stats)
    }

    /// The events Exchange Online recorded for one row (`trace_id` is the row's `key`), oldest
    /// first.
    pub async fn chain(
        &mut self,
        trace_id: &str,
        recipient: &str,
    ) -> Result<Vec<TraceEvent>, ExoError> {
        let id = trace_id.trim();
        if id.is_empty()
            || id.len() > 100
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ExoError::BadArgument(format!(
                "{:?} is not an Exchange Online message trace id (a GUID such as a3f6d2c1-5c3b-4f7a-9d1e-2c8f1b0a6e45); pick a row from an Exchange Online query",
                sanitize_line(id, 100)
            )));
        }
        let Some(rcpt) = full_address(recipient) else {
            return Err(ExoError::BadArgument(format!(
                "{:?} is not a full recipient address; the detail of an Exchange Online row needs its recipient (user@contoso.com)",
                sanitize_line(recipient, 100)
            )));
        };
        let mut next = Some(format!(
            "{}/v1.0/admin/exchange/tracing/messageTraces/{id}/getDetailsByRecipient(recipientAddress={})",
            self.base,
            pct(&odata_string(&rcpt), b"'@")
        ));
        let mut events = Vec::new();
        let mut requests = 0;
        let mut pages = 0;
        while let Some(url) = next.take() {
            let page = self.get_page(&url, &mut requests).await?;
            pages += 1;
            for v in page.value {
                let Ok(d) = serde_json::from_value::<WireDetail>(v) else {
                    continue;
                };
                let Some(time) = d.date_time.as_deref().and_then(parse_time) else {
                    continue;
                };
                events.push(TraceEvent {
                    time,
                    server: EXO_SERVER.to_string(),
                    source: self.name.clone(),
                    file: PathBuf::new(),
                    line: 0,
                    event: opt_line(&d.event, 64),
                    recipients: vec![rcpt.clone()],
                    detail: opt_line(&d.description, FIELD_CAP),
                });
            }
            if pages < self.options.max_pages {
                next = page.next_link;
            }
        }
        events.sort_by_key(|e| e.time);
        Ok(events)
    }

    /// Fills `row.reply` with the description of its last `Defer`/`Fail` event, `deferrals` with
    /// the `Defer` times and `last_event` with the time of the last event (one request).
    pub async fn enrich_reply(&mut self, row: &mut TraceRow) -> Result<(), ExoError> {
        let events = self.chain(&row.key, &row.recipient).await?;
        if let Some(e) = events
            .iter()
            .rev()
            .find(|e| is_defer(&e.event) || is_fail(&e.event))
        {
            row.reply = e.detail.clone();
        }
        row.deferrals = events
            .iter()
            .filter(|e| is_defer(&e.event))
            .map(|e| e.time)
            .collect();
        row.last_event = events.last().map(|e| e.time);
        Ok(())
    }

    /// One authorised GET within the budget: throttling retried after `Retry-After`, a 401
    /// answered with one new token. Every request sent is counted in `requests` and the budget.
    async fn get_page(&mut self, url: &str, requests: &mut usize) -> Result<Page, ExoError> {
        if origin_of(url).as_deref() != Some(self.origin.as_str()) {
            return Err(ExoError::ForeignNextLink(sanitize_line(url, 200)));
        }
        let mut token = self.token().await?;
        let mut refreshed = false;
        let mut retries = 0u32;
        loop {
            self.budget.acquire((self.clock)())?;
            *requests += 1;
            let result = self
                .http
                .get_bearer(url, &token, &self.options.request)
                .await;
            match result {
                Ok(resp) => {
                    return resp
                        .json::<Page>()
                        .map_err(|e| ExoError::Net(scrub(e, &token)));
                }
                Err(NetError::Throttled {
                    status,
                    retry_after,
                    ..
                }) => {
                    let delay = retry_after.unwrap_or_else(|| {
                        self.fallback_retry_delay
                            .saturating_mul(2u32.saturating_pow(retries))
                    });
                    if retries >= self.max_retries || delay > self.max_retry_delay {
                        return Err(ExoError::Throttled {
                            status,
                            retry_after,
                        });
                    }
                    tracing::debug!(
                        source = %self.name,
                        status,
                        delay_ms = delay.as_millis() as u64,
                        "message trace throttled, retrying"
                    );
                    tokio::time::sleep(delay).await;
                    retries += 1;
                }
                Err(NetError::Status { status: 401, .. }) if !refreshed => {
                    tracing::debug!(source = %self.name, "Graph answered 401; refreshing the token once");
                    refreshed = true;
                    self.tokens.invalidate().await;
                    token = self.token().await?;
                }
                Err(NetError::Status {
                    status, excerpt, ..
                }) => {
                    let excerpt = match scrub_text(&excerpt, &token) {
                        e if e.is_empty() => String::new(),
                        e => format!(": {e}"),
                    };
                    return Err(match status {
                        401 | 403 => ExoError::Forbidden { status, excerpt },
                        400..=499 => ExoError::Rejected { status, excerpt },
                        _ => ExoError::Net(NetError::Status {
                            url: url.to_string(),
                            status,
                            excerpt,
                        }),
                    });
                }
                Err(e) => return Err(ExoError::Net(scrub(e, &token))),
            }
        }
    }

    async fn token(&self) -> Result<Secret, ExoError> {
        self.tokens.token().await.map_err(|e| match e {
            AuthError::Rejected {
                status,
                code,
                description,
            } => ExoError::TokenRefused {
                name: sanitize_line(&self.name, 200),
                status,
                detail: match (code.is_empty(), description.is_empty()) {
                    (true, true) => String::new(),
                    (false, true) => format!(" {code}"),
                    (true, false) => format!(": {description}"),
                    (false, false) => format!(" {code}: {description}"),
                },
            },
            source => ExoError::Auth {
                name: sanitize_line(&self.name, 200),
                source,
            },
        })
    }
}

pub(super) fn scrub_text(text: &str, token: &Secret) -> String {
    sanitize_line(&token.scrub(text), EXCERPT_CAP)
}

/// Keeps the access token out of anything a server could have echoed back.
pub(super) fn scrub(e: NetError, token: &Secret) -> NetError {
    match e {
        NetError::Status {
            url,
            status,
            excerpt,
        } => NetError::Status {
            url,
            status,
            excerpt: scrub_text(&excerpt, token),
        },
        NetError::Decode { url, what, detail } => NetError::Decode {
            url,
            what,
            detail: scrub_text(&detail, token),
        },
        other => other,
    }
}
