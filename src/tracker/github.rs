//! GitHub issues: `POST {base_url}/repos/{owner}/{repo}/issues` with the REST API's headers
//! (`Authorization: Bearer`, `Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version: 2022-11-28`, `User-Agent`) and `{"title","body","labels","assignees"}`;
//! the answer (201) carries `number` and `html_url`. An error answer carries `message` and
//! sometimes `errors` (`[{"field","code","message"}]`), which the error quotes.

use serde_json::{Value, json};

use super::{CreatedIssue, IssueDraft, TrackerError, post_once};
use crate::domain::tracker::TrackerConfig;
use crate::net::{HttpClient, Secret};

/// The REST API version asked for.
pub const API_VERSION: &str = "2022-11-28";

/// The request body.
pub fn body(issue: &IssueDraft) -> Value {
    let mut v = json!({
        "title": issue.title,
        "body": issue.lines.join("\n\n"),
    });
    if !issue.labels.is_empty() {
        v["labels"] = json!(issue.labels);
    }
    if let Some(a) = &issue.assignee {
        v["assignees"] = json!([a]);
    }
    v
}

/// What an error answer says: `message`, then each of `errors` (`field code` or its `message`).
pub fn said(answer: &Value) -> String {
    let mut out = answer["message"].as_str().unwrap_or_default().to_string();
    let details: Vec<String> = answer["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| match (e["message"].as_str(), e["field"].as_str()) {
                    (Some(m), _) => m.to_string(),
                    (None, Some(f)) => format!("{f} {}", e["code"].as_str().unwrap_or("invalid")),
                    (None, None) => e.as_str().unwrap_or_default().to_string(),
                })
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !details.is_empty() {
        out.push_str(&format!(" ({})", details.join("; ")));
    }
    out
}

pub async fn create(
    http: &HttpClient,
    t: &TrackerConfig,
    repo: &str,
    token: &Secret,
    issue: &IssueDraft,
) -> Result<CreatedIssue, TrackerError> {
    let url = format!("{}/repos/{repo}/issues", t.base_url);
    let req = http
        .request(reqwest::Method::POST, &url)
        .bearer_auth(token.expose())
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .header("X-GitHub-Api-Version", API_VERSION)
        .json(&body(issue));
    let (answer, status) = post_once(http, &t.name, &url, req, token, said).await?;
    match (answer["number"].as_u64(), answer["html_url"].as_str()) {
        (Some(n), Some(u)) if crate::net::http::check_url(u).is_ok() => Ok(CreatedIssue {
            key: format!("{repo}#{n}"),
            url: u.to_string(),
        }),
        _ => Err(TrackerError::Refused(format!(
            "{} answered HTTP {} without an issue number and html_url: check base_url is the API root (https://api.github.com, or https://HOST/api/v3)",
            t.name, status
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_quote_message_and_details() {
        let v = json!({"message": "Validation Failed", "errors": [
            {"resource": "Issue", "field": "assignees", "code": "invalid"},
            {"message": "label too long"}
        ]});
        assert_eq!(
            said(&v),
            "Validation Failed (assignees invalid; label too long)"
        );
        assert_eq!(
            said(&json!({"message": "Bad credentials"})),
            "Bad credentials"
        );
    }

    #[test]
    fn the_body_carries_labels_and_assignee_only_when_given() {
        let mut d = IssueDraft {
            title: "t".into(),
            lines: vec!["a".into(), "b".into()],
            labels: vec![],
            assignee: None,
        };
        let b = body(&d);
        assert_eq!(b["body"], "a\n\nb");
        assert!(b.get("labels").is_none() && b.get("assignees").is_none());
        d.labels = vec!["x".into()];
        d.assignee = Some("bob".into());
        let b = body(&d);
        assert_eq!(b["labels"], json!(["x"]));
        assert_eq!(b["assignees"], json!(["bob"]));
    }
}
