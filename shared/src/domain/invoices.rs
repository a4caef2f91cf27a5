//! Sales documents: the sender's receipt (when the itinerary is confirmed)
//! and invoice (when it is delivered), and a payee's monthly earnings
//! statement. Each is numbered in its series (`RCT-2026`, `INV-2026`,
//! `STM-2026`: kind and year) without gaps, carries seller and buyer, the
//! lines of the quote with VAT on the platform fee at the sender's
//! country's rate, and totals that add up; [`render`] makes its PDF.
//!
//! The numbers are taken by the records layer (an optimistic counter
//! written in one transaction with the document, so a number is taken only
//! together with its document and never reused).
use serde::{Deserialize, Serialize};

use super::bookings::{Itinerary, LineKind, QuoteLine};
use super::money::Currency;
use super::payments::vat_included;
use super::payments::Payment;
use super::payouts::Payout;
use super::shipments::Contact;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Receipt,
    Invoice,
    Statement,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Receipt => "receipt",
            DocKind::Invoice => "invoice",
            DocKind::Statement => "statement",
        }
    }
    /// The series prefix of its numbers.
    pub fn prefix(self) -> &'static str {
        match self {
            DocKind::Receipt => "RCT",
            DocKind::Invoice => "INV",
            DocKind::Statement => "STM",
        }
    }
    /// When a sender's document of this kind is issued.
    pub fn issued_when(self) -> &'static str {
        match self {
            DocKind::Receipt => "when the itinerary is confirmed",
            DocKind::Invoice => "when the parcel is delivered",
            DocKind::Statement => "when the month has ended",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            DocKind::Receipt => "Receipt",
            DocKind::Invoice => "Invoice",
            DocKind::Statement => "Earnings statement",
        }
    }
}

/// The series of `kind` in `year`: `INV-2026`.
pub fn series(kind: DocKind, year: i32) -> String {
    format!("{}-{year}", kind.prefix())
}

/// The number of the `seq`th document of a series: `INV-2026-000042`.
pub fn number(series: &str, seq: u64) -> String {
    format!("{series}-{seq:06}")
}

/// A seller or buyer as the document names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Party {
    pub name: String,
    /// Address lines, the last one the country.
    pub address: Vec<String>,
    /// A VAT or tax id, where one is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
}

/// One line: its gross amount and the VAT included in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DocLine {
    pub description: String,
    /// Minor units, VAT included.
    pub amount: i64,
    /// The VAT rate applied (basis points); absent: outside the scope of VAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_bp: Option<u32>,
    /// VAT included in `amount` (minor units).
    #[serde(default)]
    pub vat: i64,
}

/// VAT at one rate: the net amount it is charged on and the tax.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VatLine {
    pub rate_bp: u32,
    pub net: i64,
    pub vat: i64,
}

/// What the document says, without its number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Draft {
    pub kind: DocKind,
    /// Whose document it is: the sender (receipt, invoice) or the payee (statement).
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itinerary_id: Option<String>,
    /// The month of a statement (`YYYY-MM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    pub currency: Currency,
    pub seller: Party,
    pub buyer: Party,
    pub lines: Vec<DocLine>,
    /// Further lines printed under the totals (how it was paid, the VAT notes).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A numbered sales document, as stored and rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SalesDocument {
    /// `INV-2026-000042`.
    pub number: String,
    pub series: String,
    pub seq: u64,
    /// RFC 3339; the document's date is its first ten characters.
    pub issued_at: String,
    #[serde(flatten)]
    pub draft: Draft,
    /// Totals of the lines: `net + vat = total`.
    pub net: i64,
    pub vat: i64,
    pub total: i64,
    pub vat_summary: Vec<VatLine>,
    /// Where its PDF is stored (S3 object key).
    pub file_key: String,
    /// Its PDF has been stored.
    #[serde(default)]
    pub stored: bool,
}

impl SalesDocument {
    /// The news that it was issued (announced once its PDF is stored).
    pub fn issued(&self) -> super::events::DocumentIssued {
        super::events::DocumentIssued {
            kind: self.draft.kind,
            number: self.number.clone(),
            user_id: self.draft.user_id.clone(),
            itinerary_id: self.draft.itinerary_id.clone(),
            period: self.draft.period.clone(),
            total: super::money::Money::new(self.total, self.draft.currency.clone()),
        }
    }
    /// Numbers a draft: the `seq`th of `series`, issued at `issued_at`.
    pub fn new(draft: Draft, series: &str, seq: u64, issued_at: &str) -> Self {
        let number = number(series, seq);
        let (total, vat) = draft.lines.iter().fold((0, 0), |(t, v), l| (t + l.amount, v + l.vat));
        let mut summary: Vec<VatLine> = Vec::new();
        for l in &draft.lines {
            let Some(rate_bp) = l.vat_bp else { continue };
            match summary.iter_mut().find(|s| s.rate_bp == rate_bp) {
                Some(s) => {
                    s.net += l.amount - l.vat;
                    s.vat += l.vat;
                }
                None => summary.push(VatLine { rate_bp, net: l.amount - l.vat, vat: l.vat }),
            }
        }
        SalesDocument {
            file_key: format!("sales/{}/{series}/{number}.pdf", draft.kind.as_str()),
            number,
            series: series.into(),
            seq,
            issued_at: issued_at.into(),
            draft,
            net: total - vat,
            vat,
            total,
            vat_summary: summary,
            stored: false,
        }
    }
}

/// The year of an RFC 3339 instant (the series it is numbered in).
pub fn year_of(at: &str) -> i32 {
    at.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970)
}

/// The lines of an itinerary's sale: every line of its quote; the
/// platform fee carries VAT at `fee_vat_bp` (the sender's country),
/// included in its amount; transport and courier are collected on behalf
/// of the travelers and couriers, duties passed on at cost, insurance
/// exempt: outside the scope of the platform's VAT.
pub fn sale_lines(lines: &[QuoteLine], fee_vat_bp: u32) -> Vec<DocLine> {
    lines
        .iter()
        .map(|l| match l.kind {
            LineKind::PlatformFee => DocLine {
                description: l.description.clone(),
                amount: l.amount,
                vat_bp: Some(fee_vat_bp),
                vat: vat_included(l.amount, fee_vat_bp),
            },
            _ => DocLine { description: l.description.clone(), amount: l.amount, vat_bp: None, vat: 0 },
        })
        .collect()
}

impl Party {
    /// A shipment's contact (the sender as a buyer): name and postal address.
    pub fn of_contact(c: &Contact) -> Party {
        let a = &c.address;
        let mut address = a.lines.clone();
        address.push(match &a.postcode {
            Some(p) => format!("{p} {}", a.city),
            None => a.city.clone(),
        });
        address.push(a.country.clone());
        Party { name: c.name.clone(), address, tax_id: None }
    }
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

/// The notes every receipt and invoice prints.
pub fn sale_notes() -> Vec<String> {
    vec![
        "Transport and courier lines are collected on behalf of the independent travelers and couriers who carry the parcel.".into(),
        "Lines without a VAT rate are outside the scope of VAT; duties and taxes are passed on at cost.".into(),
    ]
}

/// The lines of a payee's statement for a month: each payout sent in it,
/// for what was transferred. (Reversals and refunds taken back after
/// sending are on the payout, GET /me/payouts, not on the month's
/// statement: the payout does not record when they happened.)
pub fn statement_lines(payouts: &[Payout]) -> Vec<DocLine> {
    let mut sent: Vec<&Payout> = payouts.iter().filter(|p| p.sent_at.is_some()).collect();
    sent.sort_by(|a, b| (&a.sent_at, &a.payout_id).cmp(&(&b.sent_at, &b.payout_id)));
    sent.iter()
        .map(|p| {
            let day = p.sent_at.as_deref().and_then(|s| s.get(..10)).unwrap_or_default();
            let transfer = p.transfer_id.as_deref().unwrap_or("-");
            DocLine {
                description: format!("{day} itinerary {} transfer {transfer}", p.itinerary_id),
                amount: p.amount,
                vat_bp: None,
                vat: 0,
            }
        })
        .collect()
}

/// A payee's earnings statement for `month` (`YYYY-MM`) in one currency.
pub fn statement_draft(
    payee_id: &str,
    month: &str,
    currency: Currency,
    platform: Party,
    payee: Party,
    payouts: &[Payout],
) -> Draft {
    Draft {
        kind: DocKind::Statement,
        user_id: payee_id.into(),
        itinerary_id: None,
        period: Some(month.into()),
        currency,
        seller: platform,
        buyer: payee,
        lines: statement_lines(payouts),
        notes: vec![
            "Payouts for deliveries, transferred to your connected payout account; the platform charges payees no fee."
                .into(),
            "You are responsible for declaring these earnings where you are taxed.".into(),
        ],
    }
}

/// `YYYY-MM`, a month that exists (years 2000 to 2999).
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    (s.len() == 7 && y.len() == 4 && (2000..3000).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

/// The month before the one of `at` (RFC 3339): `2026-01-05…` gives `2025-12`.
pub fn previous_month(at: &str) -> String {
    let (y, m) = parse_month(at.get(..7).unwrap_or_default()).unwrap_or((1970, 1));
    if m == 1 {
        format!("{}-12", y - 1)
    } else {
        format!("{y}-{:02}", m - 1)
    }
}

/// A month is closed once the month of `at` is later.
pub fn is_closed(month: &str, at: &str) -> bool {
    at.get(..7).is_some_and(|now| month < now)
}

/// `minor` units of `currency` as a decimal: `1190` EUR is `11.90`.
pub fn decimal(minor: i64, currency: &Currency) -> String {
    let exp = currency.exponent();
    let sign = if minor < 0 { "-" } else { "" };
    let a = minor.unsigned_abs();
    if exp == 0 {
        return format!("{sign}{a}");
    }
    let unit = 10u64.pow(exp);
    format!("{sign}{}.{:0width$}", a / unit, a % unit, width = exp as usize)
}

/// A rate in basis points as a percentage: `1900` is `19.00%`.
pub fn percent(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

// ------------------------------------------------------------------- PDF

mod pdf {
    use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

    const WIDTH: f32 = 595.0;
    const HEIGHT: f32 = 842.0;
    const LEFT: f32 = 50.0;
    const RIGHT: f32 = 545.0;
    const BOTTOM: f32 = 70.0;

    /// Text in WinAnsiEncoding (the standard fonts' encoding): Latin-1 as
    /// is, the euro sign and typographic quotes at their code points, any
    /// other character transliterated.
    pub fn win_ansi(s: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len());
        for c in s.chars() {
            match c {
                ' '..='~' => out.push(c as u8),
                '\u{a0}'..='\u{ff}' => out.push(c as u32 as u8),
                '€' => out.push(0x80),
                '‘' => out.push(0x91),
                '’' => out.push(0x92),
                '“' => out.push(0x93),
                '”' => out.push(0x94),
                '•' => out.push(0x95),
                '–' => out.push(0x96),
                '—' => out.push(0x97),
                '→' => out.extend(b"->"),
                c => {
                    out.extend(deunicode::deunicode_char(c).unwrap_or("?").bytes().filter(|b| (0x20..0x7f).contains(b)))
                }
            }
        }
        out
    }

    /// Splits `s` into lines of at most `width` characters, at spaces where it can.
    pub fn wrap(s: &str, width: usize) -> Vec<String> {
        let mut lines = vec![String::new()];
        for word in s.split_whitespace() {
            let mut word = word.to_string();
            loop {
                let cur = lines.last_mut().expect("one line");
                let len = cur.chars().count();
                let need = word.chars().count() + usize::from(len > 0);
                if len + need <= width {
                    if len > 0 {
                        cur.push(' ');
                    }
                    cur.push_str(&word);
                    break;
                }
                if len == 0 {
                    // A word longer than a line: cut it.
                    let head: String = word.chars().take(width).collect();
                    word = word.chars().skip(width).collect();
                    cur.push_str(&head);
                    lines.push(String::new());
                    if word.is_empty() {
                        break;
                    }
                    continue;
                }
                lines.push(String::new());
            }
        }
        lines.retain(|l| !l.is_empty());
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    /// Pages of text: Helvetica for words, Courier for figures (monospaced,
    /// so they align right exactly).
    pub struct Writer {
        pages: Vec<Content>,
        y: f32,
    }

    pub enum Font {
        Regular,
        Bold,
        Mono,
    }

    impl Writer {
        pub fn new() -> Self {
            Writer { pages: vec![Content::new()], y: HEIGHT - 60.0 }
        }
        fn page(&mut self) -> &mut Content {
            self.pages.last_mut().expect("one page")
        }
        /// Room for `height` more points on this page, else a new page.
        pub fn need(&mut self, height: f32) {
            if self.y - height < BOTTOM {
                self.pages.push(Content::new());
                self.y = HEIGHT - 60.0;
            }
        }
        pub fn down(&mut self, by: f32) {
            self.y -= by;
        }
        pub fn text(&mut self, x: f32, font: Font, size: f32, s: &str) {
            let y = self.y;
            let name = match font {
                Font::Regular => Name(b"F1"),
                Font::Bold => Name(b"F2"),
                Font::Mono => Name(b"F3"),
            };
            let bytes = win_ansi(s);
            let c = self.page();
            c.begin_text();
            c.set_font(name, size);
            c.next_line(x, y);
            c.show(Str(&bytes));
            c.end_text();
        }
        /// Figures ending at `right`.
        pub fn figure(&mut self, right: f32, size: f32, s: &str) {
            let width = s.chars().count() as f32 * 0.6 * size;
            self.text(right - width, Font::Mono, size, s);
        }
        pub fn rule(&mut self) {
            let y = self.y;
            let c = self.page();
            c.set_line_width(0.5);
            c.move_to(LEFT, y);
            c.line_to(RIGHT, y);
            c.stroke();
        }
        /// The PDF: every page A4, the three standard fonts.
        pub fn finish(self, footer: &str) -> Vec<u8> {
            let mut pdf = Pdf::new();
            let (catalog, tree) = (Ref::new(1), Ref::new(2));
            let fonts = [(Ref::new(3), "Helvetica"), (Ref::new(4), "Helvetica-Bold"), (Ref::new(5), "Courier")];
            let count = self.pages.len();
            let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(6 + 2 * i as i32)).collect();
            pdf.catalog(catalog).pages(tree);
            pdf.pages(tree).kids(page_ids.iter().copied()).count(count as i32);
            for (id, base) in fonts {
                pdf.type1_font(id).base_font(Name(base.as_bytes())).encoding_predefined(Name(b"WinAnsiEncoding"));
            }
            for (i, mut content) in self.pages.into_iter().enumerate() {
                let (page, body) = (page_ids[i], Ref::new(7 + 2 * i as i32));
                let foot = win_ansi(&format!("{footer} - page {} of {count}", i + 1));
                content.begin_text();
                content.set_font(Name(b"F1"), 8.0);
                content.next_line(LEFT, 40.0);
                content.show(Str(&foot));
                content.end_text();
                {
                    let mut p = pdf.page(page);
                    p.parent(tree).media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT)).contents(body);
                    p.resources()
                        .fonts()
                        .pair(Name(b"F1"), fonts[0].0)
                        .pair(Name(b"F2"), fonts[1].0)
                        .pair(Name(b"F3"), fonts[2].0);
                }
                pdf.stream(body, &content.finish());
            }
            pdf.finish()
        }
    }

    pub const COL_VAT: f32 = 440.0;
    pub const COL_AMOUNT: f32 = RIGHT;
    pub const COL_LEFT: f32 = LEFT;
    pub const COL_RIGHT_BLOCK: f32 = 330.0;
}

/// The document as a PDF (A4, the standard fonts; the same document
/// always gives the same bytes).
pub fn render(doc: &SalesDocument) -> Vec<u8> {
    use pdf::{Font, Writer, COL_AMOUNT, COL_LEFT, COL_RIGHT_BLOCK, COL_VAT};
    let d = &doc.draft;
    let cur = &d.currency;
    let mut w = Writer::new();
    w.text(COL_LEFT, Font::Bold, 18.0, d.kind.title());
    w.down(28.0);
    let mut facts =
        vec![format!("Number: {}", doc.number), format!("Date: {}", &doc.issued_at[..10.min(doc.issued_at.len())])];
    if let Some(it) = &d.itinerary_id {
        facts.push(format!("Itinerary: {it}"));
    }
    if let Some(p) = &d.period {
        facts.push(format!("Period: {p}"));
    }
    facts.push(format!("Currency: {}", cur.as_str()));
    for f in &facts {
        w.text(COL_LEFT, Font::Regular, 10.0, f);
        w.down(13.0);
    }
    w.down(10.0);
    // Seller and buyer side by side.
    let (from, to) = match d.kind {
        DocKind::Statement => ("Paid by", "Paid to"),
        _ => ("Seller", "Buyer"),
    };
    let block = |p: &Party| {
        let mut l = vec![p.name.clone()];
        l.extend(p.address.iter().cloned());
        if let Some(t) = &p.tax_id {
            l.push(format!("VAT id: {t}"));
        }
        l
    };
    let (a, b) = (block(&d.seller), block(&d.buyer));
    w.text(COL_LEFT, Font::Bold, 10.0, from);
    w.text(COL_RIGHT_BLOCK, Font::Bold, 10.0, to);
    w.down(13.0);
    for i in 0..a.len().max(b.len()) {
        if let Some(s) = a.get(i) {
            w.text(COL_LEFT, Font::Regular, 10.0, s);
        }
        if let Some(s) = b.get(i) {
            w.text(COL_RIGHT_BLOCK, Font::Regular, 10.0, s);
        }
        w.down(13.0);
    }
    w.down(14.0);
    w.text(COL_LEFT, Font::Bold, 10.0, "Description");
    w.text(COL_VAT - 20.0, Font::Bold, 10.0, "VAT");
    w.text(COL_AMOUNT - 60.0, Font::Bold, 10.0, "Amount");
    w.down(5.0);
    w.rule();
    w.down(13.0);
    for l in &d.lines {
        let rows = pdf::wrap(&l.description, 62);
        w.need(13.0 * rows.len() as f32);
        for (i, row) in rows.iter().enumerate() {
            w.text(COL_LEFT, Font::Regular, 10.0, row);
            if i == 0 {
                w.figure(COL_VAT, 10.0, &l.vat_bp.map_or("-".into(), percent));
                w.figure(COL_AMOUNT, 10.0, &decimal(l.amount, cur));
            }
            w.down(13.0);
        }
    }
    w.need(30.0 + 13.0 * (doc.vat_summary.len() as f32 + 3.0));
    w.rule();
    w.down(14.0);
    if d.kind != DocKind::Statement {
        w.text(COL_LEFT, Font::Regular, 10.0, "Net");
        w.figure(COL_AMOUNT, 10.0, &decimal(doc.net, cur));
        w.down(13.0);
        for v in &doc.vat_summary {
            let label = format!("VAT {} on {}", percent(v.rate_bp), decimal(v.net, cur));
            w.text(COL_LEFT, Font::Regular, 10.0, &label);
            w.figure(COL_AMOUNT, 10.0, &decimal(v.vat, cur));
            w.down(13.0);
        }
    }
    w.text(COL_LEFT, Font::Bold, 11.0, &format!("Total {}", cur.as_str()));
    w.figure(COL_AMOUNT, 11.0, &decimal(doc.total, cur));
    w.down(24.0);
    for n in &d.notes {
        for row in pdf::wrap(n, 100) {
            w.need(12.0);
            w.text(COL_LEFT, Font::Regular, 8.5, &row);
            w.down(12.0);
        }
    }
    w.finish(&format!("{} {}", d.kind.title(), doc.number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn draft(lines: Vec<DocLine>) -> Draft {
        Draft {
            kind: DocKind::Invoice,
            user_id: "u1".into(),
            itinerary_id: Some("it1".into()),
            period: None,
            currency: eur(),
            seller: Party { name: "Handoff".into(), address: vec!["1 Quai".into(), "FR".into()], tax_id: None },
            buyer: Party { name: "Zoë Müller".into(), address: vec!["Zürich".into(), "CH".into()], tax_id: None },
            lines,
            notes: sale_notes(),
        }
    }

    #[test]
    fn numbers_are_per_series_and_zero_padded() {
        assert_eq!(series(DocKind::Invoice, 2026), "INV-2026");
        assert_eq!(number("INV-2026", 42), "INV-2026-000042");
        assert_eq!(year_of("2026-11-22T10:00:00.000Z"), 2026);
        assert_eq!(decimal(1190, &eur()), "11.90");
        assert_eq!(decimal(-5, &eur()), "-0.05");
        assert_eq!(decimal(1500, &Currency::parse("JPY").unwrap()), "1500");
        assert_eq!(decimal(1500, &Currency::parse("KWD").unwrap()), "1.500");
        assert_eq!(percent(1900), "19.00%");
    }

    #[test]
    fn vat_only_on_the_fee_and_totals_add_up() {
        let quote = vec![
            QuoteLine { kind: LineKind::Transport, description: "transport".into(), amount: 2000 },
            QuoteLine { kind: LineKind::PlatformFee, description: "platform fee".into(), amount: 1190 },
            QuoteLine { kind: LineKind::DutiesAndTaxes, description: "duties".into(), amount: 300 },
        ];
        let lines = sale_lines(&quote, 1900);
        assert_eq!(lines[1].vat, 190);
        assert_eq!((lines[0].vat_bp, lines[2].vat_bp), (None, None));
        let doc = SalesDocument::new(draft(lines), "INV-2026", 7, "2026-11-22T10:00:00.000Z");
        assert_eq!(doc.number, "INV-2026-000007");
        assert_eq!((doc.total, doc.vat, doc.net), (3490, 190, 3300));
        assert_eq!(doc.vat_summary, vec![VatLine { rate_bp: 1900, net: 1000, vat: 190 }]);
        assert_eq!(doc.file_key, "sales/invoice/INV-2026/INV-2026-000007.pdf");
    }

    #[test]
    fn months_and_statements() {
        assert_eq!(parse_month("2026-11"), Some((2026, 11)));
        for bad in ["2026-13", "2026-00", "26-11", "2026-1", "2026-011", "abcd-ef", "2026/11"] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
        assert_eq!(previous_month("2026-01-05T00:00:00.000Z"), "2025-12");
        assert_eq!(previous_month("2026-11-22T10:00:00.000Z"), "2026-10");
        assert!(is_closed("2026-10", "2026-11-01T00:00:00.000Z"));
        assert!(!is_closed("2026-11", "2026-11-30T23:59:59.999Z"));
        let payout = |id: &str, amount: i64, sent: Option<&str>| {
            serde_json::from_value::<Payout>(serde_json::json!({
                "payout_id": id, "payee_id": "p1", "payable": "payable_traveler", "itinerary_id": id,
                "amount": amount, "currency": "EUR", "status": if sent.is_some() { "sent" } else { "due" },
                "transfer_id": sent.map(|_| format!("tr_{id}")), "sent_at": sent,
                "created_at": "2026-11-01T00:00:00.000Z", "updated_at": "2026-11-01T00:00:00.000Z"
            }))
            .unwrap()
        };
        let ps = [
            payout("b", 900, Some("2026-11-20T10:00:00.000Z")),
            payout("a", 1400, Some("2026-11-02T10:00:00.000Z")),
            payout("c", 500, None),
        ];
        let party = |n: &str| Party { name: n.into(), address: vec![], tax_id: None };
        let d = statement_draft("p1", "2026-11", eur(), party("Handoff"), party("Ann"), &ps);
        let amounts: Vec<i64> = d.lines.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, [1400, 900], "sent payouts only, in the order sent");
        assert_eq!(d.lines[0].description, "2026-11-02 itinerary a transfer tr_a");
        let doc = SalesDocument::new(d, "STM-2026", 3, "2026-12-01T03:00:00.000Z");
        assert_eq!((doc.total, doc.vat), (2300, 0));
        assert_eq!(doc.draft.period.as_deref(), Some("2026-11"));
    }

    #[test]
    fn the_pdf_is_deterministic_and_encodes_latin_text() {
        let lines = (0..120)
            .map(|i| DocLine { description: format!("line {i} Zürich → Lyon"), amount: 100, vat_bp: None, vat: 0 })
            .collect();
        let doc = SalesDocument::new(draft(lines), "INV-2026", 1, "2026-11-22T10:00:00.000Z");
        let (a, b) = (render(&doc), render(&doc));
        assert_eq!(a, b, "the same document gives the same bytes");
        assert!(a.starts_with(b"%PDF-"));
        let s = String::from_utf8_lossy(&a);
        assert!(s.contains("/Count 3"), "120 lines take three pages");
        assert_eq!(pdf::win_ansi("Zürich → 5 €"), b"Z\xfcrich -> 5 \x80".to_vec());
        assert_eq!(pdf::wrap("aaaa bbbb cccc", 9), vec!["aaaa bbbb", "cccc"]);
        assert_eq!(pdf::wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }
}
