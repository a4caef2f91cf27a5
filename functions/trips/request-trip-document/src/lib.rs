//! POST /trips/{id}/documents {"type": "ticket"|"boarding_pass", "content_type",
//! "size_bytes"} — a pending document and a presigned S3 PUT URL bound to
//! that type and size (PDF, JPEG or PNG, at most 10 MiB, 15 minutes).
//! GetItem (trip) + PutItem (document); presigning makes no call.
use handoff::domain::documents::DocType;
use handoff::domain::trips::TripStatus;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Problem, Reply};
use handoff::platform::trip_records::own_trip;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let table = ctx.table()?;
    let me = req.principal()?;
    let trip = own_trip(table, req.path_param("id")?, &me.user_id).await?;
    if trip.data.status == TripStatus::Cancelled {
        return Err(Problem::conflict("trip-not-editable", "a cancelled trip takes no documents"));
    }
    files.request_upload(&keys::trip_partition(&trip.data.trip_id), req, DocType::FOR_TRIPS).await
}
