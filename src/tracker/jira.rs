//! Jira Cloud: `POST {base_url}/rest/api/3/issue` with basic auth (the account's e-mail and API
//! token) and `{"fields": {"project": {"key"}, "issuetype": {"name"}, "summary", "description",
//! "labels"}}`; v3 takes the description in the Atlassian Document Format (one paragraph a
//! line). The answer (201) carries `key` and `self`; the issue's page is
//! `{base_url}/browse/{key}`. An error answer carries `errorMessages` (a list) and `errors` (field
//! → message), which the error quotes.

use serde_json::{Value, json};

use super::{CreatedIssue, IssueDraft, TrackerError, post_once};
use crate::domain::tracker::TrackerConfig;
use crate::net::{HttpClient, Secret};

/// The description as an ADF document: one paragraph a non-empty line.
pub fn adf(lines: &[String]) -> Value {
    let content: Vec<Value> = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| json!({"type": "paragraph", "content": [{"type": "text", "text": l}]}))
        .collect();
    json!({"type": "doc", "version": 1, "content": content})
}

/// The request body.
pub fn body(project: &str, issue_type: &str, issue: &IssueDraft) -> Value {
    let mut fields = json!({
        "project": {"key": project},
        "issuetype": {"name": issue_type},
        "summary": issue.title,
        "description": adf(&issue.lines),
    });
    if !issue.labels.is_empty() {
        fields["labels"] = json!(issue.labels);
    }
    json!({ "fields": fields })
}

/// What an error answer says: each of `errorMessages`, then `field: message` of `errors`.
pub fn said(answer: &Value) -> String {
    let mut parts: Vec<String> = answer["errorMessages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(errs) = answer["errors"].as_object() {
        parts.extend(
            errs.iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default())),
        );
    }
    parts.join("; ")
}

pub async fn create(
    http: &HttpClient,
    t: &TrackerConfig,
    (project, issue_type, email): (&str, &str, &str),
    token: &Secret,
    issue: &IssueDraft,
) -> Result<CreatedIssue, TrackerError> {
    let url = format!("{}/rest/api/3/issue", t.base_url);
    let req = http
        .request(reqwest::Method::POST, &url)
        .basic_auth(email, Some(token.expose()))
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&body(project, issue_type, issue));
    let (answer, status) = post_once(http, &t.name, &url, req, token, said).await?;
    let key = answer["key"].as_str().unwrap_or_default();
    let plain = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain {
        return Err(TrackerError::Refused(format!(
            "{} answered HTTP {} without an issue key: check base_url is the Jira site (https://SITE.atlassian.net)",
            t.name, status
        )));
    }
    Ok(CreatedIssue {
        key: key.to_string(),
        url: format!("{}/browse/{key}", t.base_url),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_quote_messages_and_fields() {
        let v = json!({"errorMessages": ["Bad project"], "errors": {"issuetype": "Specify a valid issue type"}});
        assert_eq!(
            said(&v),
            "Bad project; issuetype: Specify a valid issue type"
        );
        assert_eq!(said(&json!({})), "");
    }

    #[test]
    fn the_description_is_adf_without_empty_paragraphs() {
        let d = adf(&["a".into(), " ".into(), "b".into()]);
        assert_eq!(d["version"], 1);
        assert_eq!(d["content"].as_array().unwrap().len(), 2);
        assert_eq!(d["content"][1]["content"][0]["text"], "b");
    }
}
