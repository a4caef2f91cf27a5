//! A moto server of a stack's own: the project's infra/moto_server.py in its
//! virtualenv (.local/moto, installed by infra/setup.sh), on a free port.
//! Stacks that run at the same time then run side by side instead of
//! queueing behind one emulator that answers one request at a time. When a
//! stack stops, its server waits in a pool for the next stack of the same
//! process (every stack's names are its own, so one that follows meets
//! nothing of the one before), which saves starting Python and moto again;
//! it ends with the process that started it.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// How long a moto server may take to answer its first request (a busy machine imports it slowly).
const START_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Moto {
    pub url: String,
    child: tokio::process::Child,
}

impl Moto {
    /// Starts a moto server for the project at `root`, logging to `log` (or nowhere).
    pub async fn start(root: &Path, log: Option<PathBuf>) -> Result<Moto, String> {
        crate::install_crypto();
        let python = root.join(".local/moto/bin/python");
        if !python.exists() {
            return Err(format!("{} is missing: run infra/setup.sh", python.display()));
        }
        let mut last = String::new();
        // A port picked free can be taken before moto binds it: try another.
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| e.to_string())?
                .port();
            let out = match &log {
                Some(p) => Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .map_err(|e| format!("{}: {e}", p.display()))?,
                ),
                None => Stdio::null(),
            };
            let mut child = tokio::process::Command::new(&python)
                .arg(root.join("infra/moto_server.py"))
                .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--exit-with-parent", "--quiet"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(out)
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("{}: {e}", python.display()))?;
            let url = format!("http://127.0.0.1:{port}");
            let until = std::time::Instant::now() + START_TIMEOUT;
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!("moto exited ({status}) on port {port}");
                    break;
                }
                if reqwest::get(format!("{url}/_handoff/messages")).await.is_ok_and(|r| r.status().is_success()) {
                    return Ok(Moto { url, child });
                }
                if std::time::Instant::now() > until {
                    let _ = child.kill().await;
                    return Err(format!("moto did not answer on port {port} within {} s", START_TIMEOUT.as_secs()));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Err(last)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Servers whose stacks have stopped, ready for the next stack.
static IDLE: std::sync::Mutex<Vec<Moto>> = std::sync::Mutex::new(Vec::new());

/// A moto server for one stack at a time: taken from the idle ones (one
/// still running) or started; it goes back when the stack drops it.
pub struct Lease(Option<Moto>);

impl Lease {
    pub async fn take(root: &Path, log: Option<PathBuf>) -> Result<Lease, String> {
        loop {
            let idle = IDLE.lock().unwrap().pop();
            match idle {
                Some(mut m) => {
                    if matches!(m.child.try_wait(), Ok(None)) {
                        return Ok(Lease(Some(m)));
                    }
                }
                None => return Moto::start(root, log).await.map(|m| Lease(Some(m))),
            }
        }
    }
    pub fn url(&self) -> &str {
        self.0.as_ref().map(|m| m.url.as_str()).unwrap_or_default()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(m) = self.0.take() {
            IDLE.lock().unwrap().push(m);
        }
    }
}
