//! Issuing sales documents: a number taken from the series' counter in the
//! same transaction as the document (optimistic: the counter's version is
//! the condition, a lost race reads the counter again), so a number is
//! taken only with its document, never twice and never lost; the PDF
//! rendered from the stored document (the same bytes every time) and put
//! in the files bucket; a short-lived link to it.
use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::files::Files;
use super::http::{Problem, Reply};
use super::store::{put_new, put_versioned, Record, StoreError, Table};
use crate::domain::bookings::Itinerary;
use crate::domain::invoices::{render, sale_lines, sale_notes, series, year_of, DocKind, Draft, Party, SalesDocument};
use crate::domain::money::Money;
use crate::domain::payments::Payment;
use crate::domain::shipments::Contact;
use crate::keys::{self, entity};

/// The last number taken in a series.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeriesCounter {
    pub last: u64,
}

/// Attempts at a contended series before the caller is asked to retry.
const ATTEMPTS: u32 = 40;

/// Issues the document at `key` once: answers the stored one if it was
/// issued already, else numbers `draft` as the next of its series (the
/// year of `at`) and writes counter and document in one transaction.
pub async fn issue(
    table: &Table,
    key: &keys::Key,
    draft: &Draft,
    at: &str,
) -> Result<Record<SalesDocument>, StoreError> {
    let series = series(draft.kind, year_of(at));
    let counter_key = keys::series_counter(&series);
    for attempt in 0..ATTEMPTS {
        if let Some(doc) = table.get::<SalesDocument>(key, true).await? {
            return Ok(doc);
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
/// marks it stored (a lost race to mark it changes nothing: the bytes are
/// the same).
pub async fn store(
    table: &Table,
    files: &Files,
    doc: &Record<SalesDocument>,
) -> Result<Record<SalesDocument>, StoreError> {
    if doc.data.stored {
        return Ok(doc.clone());
    }
    files.store(&doc.data.file_key, "application/pdf", render(&doc.data)).await?;
    let next = doc.next(SalesDocument { stored: true, ..doc.data.clone() });
    match table.write_one(put_versioned(&next)).await {
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

/// The sender as a buyer: their name and postal address.
pub fn buyer(c: &Contact) -> Party {
    let a = &c.address;
    let mut address = a.lines.clone();
    address.push(match &a.postcode {
        Some(p) => format!("{p} {}", a.city),
        None => a.city.clone(),
    });
    address.push(a.country.clone());
    Party { name: c.name.clone(), address, tax_id: None }
}

/// The receipt or invoice of an itinerary's sale: the quote's lines with
/// VAT on the platform fee at the payment's rate (the sender's country).
pub fn sale_draft(kind: DocKind, it: &Itinerary, p: &Payment, seller: Party, buyer: Party) -> Draft {
    let mut notes = Vec::new();
    if kind == DocKind::Receipt {
        let charge = p.charge_id.as_deref().map(|c| format!(", charge {c}")).unwrap_or_default();
        notes.push(format!(
            "Paid in full by card{charge}. The amount is held in escrow until delivery; the invoice follows on delivery."
        ));
    }
    notes.extend(sale_notes());
    Draft {
        kind,
        user_id: it.sender_id.clone(),
        itinerary_id: Some(it.itinerary_id.clone()),
        period: None,
        currency: it.currency.clone(),
        seller,
        buyer,
        lines: sale_lines(&it.lines, p.fee_vat_bp),
        notes,
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

/// GET …/invoice, …/receipt: a short-lived link to the document's PDF
/// (stored first if its issuer has not yet), or 409 `document-not-issued`
/// while the itinerary has not got that far.
pub async fn link(
    table: &Table,
    files: &Files,
    doc: Option<&Record<SalesDocument>>,
    kind: DocKind,
    when: &str,
) -> Result<Reply, Problem> {
    let Some(doc) = doc else {
        return Err(Problem::new(
            409,
            "document-not-issued",
            "Not issued yet",
            format!("the {} is issued {when}", kind.as_str()),
        ));
    };
    let doc = store(table, files, doc).await?;
    let url = files.view_url(&doc.data.file_key).await?;
    let d = &doc.data;
    Ok(Reply::ok(&DocumentLink {
        kind,
        number: d.number.clone(),
        issued_at: d.issued_at.clone(),
        total: Money::new(d.total, d.draft.currency.clone()),
        url,
        expires_in_seconds: super::files::VIEW_URL_SECONDS,
    }))
}
