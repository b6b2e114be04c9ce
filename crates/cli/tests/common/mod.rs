//! What the `mutualis` binary's tests share: running a command, a temporary SQLite
//! database, and a running `mutualis serve --demo` spoken to over HTTP/1.1.

#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

pub fn mutualis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mutualis"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("MUTUALIS_BIND")
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Asserts the command failed with exactly one line on stderr, and returns it.
pub fn one_line_failure(o: &Output) -> String {
    assert!(!o.status.success(), "should have failed: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line expected, got: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    err.trim_end().to_owned()
}

pub fn temp_db() -> (PathBuf, String) {
    let path = std::env::temp_dir().join(format!("mutualis-cli-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    (path, url)
}

pub fn remove_sqlite(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A running `mutualis serve`, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub first_lines: Vec<String>,
}

impl Server {
    pub fn start(url: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mutualis"))
            .args([
                "serve",
                "--demo",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                url,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut first_lines = Vec::new();
        let addr = loop {
            let line = lines.next().expect("server printed its address").unwrap();
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.split('/').next().unwrap().to_owned();
            }
            first_lines.push(line);
        };
        Server {
            child,
            addr,
            first_lines,
        }
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, "", "")
    }

    /// One HTTP/1.1 request with extra header lines (each ending in CRLF) and a body.
    pub fn request(&self, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
        self.request_bytes(method, path, headers, body.as_bytes())
    }

    /// [`Server::request`] with a body of bytes (an upload).
    pub fn request_bytes(
        &self,
        method: &str,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> (u16, String) {
        let (status, response) = raw_request(&self.addr, method, path, headers, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer"));
        (status, String::from_utf8_lossy(&response).into_owned())
    }

    /// A GET with a session cookie: the status and the whole response, as bytes.
    pub fn request_bytes_as(&self, cookie: &str, path: &str) -> (u16, Vec<u8>) {
        raw_request(
            &self.addr,
            "GET",
            path,
            &format!("Cookie: {cookie}\r\n"),
            b"",
        )
        .unwrap_or_else(|| panic!("GET {path}: no answer"))
    }

    /// The server's peak resident memory so far, in bytes (`VmHWM` of Linux's
    /// `/proc/PID/status`).
    pub fn peak_memory_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("VmHWM in {status}"));
        kib * 1024
    }

    /// The CSRF token of a signed-in session, read from the account page's forms.
    pub fn session_csrf(&self, cookie: &str) -> String {
        let (_, page) = self.get_as(cookie, "/compte");
        let marker = "name=\"csrf\" value=\"";
        let start = page
            .find(marker)
            .unwrap_or_else(|| panic!("a CSRF field in {page}"))
            + marker.len();
        page[start..].split('"').next().unwrap().to_owned()
    }

    /// The password the demo printed for `email`.
    pub fn demo_password(&self, email: &str) -> String {
        let line = self
            .first_lines
            .iter()
            .find(|l| l.split_whitespace().nth(1) == Some(email))
            .unwrap_or_else(|| panic!("{email} in {:?}", self.first_lines));
        line.split_whitespace().nth(2).unwrap().to_owned()
    }

    /// Signs in through the login form; the `Cookie` header of the session.
    pub fn sign_in(&self, email: &str) -> String {
        let (_, form) = self.get("/connexion");
        let cookie = |response: &str, name: &str| {
            response
                .lines()
                .filter_map(|l| l.strip_prefix("set-cookie: "))
                .find_map(|c| c.strip_prefix(&format!("{name}=")))
                .map(|c| c.split(';').next().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{name} cookie in {response}"))
        };
        let csrf = cookie(&form, "mutualis_csrf");
        let password = self.demo_password(email);
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", &csrf)
            .append_pair("email", email)
            .append_pair("password", &password)
            .append_pair("suite", "/")
            .finish();
        let (status, signed_in) = self.request(
            "POST",
            "/connexion",
            &format!(
                "Cookie: mutualis_csrf={csrf}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n"
            ),
            &body,
        );
        assert_eq!(status, 303, "{signed_in}");
        format!(
            "mutualis_session={}",
            cookie(&signed_in, "mutualis_session")
        )
    }

    pub fn get_as(&self, cookie: &str, path: &str) -> (u16, String) {
        self.request("GET", path, &format!("Cookie: {cookie}\r\n"), "")
    }
}

/// One HTTP/1.1 request to `addr`: the status and the whole response, head and body; `None`
/// when the server is not there or closed the connection without answering.
pub fn raw_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    // The server may answer and close before it reads a refused body whole.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let status = std::str::from_utf8(response.get(9..12)?)
        .ok()?
        .parse()
        .ok()?;
    Some((status, response))
}

/// The body of a response of [`raw_request`].
pub fn response_body(response: &[u8]) -> &[u8] {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    &response[end + 4..]
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
