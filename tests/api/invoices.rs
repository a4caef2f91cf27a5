//! Receipts and invoices: issued when an itinerary is confirmed and when it
//! is delivered, numbered per series without gaps, rendered as PDF and
//! read back here as text by pdftotext (Debian's poppler-utils), as an
//! accountant's tools would. The lifecycle and fault runs of custody.rs
//! call into this module; the concurrent numbering test stands alone.
use crate::custody::Paid;
use handoff::domain::invoices::{DocKind, Draft, Party, SalesDocument};
use handoff::keys;
use handoff::platform::invoice_records::issue;
use handoff_tests::{ok, Client, TestStack, QUEUED};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The PDF's text, laid out as on the page (`pdftotext -layout`).
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("pdftotext runs (Debian's poppler-utils; infra/test.sh installs it)");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pdftotext reads the PDF");
    String::from_utf8(out.stdout).unwrap()
}

/// `1190` minor units of a two-decimal currency as the PDF prints them.
fn decimal(minor: i64) -> String {
    format!("{}{}.{:02}", if minor < 0 { "-" } else { "" }, minor.abs() / 100, minor.abs() % 100)
}

/// The figure that ends the PDF line starting with `label`, in minor units.
fn figure(text: &str, label: &str) -> i64 {
    let line =
        text.lines().map(str::trim).find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no {label:?}:\n{text}"));
    let last = line.split_whitespace().last().unwrap();
    let (whole, cents) = last.split_once('.').unwrap_or_else(|| panic!("{line:?} ends in no amount"));
    whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap() * if whole.starts_with('-') { -1 } else { 1 }
}

/// The sender's document of `kind`, once issued: its link answer and PDF text.
pub(crate) async fn document(c: &Client, tok: &str, itinerary: &str, kind: &str) -> (Value, String) {
    let path = format!("/itineraries/{itinerary}/{kind}");
    let answer = handoff_tests::eventually(QUEUED, || async {
        let r = c.get(&path, Some(tok)).await;
        (r.status == 200).then_some(r)
    })
    .await
    .unwrap_or_else(|| panic!("{path} is never issued"));
    eprintln!("calls: GET {path}: {}", answer.header("x-aws-calls").unwrap_or(""));
    let doc = answer.body;
    let r = reqwest::get(doc["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(r.status(), 200, "the presigned link works");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "{path} is a PDF");
    (doc, pdf_text(&pdf))
}

/// The delivered itinerary of `p`: its receipt and invoice, issued once,
/// numbered in their series, read back as text: the number, seller and
/// buyer, every line of the quote with its amount, VAT on the platform
/// fee alone, and net + VAT = total = what was paid.
pub(crate) async fn documents_of_the_delivery(c: &Client, p: &Paid) {
    let it = ok(c.get(&format!("/itineraries/{}", p.itinerary), Some(&p.sid)).await).await;
    let shipment = ok(c.get(&format!("/shipments/{}", p.shipment), Some(&p.sid)).await).await;
    let buyer = shipment["sender"]["name"].as_str().unwrap();
    for kind in ["receipt", "invoice"] {
        let (doc, text) = document(c, &p.sid, &p.itinerary, kind).await;
        eprintln!("{kind} as pdftotext reads it:\n{text}");
        let number = doc["number"].as_str().unwrap();
        let prefix = if kind == "receipt" { "RCT-" } else { "INV-" };
        let year = &doc["issued_at"].as_str().unwrap()[..4];
        assert!(number.starts_with(&format!("{prefix}{year}-")) && number.len() == 15, "{number}");
        assert_eq!(doc["total"]["amount"], p.total, "{doc}");
        assert!(text.contains(&format!("Number: {number}")), "{text}");
        assert!(text.contains(&format!("Itinerary: {}", p.itinerary)), "{text}");
        assert!(text.contains("Handoff SAS") && text.contains(buyer), "seller and buyer: {text}");
        // Every line of the quote, with its amount, on one line of the page.
        let mut sum = 0;
        for l in it["lines"].as_array().unwrap() {
            let (desc, amount) = (l["description"].as_str().unwrap(), l["amount"].as_i64().unwrap());
            let row = text
                .lines()
                .find(|r| r.trim_start().starts_with(&desc[..desc.len().min(40)]))
                .unwrap_or_else(|| panic!("no line for {desc:?}:\n{text}"));
            assert!(row.trim_end().ends_with(&decimal(amount)), "{desc}: {amount} in {row:?}");
            let fee = l["kind"] == "platform_fee";
            assert_eq!(row.contains('%'), fee, "VAT on the platform fee only: {row:?}");
            sum += amount;
        }
        assert_eq!(sum, p.total, "the lines are the quote's");
        let (net, total) = (figure(&text, "Net"), figure(&text, "Total EUR"));
        let vat: i64 = text.lines().map(str::trim).filter(|l| l.starts_with("VAT ")).map(|l| figure(l, "VAT ")).sum();
        assert_eq!(total, p.total, "the total is what was paid");
        assert_eq!(net + vat, total, "net + VAT = total");
        assert!(vat > 0, "the fee carries the sender's country's VAT: {text}");
        if kind == "receipt" {
            assert!(text.contains("Paid in full by card, charge ch_"), "{text}");
        }
    }
    // Anyone else is told it does not exist.
    let other = c.get(&format!("/itineraries/{}/invoice", p.itinerary), Some(&p.ann.0)).await;
    other.problem(404, "not-found");
}

/// Every sales document in the stack's table: no series has a gap or a
/// number twice, and each of `done` has exactly one receipt and one invoice.
pub(crate) async fn numbered_without_gaps(stack: &TestStack, done: &[Paid]) {
    let items = handoff_tests::scan(stack).await;
    let docs: Vec<_> = items.iter().filter(|i| handoff_tests::s(i, "entity") == "SalesDocument").collect();
    let mut series: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut per: BTreeMap<(String, String), usize> = BTreeMap::new();
    for d in &docs {
        let seq: u64 = d["seq"].as_n().unwrap().parse().unwrap();
        series.entry(handoff_tests::s(d, "series")).or_default().push(seq);
        *per.entry((handoff_tests::s(d, "itinerary_id"), handoff_tests::s(d, "kind"))).or_default() += 1;
    }
    for (name, mut seqs) in series {
        seqs.sort();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{name} runs 1..n without a gap");
        let last = items
            .iter()
            .find(|i| {
                handoff_tests::s(i, "entity") == "DocumentCounter"
                    && handoff_tests::s(i, "pk") == format!("SERIES#{name}")
            })
            .map(|i| i["last"].as_n().unwrap().parse::<usize>().unwrap());
        assert_eq!(last, Some(seqs.len()), "{name}: the counter took exactly the numbers used");
    }
    for p in done {
        for kind in ["receipt", "invoice"] {
            assert_eq!(per.get(&(p.itinerary.clone(), kind.to_string())), Some(&1), "{} has one {kind}", p.itinerary);
        }
    }
}

/// 16 documents issued at once, each asked twice (a redelivered event):
/// numbers 1 to 16, each once, the same answer to both asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_gapless_under_concurrent_issues() {
    let stack = handoff_tests::stack("invoices").await;
    let table = &stack.table;
    let at = "2031-03-01T10:00:00.000Z";
    let draft = |i: usize| Draft {
        kind: DocKind::Invoice,
        user_id: format!("u{i}"),
        itinerary_id: Some(format!("it{i}")),
        period: None,
        currency: handoff::domain::money::Currency::parse("EUR").unwrap(),
        seller: Party { name: "Handoff SAS".into(), address: vec!["Lyon".into()], tax_id: None },
        buyer: Party { name: format!("Buyer {i}"), address: vec!["Paris".into()], tax_id: None },
        lines: vec![],
        notes: vec![],
    };
    let asks = (0..32).map(|n| {
        let i = n % 16;
        async move {
            let key = keys::sales_document(&keys::itinerary_partition(&format!("it{i}")), "invoice");
            (i, issue(table, &key, &draft(i), at).await.expect("issued").data)
        }
    });
    let issued: Vec<(usize, SalesDocument)> = futures::future::join_all(asks).await;
    let mut by_doc: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (i, d) in &issued {
        by_doc.entry(*i).or_default().insert(d.number.clone());
        assert_eq!(d.draft.user_id, format!("u{i}"), "each number belongs to its own document");
    }
    assert!(by_doc.values().all(|n| n.len() == 1), "both asks of a document get one number: {by_doc:?}");
    let mut seqs: Vec<u64> = issued.iter().map(|(_, d)| d.seq).collect::<BTreeSet<_>>().into_iter().collect();
    seqs.sort();
    assert_eq!(seqs, (1..=16).collect::<Vec<_>>(), "16 documents take numbers 1 to 16");
    assert_eq!(issued.iter().find(|(_, d)| d.seq == 16).unwrap().1.number, "INV-2031-000016");
    // The series lists them in number order (the accountant's view).
    let listed = table
        .query::<SalesDocument>(handoff::platform::store::Query {
            index: Some("gsi1"),
            partition: keys::series_partition("INV-2031"),
            sort_prefix: None,
            forward: true,
            limit: 100,
            cursor: None,
        })
        .await
        .unwrap()
        .items;
    assert_eq!(listed.iter().map(|d| d.data.seq).collect::<Vec<_>>(), (1..=16).collect::<Vec<_>>());
}

/// The first instant of the month after `month` (`YYYY-MM`), 03:00 UTC.
fn after(month: &str) -> String {
    let (y, m): (i32, u32) = (month[..4].parse().unwrap(), month[5..].parse().unwrap());
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    format!("{y}-{m:02}-01T03:00:00Z")
}

/// The travelers of `p` were paid this month: their statements wait for
/// the month's end, the monthly run issues one each (once, however often
/// it runs), and each PDF lists the payout and totals it.
pub(crate) async fn statements_of_the_month(c: &Client, p: &Paid) {
    let (ann, bob) = (&p.ann.0, &p.bob.0);
    let payouts = ok(c.get("/me/payouts", Some(ann)).await).await;
    let sent = payouts["items"].as_array().unwrap().iter().find(|x| x["itinerary_id"] == p.itinerary.as_str()).unwrap();
    let month = sent["sent_at"].as_str().unwrap()[..7].to_string();
    let path = format!("/me/statements/{month}");
    let open = c.get(&path, Some(ann)).await;
    if open.status != 200 {
        open.problem(409, "month-not-closed");
    }
    c.get("/me/statements/2026-13", Some(ann)).await.problem(422, "validation-failed");
    c.get("/me/statements/november", Some(ann)).await.problem(422, "validation-failed");
    c.get(&path, Some(&p.admin)).await.problem(403, "forbidden");
    let empty = ok(c.get("/me/statements/2020-01", Some(ann)).await).await;
    assert_eq!(empty["items"], serde_json::json!([]), "nothing was paid then");

    // The monthly run, as of the next month's first day: one statement per payee.
    let schedule = format!("/_local/schedules/IssueStatementsFunction?time={}", after(&month));
    let run = || async {
        let r = c.post(&schedule, None, serde_json::json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    };
    let first = run().await;
    assert_eq!(first["month"], month.as_str(), "{first}");
    let again = run().await;
    assert_eq!(first["statements"], again["statements"], "a second run numbers nothing again");
    for (tok, share) in [(ann, p.shares.0), (bob, p.shares.1)] {
        let r = c.get(&path, Some(tok)).await;
        eprintln!("calls: GET /me/statements/{{month}}: {}", r.header("x-aws-calls").unwrap_or(""));
        let list = ok(r).await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "one currency, one statement: {list}");
        let number = items[0]["number"].as_str().unwrap();
        assert!(
            number.starts_with("STM-") && first["statements"].as_array().unwrap().contains(&number.into()),
            "{number}"
        );
        let pdf = reqwest::get(items[0]["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
        let text = pdf_text(&pdf);
        eprintln!("statement as pdftotext reads it:\n{text}");
        assert!(text.contains("Earnings statement") && text.contains(&format!("Period: {month}")), "{text}");
        assert!(text.contains("Paid to") && text.contains("payout account acct_"), "{text}");
        let row = text
            .lines()
            .find(|l| l.contains(&p.itinerary))
            .unwrap_or_else(|| panic!("no line for the delivery:\n{text}"));
        assert!(row.trim_end().ends_with(&decimal(share)), "the share {share} in {row:?}");
        let total = figure(&text, "Total EUR");
        assert!(total >= share, "the month's total includes this payout");
        assert_eq!(items[0]["total"]["amount"], total, "the link's total is the PDF's");
    }
}
