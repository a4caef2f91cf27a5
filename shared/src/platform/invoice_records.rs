//! Issuing sales documents: a number taken from the series' counter in the
//! same transaction as the document (optimistic: the counter's version is
//! the condition, a lost race reads the counter again), so a number is
//! taken only with its document, never twice and never lost; the PDF
//! rendered from the stored document (the same bytes every time) and put
//! in the files bucket; a short-lived link to it.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

use super::booking_records::own_itinerary;
use super::context::Ctx;
use super::files::Files;
use super::http::{ApiRequest, Problem, Reply};
use super::payout_records::account_and_user;
use super::store::{put_new, put_versioned, Query, Record, StoreError, Table};
use crate::domain::invoices::{render, series, statement_draft, year_of, DocKind, Draft, Party, SalesDocument};
use crate::domain::money::Money;
use crate::domain::payouts::{Payout, PayoutStatus};
use crate::keys::{self, entity};

/// The last number taken in a series.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeriesCounter {
    pub last: u64,
}

/// Attempts at a contended series before the caller is asked to retry.
const ATTEMPTS: u32 = 40;

/// Issues the document at `key` once: numbers `draft` as the next of its
/// series (the year of `at`) and writes counter and document in one
/// transaction; after a lost race, answers the document if another issuer
/// wrote it. Callers have looked for it already (with the partition they
/// read), so the first attempt does not read it again.
pub async fn issue(
    table: &Table,
    key: &keys::Key,
    draft: &Draft,
    at: &str,
) -> Result<Record<SalesDocument>, StoreError> {
    let series = series(draft.kind, year_of(at));
    let counter_key = keys::series_counter(&series);
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            if let Some(doc) = table.get::<SalesDocument>(key, true).await? {
                return Ok(doc);
            }
        }
        let counter: Option<Record<SeriesCounter>> = table.get(&counter_key, true).await?;
        let seq = counter.as_ref().map_or(0, |c| c.data.last) + 1;
        let next = SeriesCounter { last: seq };
        let counter_write = match &counter {
            Some(c) => put_versioned(&c.next(next)),
            None => put_new(&Record::new(counter_key.clone(), entity::DOCUMENT_COUNTER, next)),
        };
        let doc = Record::new(key.clone(), entity::SALES_DOCUMENT, SalesDocument::new(draft.clone(), &series, seq, at))
            .gsi1(keys::in_series(&series, seq));
        match table.transact(vec![counter_write, put_new(&doc)]).await {
            Ok(()) => {
                tracing::info!(number = %doc.data.number, attempt, "document issued");
                return Ok(doc);
            }
            // Another issue took the number (or issued this document): read again.
            Err(StoreError::ConditionFailed { .. }) => {
                let wait = 5 + rand::random::<u64>() % (10 * (u64::from(attempt) + 1)).min(200);
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::unavailable("the document series stayed contended"))
}

/// Puts the document's PDF in the bucket if it is not there yet, and
/// marks it stored with DocumentIssued, in one transaction: whoever stores
/// it first (the issuer, or a route that found it unstored) announces it,
/// once. A lost race to mark it changes nothing: the bytes are the same.
pub async fn store(
    table: &Table,
    files: &Files,
    doc: &Record<SalesDocument>,
    correlation_id: &str,
) -> Result<Record<SalesDocument>, StoreError> {
    if doc.data.stored {
        return Ok(doc.clone());
    }
    files.store(&doc.data.file_key, "application/pdf", render(&doc.data)).await?;
    let next = doc.next(SalesDocument { stored: true, ..doc.data.clone() });
    let announce = super::outbox::event(&next.data.issued(), correlation_id, super::envelope::Actor::system());
    match table.write_all(vec![put_versioned(&next), announce]).await {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(next),
        Err(e) => Err(e),
    }
}

/// The seller on every sales document: the platform, as deployed
/// (`SELLER_NAME`, `SELLER_ADDRESS` with lines separated by `|`,
/// `SELLER_VAT_ID`).
pub struct Seller(pub Party);

impl super::context::FromEnv for Seller {
    fn from_env(env: &super::env::Env) -> Result<Self, super::env::ConfigError> {
        let get = |k: &str| env.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        Ok(Seller(Party {
            name: get("SELLER_NAME").ok_or_else(|| super::env::ConfigError::Missing("SELLER_NAME".into()))?,
            address: get("SELLER_ADDRESS")
                .map(|a| a.split('|').map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect())
                .unwrap_or_default(),
            tax_id: get("SELLER_VAT_ID"),
        }))
    }
}

/// A link to a document's PDF.
#[derive(Serialize, schemars::JsonSchema)]
pub struct DocumentLink {
    pub kind: DocKind,
    /// `INV-2026-000042`.
    pub number: String,
    pub issued_at: String,
    pub total: Money,
    /// A presigned GET of the PDF.
    pub url: String,
    pub expires_in_seconds: u64,
}

/// GET /itineraries/{id}/receipt and …/invoice: the sender's document of
/// `kind` (404 for anyone else), as a short-lived link to its PDF (stored
/// first if its issuer has not yet), or 409 `document-not-issued` while
/// the itinerary has not got that far. One Query.
pub async fn itinerary_document(ctx: &Ctx, req: &ApiRequest, kind: DocKind) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (table, files) = (ctx.table()?, ctx.files()?);
    let l = own_itinerary(table, req.path_param("id")?, &me.user_id).await?;
    let Some(doc) = l.document(kind) else {
        return Err(Problem::new(
            409,
            "document-not-issued",
            "Not issued yet",
            format!("the {} is issued {}", kind.as_str(), kind.issued_when()),
        ));
    };
    let doc = store(table, files, doc, &req.correlation_id).await?;
    Ok(Reply::ok(&link_of(files, &doc).await?))
}

/// Every record of an index partition (whose sort key starts with `prefix`), page by page.
async fn all<T: serde::de::DeserializeOwned>(
    table: &Table,
    index: &str,
    partition: String,
    prefix: Option<String>,
) -> Result<Vec<Record<T>>, StoreError> {
    let (mut out, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let q = Query {
            index: Some(index),
            partition: partition.clone(),
            sort_prefix: prefix.clone(),
            forward: true,
            limit: 500,
            cursor: cursor.as_deref(),
        };
        let page = table.query::<T>(q).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// The payee as their statement names them: their name (or email), their
/// email and the connected account the payouts went to.
async fn payee_party(table: &Table, payee_id: &str) -> Result<Party, StoreError> {
    let (account, user) = account_and_user(table, payee_id).await?;
    let email = user.as_ref().map(|u| u.data.email.as_str().to_string()).unwrap_or_default();
    let name = user.as_ref().and_then(|u| u.data.name.as_ref()).map(|n| n.as_str().to_string());
    let mut address = Vec::new();
    let name = match name {
        Some(n) => {
            address.push(email);
            n
        }
        None => email,
    };
    if let Some(a) = account {
        address.push(format!("payout account {} ({})", a.data.account_id, a.data.country));
    }
    Ok(Party { name, address, tax_id: None })
}

/// Payees with payouts sent in `month` (`YYYY-MM`), from the sent index.
pub async fn payees_paid_in(table: &Table, month: &str) -> Result<Vec<String>, StoreError> {
    let sent: Vec<Record<Payout>> = all(table, "gsi2", crate::keys::sent_payouts(month), None).await?;
    let mut payees: Vec<String> = sent.into_iter().map(|p| p.data.payee_id).collect();
    payees.dedup();
    Ok(payees)
}

/// When and by what statements are asked for.
pub struct Asked<'a> {
    /// Now (RFC 3339): a statement issued now is numbered in this year's series.
    pub at: &'a str,
    /// The month is closed: issue the statements still missing.
    pub issue_missing: bool,
    /// Carried by the DocumentIssued of a statement stored now.
    pub correlation_id: &'a str,
}

/// A payee's earnings statements for `month` (`YYYY-MM`), one per currency
/// they were paid in: those issued already and, once the month is closed
/// (`issue_missing`), the others issued now, each PDF stored.
pub fn statements<'a>(
    table: &'a Table,
    files: &'a Files,
    platform: &'a Party,
    payee_id: &'a str,
    month: &'a str,
    asked: Asked<'a>,
) -> futures::future::BoxFuture<'a, Result<Vec<Record<SalesDocument>>, StoreError>> {
    let Asked { at, issue_missing, correlation_id } = asked;
    // Boxed: the future is deep enough to overflow the layout queries of the binaries that await it.
    Box::pin(async move {
        let partition = keys::statements_partition(payee_id);
        let mut docs: Vec<Record<SalesDocument>> =
            table.under(partition.clone(), &format!("SALEDOC#statement.{month}."), 100).await?;
        let sent: Vec<Record<Payout>> = if issue_missing {
            all(table, "gsi2", keys::sent_payouts(month), Some(format!("{payee_id}#"))).await?
        } else {
            Vec::new()
        };
        let mut by_currency: BTreeMap<String, Vec<Payout>> = BTreeMap::new();
        for p in sent.into_iter().map(|r| r.data) {
            if p.status != PayoutStatus::Due && p.sent_at.as_deref().is_some_and(|s| s.starts_with(month)) {
                by_currency.entry(p.currency.as_str().to_string()).or_default().push(p);
            }
        }
        by_currency.retain(|c, _| !docs.iter().any(|d| d.data.draft.currency.as_str() == c));
        if !by_currency.is_empty() {
            let payee = payee_party(table, payee_id).await?;
            for (currency, payouts) in by_currency {
                let cur = payouts[0].currency.clone();
                let draft = statement_draft(payee_id, month, cur, platform.clone(), payee.clone(), &payouts);
                let key = keys::sales_document(&partition, &format!("statement.{month}.{currency}"));
                docs.push(issue(table, &key, &draft, at).await?);
            }
        }
        let mut stored = Vec::with_capacity(docs.len());
        for d in &docs {
            stored.push(store(table, files, d, correlation_id).await?);
        }
        stored.sort_by(|a, b| a.data.draft.currency.as_str().cmp(b.data.draft.currency.as_str()));
        Ok(stored)
    })
}

/// A document's link answer (a presigned GET of its stored PDF).
pub async fn link_of(files: &Files, doc: &Record<SalesDocument>) -> Result<DocumentLink, Problem> {
    let d = &doc.data;
    Ok(DocumentLink {
        kind: d.draft.kind,
        number: d.number.clone(),
        issued_at: d.issued_at.clone(),
        total: Money::new(d.total, d.draft.currency.clone()),
        url: files.view_url(&d.file_key).await?,
        expires_in_seconds: super::files::VIEW_URL_SECONDS,
    })
}
