//! The Lambda service, locally: every function runs as its real binary
//! (`target/<profile>/<crate>`, the crate named by the last part of its
//! CodeUri), in processes that fetch invocations from a Lambda Runtime API
//! served here, one per process, exactly as on AWS. Nothing lists the
//! functions but template.yaml.
//!
//! A process gets only the environment the template gives its function,
//! plus what Lambda sets (`AWS_LAMBDA_RUNTIME_API`, the function's name,
//! memory and version, region, credentials). Each function starts one
//! process at once (so a function that cannot start stops the stack, as an
//! init error would), more when invocations overlap (up to
//! [`MAX_CONCURRENCY`]), each serving one invocation at a time; an
//! invocation that outlasts the function's Timeout kills its process.
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Processes per function at most (Lambda's reserved concurrency, locally).
pub const MAX_CONCURRENCY: usize = 8;
/// How long a process may take to reach its first `next` (debug builds start slower).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How a function runs: its binary, environment, timeout and log.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub id: String,
    pub binary: PathBuf,
    /// Its arguments (the function's name, for the multi-call binary).
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub timeout: Duration,
    /// Where its processes' stdout and stderr go (None: this process's).
    pub log: Option<PathBuf>,
}

type Outcome = Result<Value, String>;

struct Invocation {
    id: String,
    event: Value,
    deadline_ms: u64,
}

/// One process and the Runtime API it polls.
struct Worker {
    queue: mpsc::Sender<Invocation>,
    pending: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    dead: AtomicBool,
    /// Tells the task that owns the process to kill it.
    stop: Mutex<Option<oneshot::Sender<()>>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Worker {
    fn kill(&self) {
        self.dead.store(true, Ordering::SeqCst);
        if let Some(stop) = self.stop.lock().unwrap().take() {
            let _ = stop.send(());
        }
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
        for (_, tx) in self.pending.lock().unwrap().drain() {
            let _ = tx.send(Err("the function's process ended".into()));
        }
    }
}

/// AWS calls made by the functions, per `Service.Operation`, as their
/// answers report them (`x-aws-calls` on HTTP answers, `_aws_calls` on
/// others: the functions' call meter, on when `HANDOFF_METER` is set); and
/// the invocations of each function, with their time and memory size.
#[derive(Clone)]
pub struct Meter {
    calls: Arc<Mutex<BTreeMap<String, u64>>>,
    invocations: Arc<Mutex<BTreeMap<String, Invocations>>>,
    /// Counts finished invocations: the table's stream poller looks for
    /// records as soon as a function may have written some, instead of
    /// waiting out its idle interval.
    finished: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for Meter {
    fn default() -> Self {
        Self {
            calls: Default::default(),
            invocations: Default::default(),
            finished: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }
}

/// A function's invocations: how many, their wall time, its memory size.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Invocations {
    pub count: u64,
    pub millis: u64,
    pub memory_mb: u64,
}

impl Meter {
    fn add(&self, counts: &str) {
        let mut m = self.calls.lock().unwrap();
        for (op, n) in counts.split(',').filter_map(|c| c.split_once('=')) {
            *m.entry(op.to_string()).or_default() += n.parse::<u64>().unwrap_or(0);
        }
    }
    fn invoked(&self, function: &str, memory_mb: u64, took: Duration) {
        let mut m = self.invocations.lock().unwrap();
        let i = m.entry(function.to_string()).or_default();
        i.count += 1;
        i.millis += took.as_millis() as u64;
        i.memory_mb = memory_mb;
    }
    /// Changes each time an invocation finishes.
    pub fn finished(&self) -> tokio::sync::watch::Receiver<u64> {
        self.finished.subscribe()
    }
    pub fn totals(&self) -> BTreeMap<String, u64> {
        self.calls.lock().unwrap().clone()
    }
    pub fn invocations(&self) -> BTreeMap<String, Invocations> {
        self.invocations.lock().unwrap().clone()
    }
}

/// What an answer reports of its AWS calls: `Service.Operation=N,…` and the
/// microseconds spent in them (HTTP answers in headers, others in fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reported {
    pub calls: String,
    pub micros: u64,
}

impl Reported {
    pub fn of(answer: &Value) -> Option<Reported> {
        let headers = answer.get("headers");
        let field = |event: &str, header: &str| answer.get(event).or_else(|| headers.and_then(|h| h.get(header)));
        let calls = field("_aws_calls", "x-aws-calls")?.as_str()?.to_string();
        let micros = match field("_aws_time_us", "x-aws-time-us") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        Some(Reported { calls, micros })
    }

    /// The report of an event function's answer, taken out of it (it is not
    /// part of what Lambda passes on).
    pub fn take(answer: &mut Value) -> Option<Reported> {
        let r = Reported::of(answer);
        if let Some(o) = answer.as_object_mut() {
            o.remove("_aws_calls");
            o.remove("_aws_time_us");
        }
        r
    }
}

/// The processes of one function.
pub struct Pool {
    pub spec: FunctionSpec,
    meter: Meter,
    idle: Mutex<Vec<Arc<Worker>>>,
    all: Mutex<Vec<Arc<Worker>>>,
    slots: Semaphore,
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Pool {
    /// Starts the function's first process and waits until it is ready for
    /// invocations; an init failure is an error naming what it printed.
    /// `lazy`: the first invocation starts it (its binary must exist).
    pub async fn start(spec: FunctionSpec, meter: Meter, lazy: bool) -> Result<Arc<Pool>, String> {
        let pool = Arc::new(Pool {
            spec,
            meter,
            idle: Mutex::new(Vec::new()),
            all: Mutex::new(Vec::new()),
            slots: Semaphore::new(MAX_CONCURRENCY),
        });
        if lazy {
            if !pool.spec.binary.exists() {
                return Err(format!(
                    "{}: {} is missing: build the functions first (cargo build --workspace --bins, or --bin handoff-lambdas for the multi-call binary)",
                    pool.spec.id,
                    pool.spec.binary.display()
                ));
            }
            return Ok(pool);
        }
        let w = pool.spawn().await?;
        pool.idle.lock().unwrap().push(w);
        Ok(pool)
    }

    /// Kills every process.
    pub fn shutdown(&self) {
        for w in self.all.lock().unwrap().drain(..) {
            w.kill();
        }
        self.idle.lock().unwrap().clear();
    }

    /// One invocation, as the Lambda service makes it: the function's answer,
    /// or its error (a failed invocation, a crash, a timeout).
    pub async fn invoke(&self, event: Value) -> Outcome {
        let _slot = self.slots.acquire().await.map_err(|e| e.to_string())?;
        let started = std::time::Instant::now();
        let idle = self.idle.lock().unwrap().pop();
        let worker = match idle {
            Some(w) if !w.dead.load(Ordering::SeqCst) => w,
            _ => self.spawn().await?,
        };
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        worker.pending.lock().unwrap().insert(id.clone(), tx);
        let deadline_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as u64
            + self.spec.timeout.as_millis() as u64;
        if worker.queue.send(Invocation { id: id.clone(), event, deadline_ms }).await.is_err() {
            worker.kill();
            return Err(format!("{}: the function's process is gone", self.spec.id));
        }
        let out = match tokio::time::timeout(self.spec.timeout, rx).await {
            Ok(Ok(out)) => out,
            Ok(Err(_)) => Err(format!("{}: the function's process ended during the invocation", self.spec.id)),
            Err(_) => {
                worker.kill();
                Err(format!("{}: Task timed out after {} seconds", self.spec.id, self.spec.timeout.as_secs()))
            }
        };
        if !worker.dead.load(Ordering::SeqCst) {
            self.idle.lock().unwrap().push(worker);
        }
        if let Some(r) = out.as_ref().ok().and_then(Reported::of) {
            self.meter.add(&r.calls);
        }
        let memory = self.spec.env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").and_then(|m| m.parse().ok()).unwrap_or(128);
        self.meter.invoked(&self.spec.id, memory, started.elapsed());
        self.meter.finished.send_modify(|n| *n += 1);
        out
    }

    async fn spawn(&self) -> Result<Arc<Worker>, String> {
        let spec = &self.spec;
        if !spec.binary.exists() {
            return Err(format!(
                "{}: {} is missing: build the functions first (cargo build --workspace --bins, or --bin handoff-lambdas for the multi-call binary)",
                spec.id,
                spec.binary.display()
            ));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (queue, rx) = mpsc::channel::<Invocation>(1);
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), String>>();
        let (stop, stop_rx) = oneshot::channel::<()>();
        let worker = Arc::new(Worker {
            queue,
            pending: Mutex::new(HashMap::new()),
            dead: AtomicBool::new(false),
            stop: Mutex::new(Some(stop)),
            tasks: Mutex::new(Vec::new()),
        });
        let api = RuntimeApi {
            worker: Arc::downgrade(&worker),
            next: tokio::sync::Mutex::new(rx),
            ready: Mutex::new(Some(ready_tx)),
            function: spec.id.clone(),
        };
        let server = tokio::spawn(serve(listener, Arc::new(api)));

        let mut cmd = tokio::process::Command::new(&spec.binary);
        cmd.args(&spec.args)
            .env_clear()
            .envs(&spec.env)
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let (out, err, log_start) = match &spec.log {
            Some(path) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let start = f.metadata().map(|m| m.len()).unwrap_or(0);
                let f2 = f.try_clone().map_err(|e| e.to_string())?;
                (Stdio::from(f), Stdio::from(f2), start)
            }
            None => (Stdio::inherit(), Stdio::inherit(), 0),
        };
        let mut child =
            cmd.stdout(out).stderr(err).spawn().map_err(|e| format!("{}: {}: {e}", spec.id, spec.binary.display()))?;
        // Owns the process: when it exits, the worker is dead and its
        // invocations fail (Lambda starts a new one for the next); told to
        // stop, it kills it.
        let weak = Arc::downgrade(&worker);
        let (exited_tx, exited_rx) = oneshot::channel::<String>();
        let watcher = tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
                _ = stop_rx => {
                    let _ = child.kill().await;
                    "stopped".to_string()
                }
            };
            let _ = exited_tx.send(status);
            if let Some(w) = weak.upgrade() {
                w.kill();
            }
        });
        worker.tasks.lock().unwrap().extend([server, watcher]);

        let started = tokio::select! {
            r = ready_rx => r.unwrap_or_else(|_| Err("the Runtime API stopped".into())),
            status = exited_rx => Err(format!("exited ({})", status.unwrap_or_default())),
            _ = tokio::time::sleep(START_TIMEOUT) => Err(format!("did not ask for an invocation within {} s", START_TIMEOUT.as_secs())),
        };
        if let Err(why) = started {
            worker.kill();
            let printed = spec.log.as_ref().map(|p| tail(p, log_start)).unwrap_or_default();
            return Err(format!(
                "{} does not start: {why}{}",
                spec.id,
                if printed.is_empty() { String::new() } else { format!(": {printed}") }
            ));
        }
        self.all.lock().unwrap().push(worker.clone());
        Ok(worker)
    }
}

/// What the process printed since `from` (its init error, typically), shortened.
fn tail(path: &PathBuf, from: u64) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text[(from as usize).min(text.len())..]).to_string();
    let text = text.trim();
    let start = text.len().saturating_sub(600);
    text[text.char_indices().map(|(i, _)| i).find(|&i| i >= start).unwrap_or(0)..].to_string()
}

struct RuntimeApi {
    worker: std::sync::Weak<Worker>,
    next: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    ready: Mutex<Option<oneshot::Sender<Result<(), String>>>>,
    function: String,
}

type Resp = Response<Full<Bytes>>;

fn reply(status: u16, body: impl Into<Bytes>) -> Resp {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .expect("valid response")
}

impl RuntimeApi {
    fn settle(&self, id: &str, outcome: Outcome) -> Resp {
        let Some(w) = self.worker.upgrade() else { return reply(410, "{}") };
        let tx = w.pending.lock().unwrap().remove(id);
        match tx {
            Some(tx) => {
                let _ = tx.send(outcome);
                reply(202, r#"{"status":"OK"}"#)
            }
            None => reply(400, r#"{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}"#),
        }
    }

    async fn handle(&self, req: Request<Incoming>) -> Resp {
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let path = parts.uri.path().trim_start_matches("/2018-06-01/runtime/").to_string();
        let parts_of: Vec<&str> = path.split('/').collect();
        match (parts.method.as_str(), parts_of.as_slice()) {
            ("GET", ["invocation", "next"]) => {
                if let Some(tx) = self.ready.lock().unwrap().take() {
                    let _ = tx.send(Ok(()));
                }
                let mut next = self.next.lock().await;
                match next.recv().await {
                    Some(inv) => Response::builder()
                        .status(200)
                        .header("content-type", "application/json")
                        .header("lambda-runtime-aws-request-id", &inv.id)
                        .header("lambda-runtime-deadline-ms", inv.deadline_ms.to_string())
                        .header(
                            "lambda-runtime-invoked-function-arn",
                            format!("arn:aws:lambda:local:{}:function:{}", crate::ACCOUNT, self.function),
                        )
                        .header("lambda-runtime-trace-id", format!("Root=1-{}", &inv.id[..8]))
                        .body(Full::new(Bytes::from(inv.event.to_string())))
                        .expect("valid response"),
                    None => reply(410, "{}"),
                }
            }
            ("POST", ["invocation", id, "response"]) => {
                let v = serde_json::from_slice::<Value>(&body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
                self.settle(id, Ok(v))
            }
            ("POST", ["invocation", id, "error"]) => {
                let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                let msg = format!(
                    "{}: {}",
                    v["errorType"].as_str().unwrap_or("Error"),
                    v["errorMessage"].as_str().unwrap_or_default()
                );
                self.settle(id, Err(msg))
            }
            ("POST", ["init", "error"]) => {
                let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                if let Some(tx) = self.ready.lock().unwrap().take() {
                    let _ = tx.send(Err(v["errorMessage"].as_str().unwrap_or("init error").to_string()));
                }
                reply(202, r#"{"status":"OK"}"#)
            }
            _ => reply(404, r#"{"errorMessage":"not found","errorType":"NotFound"}"#),
        }
    }
}

async fn serve(listener: tokio::net::TcpListener, api: Arc<RuntimeApi>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let api = api.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let api = api.clone();
                async move { Ok::<_, std::convert::Infallible>(api.handle(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await;
        });
    }
}
