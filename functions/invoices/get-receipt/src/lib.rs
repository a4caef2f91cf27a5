//! GET /itineraries/{id}/receipt — the sender's receipt (issued when the
//! itinerary is confirmed): its number, total and a short-lived link to
//! its PDF. The sender only (404 for anyone else). Query (itinerary
//! partition, the documents with it); PutObject + PutItem only when the
//! issuer has not stored the PDF yet.
use handoff::domain::invoices::DocKind;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::invoice_records::{itinerary_document, DocumentLink};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    itinerary_document(ctx, req, DocKind::Receipt).await
}

pub fn operation() -> Operation {
    Operation::get("/itineraries/{id}/receipt", "invoices", "The receipt of an itinerary of the caller's")
        .describe(
            "Numbered RCT-<year>-<n> without gaps, issued when the itinerary is confirmed (paid). Answers its \
             number and total and a presigned link to the PDF that works for 15 minutes.",
        )
        .reply::<DocumentLink>(200, "the receipt")
        .problem(409, "document-not-issued")
}
