//! The real `eventurl` binary as a separate process, and a TCP proxy that
//! can cut the way to a database, for outages without stopping the server.

use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc, Arc,
    },
    time::Duration,
};
use tokio::{net::TcpListener, sync::watch};

/// A running `eventurl serve`, killed when dropped.
pub struct Running {
    child: Child,
    pub addr: String,
    lines: mpsc::Receiver<String>,
    log: String,
}

impl Running {
    /// Starts `command` (already given `serve` and its settings) and waits
    /// for the line that says where it listens.
    pub fn start(mut command: Command) -> Running {
        use std::io::{BufRead, BufReader};
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("eventurl starts");
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (tx, lines) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut log = String::new();
        let addr = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("server did not say where it listens:\n{log}"));
            log.push_str(&line);
            log.push('\n');
            // `addr=…` in human logs, `"addr":"…"` in JSON ones.
            if let Some((at, skip)) = line
                .find("addr=")
                .map(|at| (at, 5))
                .or_else(|| line.find("\"addr\":\"").map(|at| (at, 8)))
            {
                break line[at + skip..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                    .collect();
            }
        };
        Running {
            child,
            addr,
            lines,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM, as a service manager does, and waits for the exit.
    pub fn terminate(mut self) -> (std::process::ExitStatus, Duration, String) {
        let began = std::time::Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = self.child.wait().expect("the server exits");
        let took = began.elapsed();
        let mut log = std::mem::take(&mut self.log);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            log.push_str(&line);
            log.push('\n');
        }
        (exit, took, log)
    }

    /// Stops the process and returns everything it logged.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut log = std::mem::take(&mut self.log);
        for line in self.lines.try_iter() {
            log.push_str(&line);
            log.push('\n');
        }
        log
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Forwards a loopback port to `target`; `set_up(false)` cuts every open
/// connection and refuses new ones until `set_up(true)`.
pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, watcher) = watch::channel(0u64);
        let accept_up = up.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    break;
                };
                if !accept_up.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut = watcher.clone();
                cut.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy {
            port,
            up,
            generation,
        }
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.generation.send_modify(|g| *g += 1);
        }
    }
}
