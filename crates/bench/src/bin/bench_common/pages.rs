//! Timing pages over HTTP, for the benchmarks that measure pages (included by those only).

use std::net::TcpStream;
use std::time::Duration;

use anyhow::bail;

use crate::bench_common::{percentile, read_response};

/// GETs a page on a keep-alive connection (with a session cookie, if given); checks the
/// status, returns the time and body size.
pub fn get(
    stream: &mut TcpStream,
    address: &str,
    path: &str,
    cookie: Option<&str>,
) -> anyhow::Result<(Duration, usize)> {
    let cookie = cookie.map_or_else(String::new, |c| format!("Cookie: {c}\r\n"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{cookie}\r\n");
    let started = std::time::Instant::now();
    std::io::Write::write_all(stream, request.as_bytes())?;
    let mut buffer = Vec::with_capacity(256 * 1024);
    let (status, length) = read_response(stream, &mut buffer)?;
    if !status.starts_with("http/1.1 200") {
        bail!("GET {path}: {status}");
    }
    Ok((started.elapsed(), length))
}

/// Median, p99 and the last body size of `requests` GETs cycling through `paths` on one
/// keep-alive connection, after ten warm-up requests (a server in use has its caches filled).
pub fn measure(
    address: &str,
    cookie: Option<&str>,
    paths: &[String],
    requests: usize,
) -> anyhow::Result<(Duration, Duration, usize)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_nodelay(true)?;
    for i in 0..10 {
        get(&mut stream, address, &paths[i % paths.len()], cookie)?;
    }
    let mut times = Vec::with_capacity(requests);
    let mut bytes = 0;
    for i in 0..requests {
        let (time, size) = get(&mut stream, address, &paths[i % paths.len()], cookie)?;
        times.push(time);
        bytes = size;
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99), bytes))
}
