//! The WebSocket API on localhost, as API Gateway runs it: a client connects
//! to `ws://…/_ws?…`; the template's `$connect` function decides (a non-200
//! answer refuses the upgrade); each text frame is routed by its `action`
//! to the route's function; `$disconnect` runs when the socket closes. The
//! Management API the functions call (`POST`/`DELETE /_ws/@connections/{id}`)
//! writes to or closes the socket; an unknown connection answers 410
//! GoneException, as on AWS.
use futures::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::lambda::Pool;

type Resp = Response<Full<Bytes>>;

/// What a connection's writer is told.
enum Out {
    Text(String),
    Close,
}

pub struct Live {
    /// Route key ($connect, $disconnect, subscribe, …) → its function.
    pub routes: HashMap<String, Arc<Pool>>,
    pub stage: String,
    conns: Mutex<HashMap<String, mpsc::UnboundedSender<Out>>>,
}

impl Live {
    pub fn new(routes: HashMap<String, Arc<Pool>>, stage: String) -> Self {
        Self { routes, stage, conns: Mutex::new(HashMap::new()) }
    }
}

fn event(live: &Live, route: &str, kind: &str, id: &str, query: &HashMap<String, String>, body: Option<&str>) -> Value {
    json!({
        "requestContext": {
            "routeKey": route, "eventType": kind, "connectionId": id, "stage": live.stage,
            "domainName": "localhost", "apiId": "local", "requestId": uuid::Uuid::new_v4().to_string(),
            "connectedAt": time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
        },
        "queryStringParameters": if query.is_empty() { Value::Null } else { json!(query) },
        "body": body, "isBase64Encoded": false,
    })
}

async fn run(
    live: &Live,
    route: &str,
    kind: &str,
    id: &str,
    query: &HashMap<String, String>,
    body: Option<&str>,
) -> u16 {
    let Some(pool) = live.routes.get(route) else { return 404 };
    match pool.invoke(event(live, route, kind, id, query, body)).await {
        Ok(answer) => answer.get("statusCode").and_then(Value::as_u64).map_or(200, |s| s as u16),
        Err(e) => {
            tracing::warn!(route, error = %e, "websocket route failed");
            500
        }
    }
}

fn plain(status: u16, text: &str) -> Resp {
    Response::builder().status(status).body(Full::new(Bytes::from(text.to_string()))).expect("response")
}

/// Upgrades `GET /_ws?…` once `$connect` accepts.
pub async fn accept(live: Arc<Live>, mut req: Request<Incoming>) -> Resp {
    let Some(key) = req.headers().get("sec-websocket-key").map(|k| derive_accept_key(k.as_bytes())) else {
        return plain(426, "a WebSocket upgrade is expected");
    };
    let query: HashMap<String, String> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes()).into_owned().collect();
    let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
    let status = run(&live, "$connect", "CONNECT", &id, &query, None).await;
    if status != 200 {
        return plain(if status == 500 { 500 } else { 403 }, "Forbidden");
    }
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let ws = WebSocketStream::from_raw_socket(hyper_util::rt::TokioIo::new(upgraded), Role::Server, None).await;
        let (mut sink, mut stream) = ws.split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
        live.conns.lock().unwrap().insert(id.clone(), tx);
        let writer = tokio::spawn(async move {
            while let Some(out) = rx.recv().await {
                let done = matches!(out, Out::Close);
                let msg = match out {
                    Out::Text(t) => Message::text(t),
                    Out::Close => Message::Close(None),
                };
                if sink.send(msg).await.is_err() || done {
                    break;
                }
            }
        });
        while let Some(Ok(msg)) = stream.next().await {
            match msg {
                Message::Text(text) => {
                    let action = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|v| v.get("action").and_then(Value::as_str).map(str::to_string));
                    let route = action.filter(|a| live.routes.contains_key(a)).unwrap_or_else(|| "$default".into());
                    let (live, id, text) = (live.clone(), id.clone(), text.to_string());
                    // Like API Gateway, frames are handled concurrently: a route may post back meanwhile.
                    tokio::spawn(async move { run(&live, &route, "MESSAGE", &id, &HashMap::new(), Some(&text)).await });
                }
                Message::Close(_) => break,
                _ => {}
            }
        }
        live.conns.lock().unwrap().remove(&id);
        writer.abort();
        run(&live, "$disconnect", "DISCONNECT", &id, &HashMap::new(), None).await;
    });
    Response::builder()
        .status(101)
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-accept", key)
        .body(Full::new(Bytes::new()))
        .expect("response")
}

/// The Management API: `POST /@connections/{id}` sends, `DELETE` closes, `GET` tells.
pub fn manage(live: &Live, method: &str, id: &str, body: &[u8]) -> Resp {
    let id = percent_decode(id);
    let conns = live.conns.lock().unwrap();
    let Some(tx) = conns.get(&id) else {
        return Response::builder()
            .status(410)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", "GoneException")
            .body(Full::new(Bytes::from(r#"{"message":"Gone"}"#)))
            .expect("response");
    };
    let sent = match method {
        "POST" => tx.send(Out::Text(String::from_utf8_lossy(body).into_owned())).is_ok(),
        "DELETE" => tx.send(Out::Close).is_ok(),
        _ => true,
    };
    let status = if sent { 200 } else { 410 };
    let body = if method == "GET" { json!({"connectedAt": "", "identity": {}}).to_string() } else { String::new() };
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("response")
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}
