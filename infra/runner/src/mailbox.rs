//! The local mailbox: emails sent through SES v2, as moto recorded them.
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// Every email moto has accepted, oldest first, optionally only those to `to`.
pub async fn read(moto_url: &str, to: Option<&str>) -> Result<Vec<Mail>, String> {
    let url = format!("{}/moto-api/data.json", moto_url.trim_end_matches('/'));
    let data: serde_json::Value =
        reqwest::get(&url).await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
    let messages = data.pointer("/ses/Message").and_then(|m| m.as_array()).cloned().unwrap_or_default();
    let str_of = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
    Ok(messages
        .iter()
        .map(|m| Mail {
            from: str_of(m, "source"),
            to: m
                .pointer("/destinations/ToAddresses")
                .and_then(|a| a.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            subject: str_of(m, "subject"),
            body: str_of(m, "body"),
        })
        .filter(|m| to.is_none_or(|t| m.to.iter().any(|x| x.eq_ignore_ascii_case(t))))
        .collect())
}

pub fn html(mails: &[Mail]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let rows: String = mails
        .iter()
        .rev()
        .map(|m| {
            format!(
                "<article><h2>{}</h2><p><b>To:</b> {} &nbsp; <b>From:</b> {}</p><pre>{}</pre></article>",
                esc(&m.subject),
                esc(&m.to.join(", ")),
                esc(&m.from),
                esc(&m.body)
            )
        })
        .collect();
    format!(
        "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=5><title>Handoff local mailbox</title>\
         <style>body{{font-family:sans-serif;max-width:50rem;margin:2rem auto}}article{{border:1px solid #ccc;border-radius:6px;padding:0 1rem;margin:1rem 0}}pre{{white-space:pre-wrap}}</style>\
         <h1>Local mailbox</h1><p>{} message(s), newest first. Refreshes every 5 s.</p>{rows}",
        mails.len()
    )
}
