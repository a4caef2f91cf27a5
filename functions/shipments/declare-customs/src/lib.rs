//! POST /shipments/{id}/customs {"nature", "incoterm"} — builds the customs
//! declaration of a draft whose goods cross a border: CN22 or CN23 from the
//! contents, the destination's standard VAT/GST rate and de minimis rule,
//! ECB exchange rates (their date in the answer), restricted goods flagged,
//! and the duties and taxes estimated for DAP or DDP. Query + PutItem.
use handoff::domain::customs::{declare, DeclarationInput, Incoterm, LineIn, Nature};
use handoff::domain::trips::Instant;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::shipment_records::{next_shipment, own_shipment, shipment_changed, ShipmentView};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CustomsRequest")]
struct Body {
    /// gift, documents, commercial_sample, returned_goods, sale_of_goods or other.
    nature: Nature,
    /// DAP: the recipient pays duties and taxes on arrival; DDP: the sender pays them in the quote.
    incoterm: Incoterm,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let body: Body = req.json()?;
    let (current, photos) = own_shipment(ctx.table()?, req.path_param("id")?, &me.user_id).await?;
    let mut s = current.data.clone();
    s.ensure_draft()?;
    let p = &s.package;
    let day = Instant(ctx.now()).day();
    let declaration = declare(DeclarationInput {
        origin_country: s.origin_country(),
        destination_country: s.destination_country(),
        nature: body.nature,
        incoterm: body.incoterm,
        value: &p.declared_value,
        weight_grams: p.weight_grams,
        lines: p
            .contents
            .iter()
            .map(|l| LineIn {
                description: &l.description,
                quantity: l.quantity,
                unit_value: l.unit_value,
                origin_country: &l.origin_country,
                hs_code: l.hs_code.as_deref(),
            })
            .collect(),
        day: &day,
        declared_at: ctx.now_rfc3339(),
    })?;
    s.customs = Some(declaration);
    s.updated_at = ctx.now_rfc3339();
    Ok(Reply::ok(&ShipmentView { shipment: s.clone(), photo_uploads: photos })
        .write(next_shipment(&current, s), Some(shipment_changed())))
}

pub fn operation() -> Operation {
    Operation::post("/shipments/{id}/customs", "shipments", "Declare a shipment's goods for customs")
        .describe(
            "CN22 up to 300 SDR and 2 kg, CN23 above; the destination's standard VAT/GST and de minimis \
             thresholds (sources named), ECB rates with their date, restricted goods flagged, and duties and \
             taxes estimated. DDP adds them to the quote; DAP leaves them to the recipient.",
        )
        .body::<Body>()
        .example(serde_json::json!({"nature": "gift", "incoterm": "DDP"}))
        .reply::<ShipmentView>(200, "the shipment with its declaration")
        .problem(409, "shipment-not-draft")
        .problem(409, "shipment-changed")
        .problem(422, "customs-not-needed")
        .problem(422, "no-exchange-rate")
}
