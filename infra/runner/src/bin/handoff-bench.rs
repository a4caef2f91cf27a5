//! `handoff-bench`: how fast each function starts and answers, beside the
//! floor (a bare lambda_runtime binary that builds aws-config and one
//! DynamoDB client at init). Run by infra/bench/start.sh, which builds
//! everything in release and starts moto. For each function, `--runs`
//! fresh processes (default 21), one after the other: spawn → first request
//! for an invocation (start), → the answer to its sample event
//! (events/samples/<binary>.json) with the environment template.yaml gives
//! it (first answer); the AWS calls the answer made and the time spent in
//! them (the call meter); binary size and peak memory (VmHWM).
use handoff_local::lambda::{FunctionSpec, Reported};
use handoff_local::{prepare, Options};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

#[derive(Default, Clone)]
struct Run {
    start_ms: f64,
    answer_ms: f64,
    aws_ms: f64,
    calls: String,
    status: String,
    peak_kb: u64,
}

#[derive(Default)]
struct Seen {
    started: Option<Instant>,
    answered: Option<(Instant, Value)>,
}

/// One cold start: a fresh process, one invocation with `event`.
async fn once(spec: &FunctionSpec, event: &Value) -> Result<Run, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<()>(1);
    let body = Bytes::from(event.to_string());
    let server = {
        let seen = seen.clone();
        tokio::spawn(async move {
            let mut sent = false;
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let seen = seen.clone();
                let done = done_tx.clone();
                let body = body.clone();
                let first = !sent;
                sent = true;
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        let done = done.clone();
                        let body = body.clone();
                        async move {
                            let now = Instant::now();
                            let path = req.uri().path().to_string();
                            let resp = if req.method() == hyper::Method::GET && path.ends_with("/invocation/next") {
                                let is_first = seen.lock().unwrap().started.is_none();
                                if is_first {
                                    seen.lock().unwrap().started = Some(now);
                                    hyper::Response::builder()
                                        .status(200)
                                        .header("lambda-runtime-aws-request-id", "bench-1")
                                        .header("lambda-runtime-deadline-ms", "99999999999999")
                                        .header(
                                            "lambda-runtime-invoked-function-arn",
                                            "arn:aws:lambda:us-east-1:123456789012:function:bench",
                                        )
                                        .body(Full::new(body))
                                        .unwrap()
                                } else {
                                    // The next invocation never comes: the process is killed.
                                    std::future::pending::<()>().await;
                                    unreachable!()
                                }
                            } else {
                                let bytes = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                                let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                                let v = if path.ends_with("/error") { serde_json::json!({"error": v}) } else { v };
                                seen.lock().unwrap().answered = Some((now, v));
                                let _ = done.send(()).await;
                                hyper::Response::builder()
                                    .status(202)
                                    .body(Full::new(Bytes::from_static(b"{}")))
                                    .unwrap()
                            };
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
                let _ = first;
            }
        })
    };
    let mut cmd = tokio::process::Command::new(&spec.binary);
    cmd.env_clear()
        .envs(&spec.env)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let t0 = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", spec.binary.display()))?;
    let pid = child.id().unwrap_or(0);
    let waited = tokio::time::timeout(Duration::from_secs(20), done_rx.recv()).await;
    let peak_kb = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let _ = child.kill().await;
    server.abort();
    if waited.is_err() {
        return Err(format!("{}: no answer within 20 s", spec.id));
    }
    let seen = seen.lock().unwrap();
    let started = seen.started.ok_or("no start")?;
    let (answered, v) = seen.answered.clone().ok_or("no answer")?;
    let Reported { calls, micros: aws_us } = Reported::of(&v).unwrap_or_default();
    let status = match v.get("statusCode") {
        Some(s) => s.to_string(),
        None if v.get("error").is_some() => "error".into(),
        None => "ok".into(),
    };
    Ok(Run {
        start_ms: (started - t0).as_secs_f64() * 1000.0,
        answer_ms: (answered - t0).as_secs_f64() * 1000.0,
        aws_ms: aws_us as f64 / 1000.0,
        calls,
        status,
        peak_kb,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Row {
    name: String,
    size: u64,
    start: f64,
    answer: f64,
    aws: f64,
    calls: String,
    status: String,
    peak_kb: u64,
}

async fn measure(spec: &FunctionSpec, event: &Value, runs: usize) -> Result<Row, String> {
    let mut all = Vec::new();
    for _ in 0..runs {
        all.push(once(spec, event).await?);
    }
    let last = all.last().cloned().unwrap_or_default();
    Ok(Row {
        name: spec.id.clone(),
        size: std::fs::metadata(&spec.binary).map(|m| m.len()).unwrap_or(0),
        start: median(all.iter().map(|r| r.start_ms).collect()),
        answer: median(all.iter().map(|r| r.answer_ms).collect()),
        aws: median(all.iter().map(|r| r.aws_ms).collect()),
        calls: last.calls,
        status: last.status,
        peak_kb: all.iter().map(|r| r.peak_kb).max().unwrap_or(0),
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(arg(&args, "--root").unwrap_or_else(|| ".".into()));
    let runs: usize = arg(&args, "--runs").and_then(|r| r.parse().ok()).unwrap_or(21);
    let only = arg(&args, "--only");
    let endpoint = arg(&args, "--endpoint").or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
    let stack = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let mut opts = Options::new(root.join("template.yaml"), endpoint, &stack);
    opts.bin_dir = root.join("target/release");
    let prepared = match prepare(&opts).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("handoff-bench: {e}");
            std::process::exit(1);
        }
    };
    let samples = root.join("events/samples");
    let floor_event: Value =
        serde_json::from_str(&std::fs::read_to_string(samples.join("get-jwks.json")).unwrap()).unwrap();
    // The floor: the environment every function gets from Globals and Lambda.
    let mut floor = prepared.specs.iter().find(|s| s.binary.ends_with("get-jwks")).cloned().expect("get-jwks exists");
    floor.id = "floor (bare lambda_runtime + aws-config + DynamoDB client)".into();
    floor.binary = root.join("target/release/handoff-floor");
    let floor_row = measure(&floor, &floor_event, runs).await.unwrap_or_else(|e| panic!("floor: {e}"));
    let mut rows = Vec::new();
    for spec in &prepared.specs {
        let name = spec.binary.file_name().unwrap().to_string_lossy().to_string();
        if only.as_deref().is_some_and(|o| !o.split(',').any(|x| x == name)) {
            continue;
        }
        let event: Value = match std::fs::read_to_string(samples.join(format!("{name}.json"))) {
            Ok(t) => serde_json::from_str(&t).unwrap(),
            Err(e) => {
                eprintln!("{name}: no sample event: {e}");
                continue;
            }
        };
        match measure(spec, &event, runs).await {
            Ok(mut r) => {
                r.name = name;
                rows.push(r);
            }
            Err(e) => eprintln!("{name}: {e}"),
        }
        eprint!(".");
    }
    eprintln!();
    println!(
        "{runs} cold starts each, medians; start = spawn → first `next`; first answer = spawn → the sample's answer;"
    );
    println!("answer ratio = (first answer − time in AWS calls) ÷ the floor's first answer.\n");
    println!("| function | size MiB | start ms | start ratio | first answer ms | AWS calls (time ms) | answer ratio | peak MiB | answered |");
    println!("|---|---:|---:|---:|---:|---|---:|---:|---|");
    let mb = |b: u64| b as f64 / 1_048_576.0;
    println!(
        "| **floor** | {:.1} | {:.1} | 1.00 | {:.1} | – | 1.00 | {:.1} | {} |",
        mb(floor_row.size),
        floor_row.start,
        floor_row.answer,
        floor_row.peak_kb as f64 / 1024.0,
        floor_row.status
    );
    let (mut worst_start, mut worst_answer) = (0f64, 0f64);
    for r in &rows {
        let sr = r.start / floor_row.start;
        let ar = (r.answer - r.aws).max(0.0) / floor_row.answer;
        worst_start = worst_start.max(sr);
        worst_answer = worst_answer.max(ar);
        println!(
            "| {} | {:.1} | {:.1} | {:.2} | {:.1} | {} ({:.1}) | {:.2} | {:.1} | {} |",
            r.name,
            mb(r.size),
            r.start,
            sr,
            r.answer,
            if r.calls.is_empty() { "–".to_string() } else { r.calls.replace(',', ", ") },
            r.aws,
            ar,
            r.peak_kb as f64 / 1024.0,
            r.status
        );
    }
    // Functions that link the gazetteer: their crates enable the `places` feature.
    let links_places = |name: &str| {
        std::fs::read_dir(root.join("functions")).into_iter().flatten().flatten().any(|ctx| {
            std::fs::read_to_string(ctx.path().join(name).join("Cargo.toml")).is_ok_and(|t| t.contains("\"places\""))
        })
    };
    let places: Vec<u64> = rows.iter().filter(|r| links_places(&r.name)).map(|r| r.size).collect();
    let others: Vec<u64> = rows.iter().filter(|r| !links_places(&r.name)).map(|r| r.size).collect();
    println!("\nworst start ratio {worst_start:.2}; worst answer ratio {worst_answer:.2}");
    if let (Some(p), false) = (places.iter().max(), others.is_empty()) {
        let median_other = median(others.iter().map(|&s| s as f64).collect());
        println!(
            "largest places binary {:.1} MiB = {:.2}× the median other binary ({:.1} MiB)",
            mb(*p),
            *p as f64 / median_other,
            median_other / 1_048_576.0
        );
    }
}
