//! The local stack. [`start`] reads template.yaml, provisions every resource
//! into moto (or whatever `endpoint` points at), builds every function with
//! exactly the environment the template gives it, serves the HTTP API
//! through the authorizer, and runs the event sources: SQS queues, the table
//! stream into the outbox publisher, and schedules.
pub mod demo;
pub mod mailbox;
pub mod pollers;
pub mod provision;
pub mod registry;
pub mod secrets;
pub mod server;
pub mod template;

use aws_config::{BehaviorVersion, Region};
use handoff::platform::aws::{Aws, Faults};
use handoff::platform::env::Env;
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
    /// Prefix of every physical name, so stacks share one moto without meeting.
    pub stack: String,
    pub region: String,
    /// 0 picks a free port.
    pub port: u16,
    /// Share of AWS calls made by functions that fail (reliability tests).
    pub fault_rate: Option<f64>,
    /// Overrides every queue's VisibilityTimeout (tests that wait for retries).
    pub visibility_timeout: Option<i64>,
    pub parameters: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
}

impl Options {
    pub fn new(template: PathBuf, endpoint: Option<String>, stack: &str) -> Self {
        Self {
            template,
            endpoint,
            stack: stack.into(),
            region: "us-east-1".into(),
            port: 0,
            fault_rate: None,
            visibility_timeout: None,
            parameters: BTreeMap::new(),
            secrets: secrets::generate(),
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
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Stack {
    pub async fn mailbox(&self, to: &str) -> Result<Vec<mailbox::Mail>, String> {
        mailbox::read(self.endpoint.as_deref().ok_or("no local endpoint")?, Some(to)).await
    }
}

async fn sdk_config(opts: &Options) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(opts.region.clone())).timeout_config(handoff::platform::aws::timeouts());
    if let Some(e) = &opts.endpoint {
        loader = loader.endpoint_url(e);
        if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "handoff-local"));
        }
    }
    loader.load().await
}

pub async fn start(opts: Options) -> Result<Stack, String> {
    let template = Template::load(&opts.template)?;
    let sdk = sdk_config(&opts).await;
    let infra = Aws::new(sdk.clone(), None);
    let clients = provision::Clients {
        dynamodb: infra.dynamodb(),
        streams: aws_sdk_dynamodbstreams::Client::new(&sdk),
        sqs: infra.sqs(),
        eventbridge: infra.eventbridge(),
        s3: infra.s3(),
        sesv2: infra.sesv2(),
    };
    let mut parameters = template.parameters.clone();
    parameters.extend(opts.parameters.clone());
    let mut names = Names { stack: opts.stack.clone(), region: opts.region.clone(), account: ACCOUNT.into(), parameters, secrets: opts.secrets.clone(), ..Default::default() };
    provision::name_resources(&template, &mut names);
    provision::provision(&template, &mut names, &clients, opts.visibility_timeout).await?;

    // Under injected faults the SDK's own retries are off, so every fault
    // reaches the handler (and the caller) instead of being absorbed.
    let fn_sdk = match opts.fault_rate {
        Some(_) => sdk.to_builder().retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1)).build(),
        None => sdk.clone(),
    };
    let fn_aws = Aws::new(fn_sdk, opts.fault_rate.map(|rate| Faults { rate }));
    let makers: HashMap<&str, registry::Maker> = registry::all().into_iter().collect();
    let mut invokers = HashMap::new();
    for f in &template.functions {
        let make = makers.get(f.code_uri.as_str()).ok_or_else(|| format!("{}: no function crate is registered for CodeUri {}", f.id, f.code_uri))?;
        let mut env = HashMap::new();
        for (k, v) in &f.env {
            env.insert(k.clone(), names.resolve(v).map_err(|e| format!("{}: {k}: {e}", f.id))?);
        }
        env.insert("AWS_REGION".into(), opts.region.clone());
        env.insert("AWS_LAMBDA_FUNCTION_NAME".into(), names.refs[&f.id].clone());
        let invoker = make(&Env::from_map(env), &fn_aws).map_err(|e| format!("{} does not start: {e}", f.id))?;
        invokers.insert(f.id.clone(), invoker);
    }
    let event_invoker = |id: &str| match invokers.get(id) {
        Some(registry::Invoker::Event(e)) => Ok(e.clone()),
        _ => Err(format!("{id} is not an event function")),
    };

    let mut routes = Vec::new();
    let mut schedules = HashMap::new();
    let mut tasks = Vec::new();
    for f in &template.functions {
        for ev in &f.events {
            match ev {
                EventSource::Http { path, method, authorized } => {
                    let Some(registry::Invoker::Http(h)) = invokers.get(&f.id) else {
                        return Err(format!("{} has an HttpApi event but is not an HTTP function", f.id));
                    };
                    routes.push(server::Route {
                        method: method.clone(),
                        segments: server::segments(path),
                        function: f.id.clone(),
                        invoke: h.clone(),
                        authorized: *authorized && template.default_authorizer.is_some(),
                    });
                }
                EventSource::Sqs { queue, batch_size, .. } => {
                    let url = names.refs.get(queue).cloned().ok_or_else(|| format!("{}: queue {queue} does not exist", f.id))?;
                    let arn = names.atts[&(queue.clone(), "Arn".to_string())].clone();
                    let task = pollers::sqs(clients.sqs.clone(), url, arn, opts.region.clone(), *batch_size, event_invoker(&f.id)?, f.id.clone());
                    tasks.push(tokio::spawn(task));
                }
                EventSource::Stream { table, batch_size } => {
                    let arn = names.atts.get(&(table.clone(), "StreamArn".to_string())).cloned().ok_or_else(|| format!("{}: table {table} has no stream", f.id))?;
                    let task = pollers::stream(clients.streams.clone(), arn, opts.region.clone(), *batch_size, event_invoker(&f.id)?, f.id.clone());
                    tasks.push(tokio::spawn(task));
                }
                EventSource::Schedule { every_seconds } => {
                    let rule = format!("arn:aws:events:{}:{ACCOUNT}:rule/{}-{}", opts.region, opts.stack, f.id);
                    let event = pollers::scheduled_event(&rule, &opts.region, ACCOUNT);
                    let invoke = event_invoker(&f.id)?;
                    schedules.insert(f.id.clone(), (invoke.clone(), event.clone()));
                    tasks.push(tokio::spawn(pollers::schedule(Duration::from_secs(*every_seconds), invoke, event, f.id.clone())));
                }
            }
        }
    }
    let authorizer = template.authorizer_function.as_deref().map(event_invoker).transpose()?;
    let mut redrive = HashMap::new();
    for (id, q) in template.of_kind("AWS::SQS::Queue") {
        if let Some((dlq, _)) = q.props.get("RedrivePolicy").and_then(|r| r.get("deadLetterTargetArn")).and_then(template::as_getatt) {
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
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port)).await.map_err(|e| format!("port {}: {e}", opts.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tasks.push(tokio::spawn(server::serve(listener, state)));

    let table_id = template.of_kind("AWS::DynamoDB::Table").next().map(|(id, _)| id.clone()).ok_or("template has no table")?;
    let table = handoff::platform::store::Table::new(infra.dynamodb(), names.refs[&table_id].clone());
    Ok(Stack { url: format!("http://{addr}"), addr, names, template, table, endpoint: opts.endpoint, sdk, tasks })
}
