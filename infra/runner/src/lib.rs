//! The local stack. [`start`] reads template.yaml, provisions every resource
//! into moto (or whatever `endpoint` points at), builds every function with
//! exactly the environment the template gives it, serves the HTTP API
//! through the authorizer, and runs the event sources: SQS queues, the table
//! stream into the outbox publisher, and schedules.
pub mod clock;
pub mod demo;
pub mod lambda;
pub mod live;
pub mod mailbox;
pub mod moto;
pub mod pollers;
pub mod provision;
pub mod schemas;
pub mod secrets;
pub mod server;
pub mod template;

use aws_config::{BehaviorVersion, Region};
use handoff::platform::aws::Aws;
use lambda::{FunctionSpec, Pool};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use template::{EventSource, Names, Template};
use tokio::task::JoinHandle;

pub const ACCOUNT: &str = "123456789012";

pub struct Options {
    pub template: PathBuf,
    /// The AWS endpoint (moto server); `None` uses the default chain and `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
    /// Start a moto server of the stack's own (that of the project at this
    /// root: its .local/moto and infra/moto_server.py) and use it as the
    /// endpoint; it stops with the stack.
    pub own_moto: Option<PathBuf>,
    /// Start a function's first process when it is first invoked instead of
    /// at start (tests: most use a few of the functions). Off, every function
    /// must start before the stack serves, as an init error would show.
    pub lazy: bool,
    /// Prefix of every physical name, so stacks share one moto without meeting.
    pub stack: String,
    pub region: String,
    /// 0 picks a free port.
    pub port: u16,
    /// Share of AWS calls made by functions that fail (reliability tests).
    pub fault_rate: Option<f64>,
    /// Only these functions (logical ids) get the faults; `None`: all.
    pub fault_functions: Option<std::collections::BTreeSet<String>>,
    /// Overrides every queue's VisibilityTimeout (tests that wait for retries).
    pub visibility_timeout: Option<i64>,
    /// How many times longer than on AWS functions may take, and wait for an
    /// AWS call (`HANDOFF_SLOW_SCALE`): debug builds against an emulator on a
    /// shared machine are slower, which should make a run slower, not red.
    pub slow_scale: u32,
    pub parameters: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
    /// Where the function binaries are (`HANDOFF_BIN_DIR`, else target/debug beside the template).
    pub bin_dir: PathBuf,
    /// Run every function through this multi-call binary (`handoff-lambdas
    /// <function>`, infra/lambdas) instead of its own binary in `bin_dir`.
    pub multicall: Option<PathBuf>,
    /// A folder for the functions' logs, one file each (None: this process's output).
    pub log_dir: Option<PathBuf>,
    /// The Swagger UI files served at /_local/docs/ (installed by infra/setup.sh).
    pub docs_dir: PathBuf,
    /// The event schemas every event on the stack's queues is checked against.
    pub event_schemas: PathBuf,
    /// The Stripe emulator (localstripe): StripeApiBase points there, and
    /// the stack's webhook endpoint is registered with it for its account.
    pub stripe: Option<String>,
}

impl Options {
    pub fn new(template: PathBuf, endpoint: Option<String>, stack: &str) -> Self {
        Self {
            template: template.clone(),
            endpoint,
            own_moto: None,
            lazy: false,
            stack: stack.into(),
            region: "us-east-1".into(),
            port: 0,
            fault_rate: None,
            fault_functions: None,
            visibility_timeout: None,
            slow_scale: 1,
            parameters: BTreeMap::new(),
            secrets: secrets::generate(),
            bin_dir: std::env::var_os("HANDOFF_BIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
                let root = template.parent().unwrap_or(std::path::Path::new("."));
                std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| root.join("target"))
                    .join("debug")
            }),
            multicall: None,
            log_dir: None,
            docs_dir: template.parent().unwrap_or(std::path::Path::new(".")).join(".local/swagger-ui"),
            event_schemas: template.parent().unwrap_or(std::path::Path::new(".")).join("events/schemas"),
            stripe: None,
        }
    }
}

pub struct Stack {
    pub url: String,
    pub addr: SocketAddr,
    pub names: Names,
    pub template: Template,
    pub table: handoff::platform::store::Table,
    pub endpoint: Option<String>,
    /// The SDK configuration of the local stack (no faults), for tests.
    pub sdk: aws_config::SdkConfig,
    /// Each function's processes, by logical id.
    pub functions: HashMap<String, Arc<Pool>>,
    /// Events seen on the queues that did not match their schema.
    pub events: schemas::EventSchemas,
    /// The stack's clock: `advance` moves every function's time forward.
    pub clock: Arc<clock::LocalClock>,
    tasks: Vec<JoinHandle<()>>,
    /// The stack's own moto server, if it has one (given back last).
    _moto: Option<moto::Lease>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        for p in self.functions.values() {
            p.shutdown();
        }
    }
}

impl Stack {
    pub async fn mailbox(&self, to: &str) -> Result<Vec<mailbox::Mail>, String> {
        mailbox::read(self.endpoint.as_deref().ok_or("no local endpoint")?, Some(to)).await
    }
    /// SMS sent to a number.
    pub async fn sms(&self, to: &str) -> Result<Vec<mailbox::Sms>, String> {
        mailbox::sms(self.endpoint.as_deref().ok_or("no local endpoint")?, Some(to)).await
    }
    /// Push messages sent to a device token.
    pub async fn push(&self, token: &str) -> Result<Vec<mailbox::Push>, String> {
        mailbox::push(self.endpoint.as_deref().ok_or("no local endpoint")?, Some(token)).await
    }
}

async fn sdk_config(opts: &Options) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(opts.region.clone()))
        // The runner's own calls (provisioning, pollers, tests' reads) wait
        // for a slow emulator: a busy machine makes a run slower, not red.
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(60))
                .operation_timeout(Duration::from_secs(180))
                .build(),
        );
    if let Some(e) = &opts.endpoint {
        loader = loader.endpoint_url(e);
        if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "handoff-local",
            ));
        }
    }
    loader.load().await
}

/// The stack's resources, provisioned, and how each function runs: what
/// [`start`] builds on (and the benchmarks use without starting anything).
pub struct Prepared {
    pub template: Template,
    pub names: Names,
    pub sdk: aws_config::SdkConfig,
    pub clients: provision::Clients,
    /// Each function's binary, environment and timeout, as template.yaml gives them.
    pub specs: Vec<FunctionSpec>,
    /// The stack's clock (every function reads it).
    pub clock: Arc<clock::LocalClock>,
}

/// Reads template.yaml, provisions every resource and resolves each
/// function's environment.
pub async fn prepare(opts: &Options) -> Result<Prepared, String> {
    install_crypto();
    let template = Template::load(&opts.template)?;
    let sdk = sdk_config(opts).await;
    let infra = Aws::new(sdk.clone(), None);
    let clients = provision::Clients {
        dynamodb: infra.dynamodb(),
        streams: aws_sdk_dynamodbstreams::Client::new(&sdk),
        sqs: infra.sqs(),
        eventbridge: infra.eventbridge(),
        s3: infra.s3(),
        sesv2: infra.sesv2(),
        sns: infra.sns(),
    };
    let mut parameters = template.parameters.clone();
    if let Some(stripe) = &opts.stripe {
        parameters.insert("StripeApiBase".into(), stripe.clone());
    }
    // The local receiver (/_local/webhooks/…) is http://localhost, and retries need not take hours.
    parameters.insert("WebhookAllowLocalHttp".into(), "true".into());
    parameters.insert("WebhookRetryBaseSeconds".into(), "1".into());
    parameters.extend(opts.parameters.clone());
    let mut names = Names {
        stack: opts.stack.clone(),
        region: opts.region.clone(),
        account: ACCOUNT.into(),
        parameters,
        secrets: opts.secrets.clone(),
        ..Default::default()
    };
    provision::push_applications(&mut names, &clients.sns).await?;
    provision::name_resources(&template, &mut names);
    provision::provision(&template, &mut names, &clients, opts.visibility_timeout).await?;

    let clock = Arc::new(clock::LocalClock::new(&opts.stack)?);
    // Every function runs as its own binary with the template's environment.
    let mut specs = Vec::new();
    for f in &template.functions {
        let mut env = BTreeMap::new();
        for (k, v) in &f.env {
            env.insert(k.clone(), names.resolve(v).map_err(|e| format!("{}: {k}: {e}", f.id))?);
        }
        env.extend(lambda_environment(opts, &f.id, &names.refs[&f.id], f.memory));
        env.insert(handoff::platform::clock::CLOCK_FILE.into(), clock.file.display().to_string());
        let (binary, args) = match &opts.multicall {
            Some(all) => (all.clone(), vec![f.binary.clone()]),
            None => (opts.bin_dir.join(&f.binary), Vec::new()),
        };
        let spec = FunctionSpec {
            id: f.id.clone(),
            binary,
            args,
            env,
            timeout: Duration::from_secs(f.timeout * u64::from(opts.slow_scale.max(1))),
            log: opts.log_dir.as_ref().map(|d| d.join(format!("{}.log", f.id))),
        };
        specs.push(spec);
    }
    Ok(Prepared { template, names, sdk, clients, specs, clock })
}

pub async fn start(mut opts: Options) -> Result<Stack, String> {
    let own_moto = if let Some(root) = &opts.own_moto {
        if let Some(dir) = &opts.log_dir {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let m = moto::Lease::take(root, opts.log_dir.as_ref().map(|d| d.join("moto.log"))).await?;
        opts.endpoint = Some(m.url().to_string());
        Some(m)
    } else {
        None
    };
    let Prepared { template, names, sdk, clients, mut specs, clock } = prepare(&opts).await?;
    let meter = lambda::Meter::default();
    // Bound first: functions are told where the local WebSocket API and its
    // Management API are (the URLs the template builds point at AWS).
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .map_err(|e| format!("port {}: {e}", opts.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if let Some(api) = template.websocket_api().map(|id| names.refs[id].clone()) {
        for spec in &mut specs {
            for v in spec.env.values_mut() {
                if v.starts_with(&format!("https://{api}.execute-api.")) {
                    *v = format!("http://{addr}/_ws");
                } else if v.starts_with(&format!("wss://{api}.execute-api.")) {
                    *v = format!("ws://{addr}/_ws");
                }
            }
        }
    }
    if let Some(dir) = &opts.log_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let lazy = opts.lazy;
    let starting = specs.into_iter().map(|spec| Pool::start(spec, meter.clone(), lazy));
    let mut functions = HashMap::new();
    let mut failed = Vec::new();
    for r in futures::future::join_all(starting).await {
        match r {
            Ok(p) => {
                functions.insert(p.spec.id.clone(), p);
            }
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return Err(failed.join("\n"));
    }
    let pool = |id: &str| functions.get(id).cloned().ok_or_else(|| format!("{id} is not a function"));

    let mut routes = Vec::new();
    let mut schedules = HashMap::new();
    let events = schemas::EventSchemas::load(&opts.event_schemas)?;
    let mut tasks = Vec::new();
    // The stream poller wakes the pollers of the queues its events reach.
    let takes = queue_detail_types(&template);
    let mut queue_wakes = pollers::QueueWakes::default();
    let mut woken = HashMap::new();
    for f in &template.functions {
        for ev in &f.events {
            if let EventSource::Sqs { queue, .. } = ev {
                woken.insert(queue.clone(), queue_wakes.subscribe(takes.get(queue).cloned().unwrap_or(None)));
            }
        }
    }
    let queue_wakes = Arc::new(queue_wakes);
    for f in &template.functions {
        for ev in &f.events {
            match ev {
                EventSource::Http { path, method, authorized } => {
                    routes.push(server::Route {
                        method: method.clone(),
                        segments: server::segments(path),
                        function: f.id.clone(),
                        invoke: pool(&f.id)?,
                        authorized: *authorized && template.default_authorizer.is_some(),
                    });
                }
                EventSource::Sqs { queue, batch_size, .. } => {
                    let url = names
                        .refs
                        .get(queue)
                        .cloned()
                        .ok_or_else(|| format!("{}: queue {queue} does not exist", f.id))?;
                    let arn = names.atts[&(queue.clone(), "Arn".to_string())].clone();
                    let task = pollers::sqs(
                        clients.sqs.clone(),
                        pollers::Queue { url, arn, batch_size: *batch_size },
                        opts.region.clone(),
                        pool(&f.id)?,
                        f.id.clone(),
                        events.clone(),
                        woken.remove(queue).ok_or_else(|| format!("{queue} has two consumers"))?,
                    );
                    tasks.push(tokio::spawn(task));
                }
                EventSource::Stream { table, batch_size } => {
                    let arn = names
                        .atts
                        .get(&(table.clone(), "StreamArn".to_string()))
                        .cloned()
                        .ok_or_else(|| format!("{}: table {table} has no stream", f.id))?;
                    let task = pollers::stream(
                        clients.streams.clone(),
                        arn,
                        (opts.region.clone(), *batch_size),
                        pool(&f.id)?,
                        f.id.clone(),
                        pollers::StreamWakes { finished: meter.finished(), queues: queue_wakes.clone() },
                    );
                    tasks.push(tokio::spawn(task));
                }
                EventSource::Schedule { every_seconds } => {
                    let rule = format!("arn:aws:events:{}:{ACCOUNT}:rule/{}-{}", opts.region, opts.stack, f.id);
                    let event = pollers::scheduled_event(&rule, &opts.region, ACCOUNT, &clock.now_rfc3339());
                    let invoke = pool(&f.id)?;
                    schedules.insert(f.id.clone(), (invoke.clone(), event.clone()));
                    tasks.push(tokio::spawn(pollers::schedule(
                        Duration::from_secs(*every_seconds),
                        invoke,
                        event,
                        f.id.clone(),
                        clock.clone(),
                    )));
                }
            }
        }
    }
    let authorizer = template.authorizer_function.as_deref().map(pool).transpose()?;
    let mut redrive = HashMap::new();
    for (id, q) in template.of_kind("AWS::SQS::Queue") {
        if let Some((dlq, _)) =
            q.props.get("RedrivePolicy").and_then(|r| r.get("deadLetterTargetArn")).and_then(template::as_getatt)
        {
            redrive.insert(dlq.clone(), (names.refs[&dlq].clone(), names.refs[id].clone()));
        }
    }
    let state = Arc::new(server::State {
        routes,
        authorizer,
        schedules,
        cors: template.cors.as_ref().map(|c| names.resolve_tree(c)).transpose()?,
        moto_url: opts.endpoint.clone().unwrap_or_default(),
        account: ACCOUNT.into(),
        redrive,
        sqs: clients.sqs.clone(),
        meter,
        docs_dir: opts.docs_dir.clone(),
        receivers: Default::default(),
        clock: clock.clone(),
        live: match template.websocket_api() {
            None => None,
            Some(_) => {
                let mut routes = HashMap::new();
                for (key, f) in template.websocket_routes()? {
                    routes.insert(key, pool(&f)?);
                }
                Some(Arc::new(live::Live::new(routes, "live".into())))
            }
        },
    });
    tasks.push(tokio::spawn(server::serve(listener, state)));

    if let Some(stripe) = &opts.stripe {
        register_webhook(stripe, &opts.stack, &format!("http://{addr}/webhooks/stripe"), &opts.secrets).await?;
    }
    let table_id =
        template.of_kind("AWS::DynamoDB::Table").next().map(|(id, _)| id.clone()).ok_or("template has no table")?;
    let table = handoff::platform::store::Table::new(clients.dynamodb.clone(), names.refs[&table_id].clone());
    Ok(Stack {
        url: format!("http://{addr}"),
        addr,
        names,
        template,
        table,
        endpoint: opts.endpoint,
        sdk,
        functions,
        events,
        clock,
        tasks,
        _moto: own_moto,
    })
}

/// The detail-types each queue's rules take, by queue logical id (`None`: a
/// rule whose pattern names none, so any event may reach the queue).
fn queue_detail_types(template: &Template) -> HashMap<String, Option<std::collections::HashSet<String>>> {
    let mut out: HashMap<String, Option<std::collections::HashSet<String>>> = HashMap::new();
    for (_, rule) in template.of_kind("AWS::Events::Rule") {
        let named: Option<std::collections::HashSet<String>> = rule
            .props
            .get("EventPattern")
            .and_then(|p| p.get("detail-type"))
            .and_then(|d| d.as_sequence())
            .and_then(|d| d.iter().map(|t| t.as_str().map(str::to_string)).collect());
        for target in rule.props.get("Targets").and_then(|t| t.as_sequence()).into_iter().flatten() {
            if let Some((queue, _)) = target.get("Arn").and_then(template::as_getatt) {
                let entry = out.entry(queue).or_insert_with(|| Some(Default::default()));
                match (entry.as_mut(), &named) {
                    (Some(set), Some(types)) => set.extend(types.iter().cloned()),
                    _ => *entry = None,
                }
            }
        }
    }
    out
}

/// The process's TLS crypto (aws-lc-rs, as the AWS SDK's). reqwest's rustls
/// backend, which the Stripe client enables across the workspace, takes
/// the process default and has none of its own.
pub fn install_crypto() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Registers the stack's webhook endpoint with localstripe, for the stack's
/// own account (its secret key), signed with its first webhook secret.
async fn register_webhook(
    stripe: &str,
    stack: &str,
    url: &str,
    secrets: &BTreeMap<String, String>,
) -> Result<(), String> {
    let key = secrets.get("stripe_secret_key").ok_or("local secret stripe_secret_key is missing")?;
    let secret = secrets
        .get("stripe_webhook_secrets")
        .and_then(|s| s.split(',').next())
        .ok_or("local secret stripe_webhook_secrets is missing")?;
    let body = serde_json::json!({"url": url, "secret": secret, "account": key});
    let r = reqwest::Client::new()
        .post(format!("{}/_config/webhooks/{stack}", stripe.trim_end_matches('/')))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("localstripe at {stripe}: {e}"))?;
    if !r.status().is_success() {
        return Err(format!("localstripe refused the webhook: {}", r.status()));
    }
    Ok(())
}

/// What Lambda adds to a function's environment, and what the local stack
/// adds for its own needs: the endpoint (moto), credentials, the call meter
/// and, in reliability runs, injected faults (with the SDK's retries off, so
/// every fault reaches the handler).
fn lambda_environment(opts: &Options, id: &str, physical_name: &str, memory: u64) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([
        ("AWS_LAMBDA_FUNCTION_NAME".to_string(), physical_name.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), memory.to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME".into(), format!("/aws/lambda/{physical_name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME".into(), "local".into()),
        ("AWS_REGION".into(), opts.region.clone()),
        ("AWS_DEFAULT_REGION".into(), opts.region.clone()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("HANDOFF_METER".into(), "1".into()),
        ("HANDOFF_SLOW_SCALE".into(), opts.slow_scale.max(1).to_string()),
    ]);
    for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "HOME"] {
        if let Ok(v) = std::env::var(k) {
            env.insert(k.into(), v);
        }
    }
    if let Some(e) = &opts.endpoint {
        env.insert("AWS_ENDPOINT_URL".into(), e.clone());
        env.entry("AWS_ACCESS_KEY_ID".into()).or_insert_with(|| "local".into());
        env.entry("AWS_SECRET_ACCESS_KEY".into()).or_insert_with(|| "local".into());
    }
    let faulty = opts.fault_functions.as_ref().is_none_or(|f| f.contains(id));
    if let Some(rate) = opts.fault_rate.filter(|_| faulty) {
        env.insert("HANDOFF_FAULT_RATE".into(), rate.to_string());
        env.insert("AWS_MAX_ATTEMPTS".into(), "1".into());
    }
    env
}
