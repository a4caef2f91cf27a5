//! GET /itineraries/{id}/invoice — the sender's invoice (issued when the
//! parcel is delivered): its number, total and a short-lived link to
//! its PDF. The sender only (404 for anyone else). Query (itinerary
//! partition, the documents with it); PutObject + PutItem only when the
//! issuer has not stored the PDF yet.
use handoff::domain::invoices::DocKind;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::invoice_records::{itinerary_document, DocumentLink};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    itinerary_document(ctx, req, DocKind::Invoice).await
}

pub fn operation() -> Operation {
    Operation::get("/itineraries/{id}/invoice", "invoices", "The invoice of an itinerary of the caller's")
        .describe(
            "Numbered INV-<year>-<n> without gaps, issued when the parcel is delivered. Answers its \
             number and total and a presigned link to the PDF that works for 15 minutes.",
        )
        .reply::<DocumentLink>(200, "the invoice")
        .problem(409, "document-not-issued")
}
