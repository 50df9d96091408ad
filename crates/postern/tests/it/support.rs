//! Helpers shared by the integration tests.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The workspace root, for example policies.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the built `postern` binary with arguments, in `dir`.
pub fn postern(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_postern"))
        .args(args)
        .current_dir(dir)
        .env_remove("POSTERN_POLICY")
        .env_remove("POSTERN_DATA")
        .env_remove("POSTERN_LISTEN")
        .output()
        .expect("postern runs")
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A running server, killed if a test fails before stopping it.
pub struct Server {
    pub child: Child,
    pub address: String,
    /// Every later line of the server's standard output.
    pub lines: mpsc::Receiver<String>,
}

impl Server {
    /// Waits (without sleeping) for the next output line that starts with `prefix`, and
    /// returns the line after it.
    pub fn line_after(&self, prefix: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("the server printed no line starting {prefix:?}"));
            if line.trim_start().starts_with(prefix) {
                return self
                    .lines
                    .recv_timeout(Duration::from_secs(30))
                    .expect("a line follows")
                    .trim()
                    .to_owned();
            }
        }
    }
}

impl Server {
    /// Waits (without sleeping) up to a minute for an output line that starts with `prefix`.
    pub fn wait_for(&self, prefix: &str) {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("the server printed no line starting {prefix:?}"));
            if line.starts_with(prefix) {
                return;
            }
        }
    }
}

/// A file of a package npm installed globally (`npm install -g`, as `.ci/run` does), if it is
/// there: `relative` below `npm root -g`.
pub fn npm_global(relative: &str) -> Option<PathBuf> {
    let output = Command::new("npm").args(["root", "-g"]).output().ok()?;
    let root = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    output.status.success().then(|| root.join(relative))
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `postern serve` on a free port and waits (without sleeping) for its listening line.
pub fn start(args: &[&str], data: &std::path::Path) -> Server {
    start_with_env(args, data, &[])
}

/// `start` with environment variables set for the server (a password, say).
pub fn start_with_env(args: &[&str], data: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_postern"))
        .envs(env.iter().copied())
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(args)
        .current_dir(workspace())
        .env_remove("POSTERN_POLICY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("postern starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let address = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server printed its address");
        if let Some(address) = line.strip_prefix("Postern is listening on http://") {
            break address.to_owned();
        }
    };
    Server {
        child,
        address,
        lines: rx,
    }
}

/// A minimal HTTP/1.1 GET; returns (status line, body).
pub fn http_get(address: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

pub fn sigterm(server: &mut Server) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.child.wait().unwrap()
}

/// One HTTP/1.1 request on a fresh connection; returns (status code, body). `None` when the
/// connection fails or the answer is cut off (the server was killed mid-request).
pub fn http_request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    // Read until the declared body is complete: some servers keep the connection open.
    let mut response = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&response[..end]).ok()?;
            let length: usize = head.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })?;
            if response.len() >= end + 4 + length {
                let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
                let body =
                    String::from_utf8_lossy(&response[end + 4..end + 4 + length]).into_owned();
                return Some((status, body));
            }
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None; // closed before the answer was complete
        }
        response.extend_from_slice(&chunk[..n]);
    }
}

/// Runs one SQL statement with `psql` against `url`, quietly (a dropped schema's NOTICE lines,
/// one per table, are not the test's output).
pub fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-qc", sql])
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .status()
        .expect("psql runs");
    assert!(status.success(), "{sql}");
}

/// The reporter's view of a report through the API, with its case key: (status, body).
pub fn reporter_view(address: &str, id: &str, case_key: &str) -> (u16, String) {
    let bearer = format!("Bearer {case_key}");
    http_request(
        address,
        "GET",
        &format!("/api/v1/reports/{id}"),
        &[("Authorization", &bearer)],
        b"",
    )
    .expect("the server answers")
}
