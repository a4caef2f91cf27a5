//! GET /handoffs/{id}/qr — the giving party's QR code for a pending
//! handoff: a token signed with the custody key that binds the step, the
//! shipment, the receiving party and an expiry (10 minutes: the app asks
//! again), and a random nonce under which its single use is recorded. It is
//! useless for any other step or person. Answered as the token and the
//! code rendered as SVG and as PNG (base64). The last handoff has a QR code
//! only when the recipient has an account; otherwise the carrier enters
//! the recipient's delivery code.
//! One GetItem.
use base64::Engine;
use handoff::domain::custody::{StepKind, StepStatus, TokenClaims, TOKEN_SECONDS};
use handoff::domain::trips::Instant;
use handoff::platform::context::Ctx;
use handoff::platform::crypto::random_token;
use handoff::platform::custody_records::{party_step, CustodyConfig};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use qrcode::{Color, QrCode};
use serde::Serialize;

#[derive(Serialize, schemars::JsonSchema)]
pub struct HandoffQr {
    pub handoff_id: String,
    /// What the code encodes: the receiving party's app posts it to …/scan.
    pub token: String,
    pub expires_at: Instant,
    /// The code as an SVG document.
    pub svg: String,
    /// The code as a PNG image, base64.
    pub png: String,
}

/// Modules of quiet zone around the code, and pixels per module.
const QUIET: usize = 4;
const SCALE: usize = 8;

/// The code as an 8-bit greyscale PNG.
pub fn png(code: &QrCode) -> Vec<u8> {
    let w = code.width();
    let colors = code.to_colors();
    let size = (w + 2 * QUIET) * SCALE;
    let mut px = vec![255u8; size * size];
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (x0, y0) = ((i % w + QUIET) * SCALE, (i / w + QUIET) * SCALE);
            for y in y0..y0 + SCALE {
                px[y * size + x0..y * size + x0 + SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, size as u32, size as u32);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().expect("PNG header into memory");
    writer.write_image_data(&px).expect("PNG data into memory");
    writer.finish().expect("PNG end into memory");
    out
}

pub async fn handle(ctx: &Ctx<CustodyConfig>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let (c, n) = party_step(ctx.table()?, id, &me.user_id).await?;
    let step = &c.data.steps[n];
    if step.giver.user_id.as_deref() != Some(me.user_id.as_str()) {
        return Err(Problem::forbidden("only the party giving the parcel shows this handoff's QR code"));
    }
    if step.status != StepStatus::Pending {
        return Err(Problem::conflict("handoff-not-pending", "this handoff is complete or locked"));
    }
    let Some(receiver) = step.receiver.user_id.clone() else {
        debug_assert_eq!(step.kind, StepKind::Delivery);
        return Err(Problem::conflict(
            "delivery-code-required",
            "the recipient has no account: enter the delivery code they were sent",
        ));
    };
    let exp = ctx.now() + TOKEN_SECONDS;
    let claims = TokenClaims { h: id.into(), s: c.data.shipment_id.clone(), r: receiver, n: random_token(16), exp };
    let token = ctx.config.key.token(&claims);
    let code = QrCode::new(token.as_bytes()).map_err(|_| Problem::internal())?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(256, 256).build();
    let png = base64::engine::general_purpose::STANDARD.encode(png(&code));
    Ok(Reply::ok(&HandoffQr { handoff_id: id.into(), token, expires_at: Instant(exp), svg, png })
        .header("cache-control", "no-store"))
}

pub fn operation() -> Operation {
    Operation::get("/handoffs/{id}/qr", "custody", "The giving party's QR code for a handoff")
        .describe(
            "Signed, single-use, bound to this handoff and its receiving party, valid 10 minutes; as SVG and \
             PNG (base64). The giving party only.",
        )
        .reply::<HandoffQr>(200, "the token and the code")
        .problem(403, "forbidden")
        .problem(409, "handoff-not-pending")
        .problem(409, "delivery-code-required")
}
