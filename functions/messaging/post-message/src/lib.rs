//! POST /conversations/{id}/messages {text, attachments} — a participant
//! writes to the conversation of an itinerary (its id). Attachments are the
//! author's uploads to this conversation, accepted by their check. Until
//! every booking is accepted, phone numbers and email addresses in the text
//! are masked. The message, every participant's member item (one more
//! unread for the others) and MessagePosted are written together.
//! GetItem (itinerary) [+ BatchGetItem (attachments)] + TransactWriteItems.
use handoff::domain::documents::{DocStatus, Document};
use handoff::domain::events::MessagePosted;
use handoff::domain::messaging::{check_text, mask_contacts, Attachment, Message, MAX_ATTACHMENTS};
use handoff::domain::validation::Errors;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::messaging_records::{conversation_of, member_unread, member_wrote};
use handoff::platform::outbox;
use handoff::platform::store::{from_item, put_new, Record};
use serde::Deserialize;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// 1 to 2000 characters.
    pub text: String,
    /// Ids of documents uploaded with POST /conversations/{id}/attachments and completed (at most 5).
    #[serde(default)]
    pub attachments: Vec<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let body: NewMessage = req.json()?;
    let mut errors = Errors::new();
    let text = errors.check("text", check_text(&body.text));
    if body.attachments.len() > MAX_ATTACHMENTS {
        errors.push("attachments", format!("at most {MAX_ATTACHMENTS}"));
    }
    let text = errors.finish(text)?;
    let table = ctx.table()?;
    let (_, people) = conversation_of(table, id, &me.user_id).await?;
    let files = keys::attachments_partition(id, &me.user_id);
    let mut attachments = Vec::new();
    if !body.attachments.is_empty() {
        let wanted: Vec<_> = body.attachments.iter().map(|d| keys::document(&files, d)).collect();
        for (n, item) in table.get_many(&wanted, true).await?.into_iter().enumerate() {
            let doc = item.map(from_item::<Record<Document>>).transpose()?.map(|r| r.data);
            match doc {
                Some(d) if d.status == DocStatus::Accepted => attachments.push(Attachment {
                    document_id: d.document_id.clone(),
                    content_type: d.file_type.media_type().to_string(),
                    size_bytes: d.size_bytes,
                    url: None,
                    object_key: d.object_key.clone(),
                }),
                _ => {
                    return Err(Problem::field(
                        &format!("attachments[{n}]"),
                        "is not an accepted upload of yours to this conversation",
                    ))
                }
            }
        }
    }
    let (text, masked) = if people.iter().all(|p| p.accepted) { (text, false) } else { mask_contacts(&text) };
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let message = Message {
        message_id: uuid::Uuid::now_v7().to_string(),
        conversation_id: id.to_string(),
        author_id: me.user_id.clone(),
        text,
        masked,
        attachments,
        created_at: at.clone(),
    };
    let others: Vec<String> = people.iter().filter(|p| p.user_id != me.user_id).map(|p| p.user_id.clone()).collect();
    let mut writes = vec![
        put_new(&Record::new(keys::message(id, &message.message_id), entity::MESSAGE, &message)),
        member_wrote(&me.user_id, id, &at),
    ];
    writes.extend(others.iter().map(|u| member_unread(u, id, &at, now)));
    let preview: String = message.text.chars().take(80).collect();
    let event = MessagePosted {
        conversation_id: id.to_string(),
        message_id: message.message_id.clone(),
        author_id: me.user_id.clone(),
        recipients: others,
        preview,
        masked,
        attachments: message.attachments.len(),
    };
    writes.push(outbox::event(&event, &req.correlation_id, req.actor()));
    let mut shown = message.clone();
    shown.attachments.iter_mut().for_each(|a| a.object_key.clear());
    Ok(Reply::json(201, &shown).writes(writes))
}

pub fn operation() -> Operation {
    Operation::post("/conversations/{id}/messages", "messaging", "Write to an itinerary's conversation")
        .describe(
            "The conversation of an itinerary (its id) is open once a traveler accepted; its participants \
             are the sender and the travelers of its live bookings. Until every booking is accepted, phone \
             numbers and email addresses are masked (`masked: true`). The others are notified (push and \
             in-app; an email digest if it stays unread for 30 minutes).",
        )
        .body::<NewMessage>()
        .example(serde_json::json!({"text": "Hi! I land at 18:40, can we meet at arrivals?", "attachments": []}))
        .reply::<Message>(201, "the message as stored")
}
