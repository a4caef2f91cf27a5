//! The local mailbox: emails sent through SES v2, as moto recorded them.
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// What moto has accepted: emails, SMS and push messages, as
/// infra/moto_server.py answers them at `/_handoff/messages` (read from its
/// backends, not from its whole-state dump).
async fn messages(moto_url: &str) -> Result<serde_json::Value, String> {
    let url = format!("{}/_handoff/messages", moto_url.trim_end_matches('/'));
    let r = reqwest::get(&url).await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("{url}: {} (is this the project's infra/moto_server.py?)", r.status()));
    }
    r.json().await.map_err(|e| e.to_string())
}

/// Every email moto has accepted, oldest first, optionally only those to `to`.
pub async fn read(moto_url: &str, to: Option<&str>) -> Result<Vec<Mail>, String> {
    let data = messages(moto_url).await?;
    let mails = data.get("mail").and_then(|m| m.as_array()).cloned().unwrap_or_default();
    let str_of = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
    Ok(mails
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
            // An HTML email is shown rendered (sandboxed), a text one as text.
            let body = if m.body.trim_start().to_ascii_lowercase().starts_with("<!doctype html") {
                format!(
                    "<iframe sandbox srcdoc=\"{}\" style=\"width:100%;height:28rem;border:0\"></iframe>",
                    esc(&m.body).replace('"', "&quot;")
                )
            } else {
                format!("<pre>{}</pre>", esc(&m.body))
            };
            format!(
                "<article><h2>{}</h2><p><b>To:</b> {} &nbsp; <b>From:</b> {}</p>{body}</article>",
                esc(&m.subject),
                esc(&m.to.join(", ")),
                esc(&m.from),
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

/// An SMS sent through SNS, as moto recorded it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sms {
    pub to: String,
    pub message: String,
    pub message_id: String,
}

/// A push message published to an SNS platform endpoint, as moto recorded it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Push {
    pub endpoint: String,
    pub token: String,
    pub enabled: bool,
    pub message_id: String,
    /// The message as published (for `MessageStructure=json`, one text per platform).
    pub message: serde_json::Value,
}

/// Every SMS moto has accepted, oldest first, optionally only those to `to`.
pub async fn sms(moto_url: &str, to: Option<&str>) -> Result<Vec<Sms>, String> {
    let data = messages(moto_url).await?;
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
    Ok(data
        .get("sms")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .map(|m| Sms { to: s(m, "phone_number"), message: s(m, "message"), message_id: s(m, "message_id") })
        .filter(|m| to.is_none_or(|t| m.to == t))
        .collect())
}

/// Every push message moto has accepted, optionally only those to a device token.
pub async fn push(moto_url: &str, token: Option<&str>) -> Result<Vec<Push>, String> {
    let data = messages(moto_url).await?;
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
    let mut out = Vec::new();
    for e in data.get("push").and_then(|a| a.as_array()).into_iter().flatten() {
        let token_of = s(e, "token");
        if token.is_some_and(|t| t != token_of) {
            continue;
        }
        for (id, m) in e.get("messages").and_then(|m| m.as_object()).into_iter().flatten() {
            let text = m.as_str().unwrap_or_default();
            out.push(Push {
                endpoint: s(e, "arn"),
                token: token_of.clone(),
                enabled: e.get("enabled").and_then(|x| x.as_bool()).unwrap_or(true),
                message_id: id.clone(),
                message: serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.into())),
            });
        }
    }
    Ok(out)
}

/// SMS and push, for a person to read in the browser.
pub fn phone_html(sms: &[Sms], push: &[Push]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let sms_rows: String = sms
        .iter()
        .rev()
        .map(|m| format!("<article><p><b>To:</b> {}</p><pre>{}</pre></article>", esc(&m.to), esc(&m.message)))
        .collect();
    let push_rows: String = push
        .iter()
        .rev()
        .map(|p| {
            let text = p
                .message
                .get("default")
                .and_then(|d| d.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| p.message.to_string());
            format!(
                "<article><p><b>Device token:</b> {}{}</p><pre>{}</pre></article>",
                esc(&p.token),
                if p.enabled { "" } else { " (endpoint disabled)" },
                esc(&text)
            )
        })
        .collect();
    format!(
        "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=5><title>Handoff local SMS and push</title>\
         <style>body{{font-family:sans-serif;max-width:50rem;margin:2rem auto}}article{{border:1px solid #ccc;border-radius:6px;padding:0 1rem;margin:1rem 0}}pre{{white-space:pre-wrap}}</style>\
         <h1>Local SMS and push</h1><p>Newest first. Refreshes every 5 s. Email: <a href=\"/_local/mailbox.html\">mailbox</a>.</p>\
         <h2>SMS ({})</h2>{sms_rows}<h2>Push ({})</h2>{push_rows}",
        sms.len(),
        push.len()
    )
}
