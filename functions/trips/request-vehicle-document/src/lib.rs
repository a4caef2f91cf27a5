//! POST /vehicles/{id}/documents {"type": "registration"|"insurance",
//! "content_type", "size_bytes"} — a pending document and a presigned S3 PUT
//! URL (PDF, JPEG or PNG, at most 10 MiB). GetItem (vehicle) + PutItem.
use handoff::domain::documents::DocType;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Problem, Reply};
use handoff::platform::trip_records::own_vehicle;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let table = ctx.table()?;
    let me = req.principal()?;
    let v = own_vehicle(table, req.path_param("id")?, &me.user_id).await?;
    files.request_upload(&keys::vehicle_partition(&v.data.vehicle_id), req, DocType::FOR_VEHICLES).await
}
