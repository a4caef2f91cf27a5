//! DELETE /couriers/areas/{id} — withdraws one of the caller's service areas
//! from search (someone else's answers 404). GetItem + DeleteItem
//! (conditional on the version read).
use handoff::domain::search::CourierArea;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{delete, Cond, Record};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let key = keys::courier_area(req.path_param("id")?);
    let area: Record<CourierArea> = table
        .get(&key, true)
        .await?
        .filter(|r: &Record<CourierArea>| r.data.courier_id == me.user_id)
        .ok_or_else(|| Problem::not_found("courier area"))?;
    let cond = Cond::new("#version = :v").name("#version", "version").value(":v", area.version);
    Ok(Reply::no_content().write(
        delete(&key, Some(cond)),
        Some(Problem::conflict("area-changed", "the area was changed by another request; retry")),
    ))
}

pub fn operation() -> Operation {
    Operation::delete("/couriers/areas/{id}", "search", "Withdraw one of the caller's service areas")
        .no_content("the area is withdrawn")
        .problem(409, "area-changed")
}
