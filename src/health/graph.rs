//! Microsoft 365 service health through Microsoft Graph
//! (`/admin/serviceAnnouncement/healthOverviews` and `/issues`).
//!
//! Rules:
//! - only the configured services (matched case-insensitively; an empty list means all);
//! - one item per watched service (`svc:<id>`) and one per issue; issues are kept while
//!   unresolved and for 24 h after they were resolved;
//! - status values are matched case-insensitively (the wire uses camelCase, Microsoft's examples
//!   PascalCase) and unknown values are kept verbatim with level `unknown`;
//! - levels: `serviceInterruption` → major_outage; `serviceDegradation`, `investigating`,
//!   `restoringService`, `verifyingService`, `extendedRecovery`, `investigationSuspended`,
//!   `confirmed`, `reported` → degraded; `serviceOperational`, `serviceRestored`,
//!   `postIncidentReviewPublished`, `falsePositive`, `resolved*`, `mitigated*` → operational;
//!   a resolved issue is operational whatever its status;
//! - the source level is the worst of the watched services and the open issues;
//! - `@odata.nextLink` is followed verbatim, but only to the configured base URL's origin (the
//!   bearer token must never go anywhere else), and at most [`MAX_PAGES`] pages.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::Deserialize;

use crate::domain::health::{GraphSource, HealthItem, HealthSourceConfig, ItemUpdate, Level};
use crate::net::http::origin_of;
use crate::net::oauth::{ClientCredentials, GRAPH_SCOPE, TokenCache};
use crate::net::{NetError, RequestOptions};

use super::{
    ParseError, STATUS_CAP, SourceContext, SourceError, SourceReport, TITLE_CAP, clean_line,
    html_to_text, parse_time, request_options,
};

/// Most pages followed per collection.
pub const MAX_PAGES: usize = 20;
/// How long a resolved issue stays listed.
pub const RESOLVED_WINDOW_HOURS: i64 = 24;

/// One page of a Graph collection.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    /// The entries.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// The absolute URL of the next page, if any.
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

/// A `serviceHealth` entry of `healthOverviews`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceHealth {
    /// Service id, e.g. `Exchange`.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name, e.g. `Exchange Online`.
    #[serde(default)]
    pub service: Option<String>,
    /// `serviceHealthStatus`.
    #[serde(default)]
    pub status: Option<String>,
}

/// A `serviceHealthIssue`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    /// E.g. `EX1234567`.
    #[serde(default)]
    pub id: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Start.
    #[serde(default)]
    pub start_date_time: Option<String>,
    /// End, `null` while ongoing.
    #[serde(default)]
    pub end_date_time: Option<String>,
    /// Last change.
    #[serde(default)]
    pub last_modified_date_time: Option<String>,
    /// `serviceHealthStatus`.
    #[serde(default)]
    pub status: Option<String>,
    /// Service display name.
    #[serde(default)]
    pub service: Option<String>,
    /// Feature, e.g. `Mailflow - delayed delivery from Internet`.
    #[serde(default)]
    pub feature: Option<String>,
    /// Whether it is resolved.
    #[serde(default)]
    pub is_resolved: Option<bool>,
    /// History posts.
    #[serde(default)]
    pub posts: Option<Vec<Post>>,
}

/// A `serviceHealthIssuePost`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    /// When it was posted.
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// The HTML body.
    #[serde(default)]
    pub description: Option<PostBody>,
}

/// An `itemBody`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostBody {
    /// The (HTML) content.
    #[serde(default)]
    pub content: Option<String>,
}

/// Parses one page of `healthOverviews`.
pub fn parse_overviews_page(body: &[u8]) -> Result<Page<ServiceHealth>, ParseError> {
    serde_json::from_slice(body).map_err(|e| ParseError::new("Graph healthOverviews", e))
}

/// Parses one page of `issues`.
pub fn parse_issues_page(body: &[u8]) -> Result<Page<Issue>, ParseError> {
    serde_json::from_slice(body).map_err(|e| ParseError::new("Graph issues", e))
}

/// The level of a `serviceHealthStatus` value (case-insensitive; unknown values → `Unknown`).
pub fn status_level(status: &str) -> Level {
    match status.trim().to_ascii_lowercase().as_str() {
        "serviceinterruption" => Level::MajorOutage,
        "servicedegradation"
        | "investigating"
        | "restoringservice"
        | "verifyingservice"
        | "extendedrecovery"
        | "investigationsuspended"
        | "confirmed"
        | "reported" => Level::Degraded,
        "serviceoperational"
        | "servicerestored"
        | "postincidentreviewpublished"
        | "falsepositive"
        | "resolved"
        | "resolvedexternal"
        | "mitigated"
        | "mitigatedexternal" => Level::Operational,
        _ => Level::Unknown,
    }
}

fn watched(services: &[String], service: Option<&str>) -> bool {
    services.is_empty()
        || service.is_some_and(|s| {
            services
                .iter()
                .any(|w| w.trim().eq_ignore_ascii_case(s.trim()))
        })
}

/// Builds the report from the collected overview and issue entries.
pub fn build_report(
    overviews: &[ServiceHealth],
    issues: &[Issue],
    services: &[String],
    now: DateTime<Utc>,
) -> SourceReport {
    let mut items = Vec::new();
    for name in services {
        let found = overviews
            .iter()
            .any(|o| watched(std::slice::from_ref(name), o.service.as_deref()));
        if !found {
            let name = clean_line(name, TITLE_CAP);
            items.push(HealthItem {
                id: format!("svc:missing:{name}"),
                title: format!(
                    "{name}: not listed in healthOverviews; check the `services` names in the config"
                ),
                service: Some(name),
                level: Level::Unknown,
                status: "notListed".to_string(),
                started: None,
                updated: None,
                resolved: None,
                updates: Vec::new(),
            });
        }
    }
    for o in overviews {
        if !watched(services, o.service.as_deref()) {
            continue;
        }
        let status = clean_line(o.status.as_deref().unwrap_or(""), STATUS_CAP);
        let service = clean_line(o.service.as_deref().unwrap_or(""), TITLE_CAP);
        let id = clean_line(o.id.as_deref().unwrap_or(&service), TITLE_CAP);
        items.push(HealthItem {
            id: format!("svc:{id}"),
            title: service.clone(),
            service: Some(service),
            level: status_level(&status),
            status,
            started: None,
            updated: None,
            resolved: None,
            updates: Vec::new(),
        });
    }
    let window = ChronoDuration::hours(RESOLVED_WINDOW_HOURS);
    for i in issues {
        if !watched(services, i.service.as_deref()) {
            continue;
        }
        let Some(id) = i.id.as_deref().map(|s| clean_line(s, TITLE_CAP)) else {
            continue;
        };
        if id.is_empty() {
            continue;
        }
        let end = i.end_date_time.as_deref().and_then(parse_time);
        let updated = i.last_modified_date_time.as_deref().and_then(parse_time);
        let resolved = if i.is_resolved.unwrap_or(false) {
            Some(end.or(updated).unwrap_or(now))
        } else {
            None
        };
        if let Some(r) = resolved
            && now - r > window
        {
            continue;
        }
        let status = clean_line(i.status.as_deref().unwrap_or(""), STATUS_CAP);
        let level = if resolved.is_some() {
            Level::Operational
        } else {
            status_level(&status)
        };
        let mut updates: Vec<ItemUpdate> = i
            .posts
            .iter()
            .flatten()
            .filter_map(|p| {
                let at = p.created_date_time.as_deref().and_then(parse_time)?;
                let html = p.description.as_ref()?.content.as_deref()?;
                Some(ItemUpdate {
                    at,
                    text: html_to_text(html),
                })
            })
            .collect();
        updates.sort_by_key(|u| u.at);
        let service = i.service.as_deref().map(|s| clean_line(s, TITLE_CAP));
        let title = clean_line(i.title.as_deref().unwrap_or(""), TITLE_CAP);
        let title = match i.feature.as_deref().map(|f| clean_line(f, TITLE_CAP)) {
            Some(f) if !f.is_empty() && title.is_empty() => f,
            _ => title,
        };
        items.push(HealthItem {
            id,
            title,
            service,
            level,
            status,
            started: i.start_date_time.as_deref().and_then(parse_time),
            updated,
            resolved,
            updates,
        });
    }
    let level = items
        .iter()
        .filter(|i| i.resolved.is_none())
        .map(|i| i.level)
        .max()
        .unwrap_or(Level::Operational);
    SourceReport { level, items }
}

fn credentials(g: &GraphSource) -> ClientCredentials {
    ClientCredentials {
        authority: g.token_url.clone(),
        tenant: g.tenant.clone(),
        client_id: g.client_id.clone(),
        secret: g.secret_ref().into(),
        scope: GRAPH_SCOPE.to_string(),
    }
}

/// Fetches overviews and issues (token, paging, 401 → one refresh) and builds the report.
pub(crate) async fn fetch(
    cfg: &HealthSourceConfig,
    g: &GraphSource,
    ctx: &mut SourceContext,
) -> Result<SourceReport, SourceError> {
    let opts = request_options(cfg, false);
    let tokens = match &ctx.tokens {
        Some(t) => t.clone(),
        None => {
            let t = std::sync::Arc::new(TokenCache::new(
                ctx.http.clone(),
                credentials(g),
                opts.clone(),
            ));
            ctx.tokens = Some(t.clone());
            t
        }
    };
    let base = g.base_url.trim_end_matches('/');
    let origin = origin_of(base).ok_or_else(|| {
        SourceError::Refused(format!(
            "`base_url` {base} is not an absolute http(s) URL; fix it in the config"
        ))
    })?;
    let mut overviews = Vec::new();
    let mut next = Some(format!(
        "{base}/v1.0/admin/serviceAnnouncement/healthOverviews"
    ));
    let mut pages = 0;
    while let Some(url) = next.take() {
        let body = get_authed(ctx, &tokens, &url, &origin, &opts).await?;
        let page = parse_overviews_page(&body)?;
        overviews.extend(page.value);
        pages += 1;
        next = page.next_link.filter(|_| pages < MAX_PAGES);
    }
    let mut issues = Vec::new();
    let mut next = Some(format!("{base}/v1.0/admin/serviceAnnouncement/issues"));
    let mut pages = 0;
    while let Some(url) = next.take() {
        let body = get_authed(ctx, &tokens, &url, &origin, &opts).await?;
        let page = parse_issues_page(&body)?;
        issues.extend(page.value);
        pages += 1;
        next = page.next_link;
        if pages >= MAX_PAGES && next.is_some() {
            tracing::warn!(source = %cfg.name, "Graph issues: stopped after {MAX_PAGES} pages");
            next = None;
        }
    }
    Ok(build_report(&overviews, &issues, &g.services, ctx.now()))
}

async fn get_authed(
    ctx: &SourceContext,
    tokens: &TokenCache,
    url: &str,
    origin: &str,
    opts: &RequestOptions,
) -> Result<Vec<u8>, SourceError> {
    if origin_of(url).as_deref() != Some(origin) {
        return Err(SourceError::Refused(format!(
            "Graph sent a next-page link to another host ({}); refusing to send the access token there. Check `base_url`",
            clean_line(url, 200)
        )));
    }
    let token = tokens.token().await?;
    match ctx.http.get_bearer(url, &token, opts).await {
        Ok(resp) => Ok(resp.body),
        Err(NetError::Status { status: 401, .. }) => {
            tracing::debug!("Graph answered 401; refreshing the token once");
            tokens.invalidate().await;
            let token = tokens.token().await?;
            Ok(ctx.http.get_bearer(url, &token, opts).await?.body)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_matching_is_case_insensitive() {
        assert_eq!(status_level("ServiceDegradation"), Level::Degraded);
        assert_eq!(status_level("serviceDegradation"), Level::Degraded);
        assert_eq!(status_level("SERVICEINTERRUPTION"), Level::MajorOutage);
        assert_eq!(
            status_level("PostIncidentReviewPublished"),
            Level::Operational
        );
        assert_eq!(status_level("someNewValue"), Level::Unknown);
    }
}
