//! `handoff-local`: provisions template.yaml into moto and serves the API on
//! http://localhost:3000 with every event source running. See infra/dev.sh.
use handoff_local::{demo, secrets, start, Options};
use std::path::PathBuf;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

#[tokio::main]
async fn main() {
    handoff::platform::observability::init_tracing();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--generate-secrets") {
        // The JSON for the AuthSecretName and PaymentsSecretName secrets in Secrets Manager (see README).
        println!("{}", serde_json::to_string_pretty(&secrets::generate()).expect("serialises"));
        return;
    }
    let root = PathBuf::from(arg(&args, "--root").unwrap_or_else(|| ".".into()));
    let endpoint = arg(&args, "--endpoint").or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
    let mut opts = Options::new(
        root.join("template.yaml"),
        endpoint,
        &arg(&args, "--stack").unwrap_or_else(|| "handoff-local".into()),
    );
    opts.port = arg(&args, "--port").and_then(|p| p.parse().ok()).unwrap_or(3000);
    opts.fault_rate = arg(&args, "--fault-rate").and_then(|r| r.parse().ok());
    opts.stripe = arg(&args, "--stripe");
    // Every function through the multi-call binary (infra/lambdas) instead of its own.
    opts.multicall = arg(&args, "--multicall").map(PathBuf::from);
    opts.secrets = match secrets::load_or_create(&root.join(".local/secrets.json")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("handoff-local: secrets: {e}");
            std::process::exit(1);
        }
    };
    for p in args.iter().filter_map(|a| a.strip_prefix("--param=")) {
        if let Some((k, v)) = p.split_once('=') {
            opts.parameters.insert(k.into(), v.into());
        }
    }
    let stack = match start(opts).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("handoff-local: {e}");
            std::process::exit(1);
        }
    };
    if !args.iter().any(|a| a == "--no-demo") {
        match std::fs::read_to_string(root.join("infra/demo.json")) {
            Ok(json) => match demo::load(&stack.table, &json).await {
                Ok(n) => eprintln!("handoff-local: loaded {n} demo user(s) from infra/demo.json"),
                Err(e) => eprintln!("handoff-local: demo data: {e}"),
            },
            Err(e) => eprintln!("handoff-local: infra/demo.json: {e}"),
        }
    }
    eprintln!(
        "handoff-local: API on {} (mailbox: {}/_local/mailbox.html, SMS and push: {}/_local/phone.html); Ctrl-C stops",
        stack.url, stack.url, stack.url
    );
    let _ = tokio::signal::ctrl_c().await;
}
