//! A real SMTP server for the email tests: Python's aiosmtpd (PyPI,
//! installed by `scripts/setup --test` into `target/aiosmtpd`), storing
//! what it receives in a maildir that the tests read back, decoded by
//! Python's own `email` package.

use serde::Deserialize;
use std::{
    net::TcpListener as StdListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use tempfile::TempDir;

pub struct SmtpServer {
    pub port: u16,
    child: Child,
    maildir: TempDir,
}

/// One message as delivered.
#[derive(Clone, Debug, Deserialize)]
pub struct Mail {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub body: String,
}

fn python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/aiosmtpd/bin/python");
    assert!(
        python.exists(),
        "aiosmtpd is not installed at {}: run scripts/setup --test",
        python.display()
    );
    python
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let port = {
            let probe = StdListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let maildir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir(maildir.path().join(sub)).unwrap();
        }
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer {
            port,
            child,
            maildir,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, decoded.
    pub fn messages(&self) -> Vec<Mail> {
        const READ: &str = "import json, mailbox, sys\n\
box = mailbox.Maildir(sys.argv[1], create=False)\n\
print(json.dumps([{'to': str(m['To']), 'from': str(m['From']), 'subject': str(m['Subject']), \
'body': m.get_payload(decode=True).decode('utf-8')} for m in box]))";
        let output = Command::new(python())
            .args(["-c", READ])
            .arg(self.maildir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// The messages to `to`, once at least `count` arrived (30 s at most).
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let found: Vec<Mail> = self
                .messages()
                .into_iter()
                .filter(|m| m.to.contains(to))
                .collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "timed out waiting for {count} message(s) to {to}; have {:?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl SmtpServer {
    /// The messages to `to` titled `subject`, once at least `count` of
    /// them arrived (30 s at most). (A maildir keeps no order: tests name
    /// the letter they want, not a position.)
    pub async fn wait_for_subject(&self, to: &str, subject: &str, count: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let found = self.letters(to, subject);
            if found.len() >= count {
                return found;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "timed out waiting for {count} {subject:?} message(s) to {to}; have {:?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The messages received so far to `to` titled `subject`.
    pub fn letters(&self, to: &str, subject: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.contains(to) && m.subject == subject)
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first link in `body` that starts with `prefix`.
pub fn link_in(body: &str, prefix: &str) -> String {
    let start = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {body}"));
    body[start..].split_whitespace().next().unwrap().to_owned()
}
