//! A real IMAP server for tests: Dovecot (Debian's `dovecot-imapd`, which `.ci/run` installs),
//! started with a small configuration of its own in a temporary folder, listening on a free
//! loopback port, with one user whose password is `{PLAIN}` in a passwd-file. It is stopped
//! (and its folder removed) when dropped. Without Dovecot, `Dovecot::start` prints
//! `NOTE: dovecot not installed; skipping TEST` and gives `None`, and the test returns.
//!
//! Two test binaries use this file: the integration tests (`mod dovecot` in main.rs) and the
//! IMAP fetcher's tests inside the `postern` binary (`crate::mail_in::dovecot`, included by
//! path, since a binary offers no library to call the fetcher through). So it uses only std and
//! tempfile, and its client (`Client`) is a small blocking one: a test puts mail in with APPEND
//! and reads UIDs and flags back without the code under test.
//!
//! ```ignore
//! let Some(dovecot) = Dovecot::start("my_test") else { return };
//! let uid = dovecot.append("INBOX", b"From: a@example.net\r\nSubject: hi\r\n\r\nbody\r\n");
//! // imap://reporter@127.0.0.1:PORT/INBOX?tls=none, the password in dovecot.password()
//! let url = dovecot.url("INBOX");
//! assert!(dovecot.client().flags("INBOX", uid).contains(&"$PosternTaken".to_owned()));
//! ```
//!
//! Dovecot refuses to run its login processes as root and its mail processes as uid 0: as root
//! (CI), logins run as the packaged `dovenull`, mail as `mail` (a static userdb,
//! `first_valid_uid = 8`) in folders owned by `mail`; as another user, everything runs as that
//! user. Waiting for the server to listen polls its port with a deadline: it is an external
//! process with nothing else to wait on.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The one user's name.
pub const USER: &str = "reporter";
/// The one user's password (tests check that it shows nowhere).
pub const PASSWORD: &str = "dovecot-test-Pw-7f3a9c";
/// How long the server may take to start, and one answer of it to come.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A running Dovecot, stopped when dropped.
pub struct Dovecot {
    child: Child,
    port: u16,
    /// The port of IMAP over TLS, when started by `start_tls`.
    tls_port: Option<u16>,
    dir: tempfile::TempDir,
}

impl Dovecot {
    /// Starts Dovecot for `test`; `None` (after a NOTE on stderr) when it is not installed.
    pub fn start(test: &str) -> Option<Dovecot> {
        Dovecot::launch(test, "", false)
    }

    /// Starts Dovecot with more configuration lines appended, such as
    /// `imap_capability = IMAP4rev1 UIDPLUS` (a server that offers less).
    pub fn start_with(test: &str, extra_config: &str) -> Option<Dovecot> {
        Dovecot::launch(test, extra_config, false)
    }

    /// Starts Dovecot with TLS: STARTTLS on `port()`, TLS from the start on `tls_port()`, with
    /// a certificate for 127.0.0.1 and localhost issued by a CA of its own (`ca_der()`), made
    /// with `openssl`. `None` (after a NOTE) without Dovecot or openssl.
    pub fn start_tls(test: &str) -> Option<Dovecot> {
        let openssl = Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !openssl {
            let _ = writeln!(
                std::io::stderr(),
                "NOTE: openssl not installed; skipping {test} (apt-get install openssl)"
            );
            return None;
        }
        Dovecot::launch(test, "", true)
    }

    fn launch(test: &str, extra_config: &str, tls: bool) -> Option<Dovecot> {
        let Some(binary) = dovecot_binary() else {
            let _ = writeln!(
                std::io::stderr(),
                "NOTE: dovecot not installed; skipping {test} (apt-get install dovecot-imapd; .ci/run does)"
            );
            return None;
        };
        let mut last_log = String::new();
        // A free port can be taken by someone else before Dovecot binds it: try another.
        for _ in 0..3 {
            let port = free_port();
            let tls_port = tls.then(free_port);
            let dir = tempfile::Builder::new()
                .prefix("postern-dovecot-")
                .tempdir()
                .expect("a temporary folder");
            if tls {
                make_certificates(dir.path());
            }
            let config = write_config(dir.path(), port, tls_port, extra_config);
            let mut child = Command::new(&binary)
                .arg("-F")
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("dovecot starts");
            if wait_ready(&mut child, port) {
                return Some(Dovecot {
                    child,
                    port,
                    tls_port,
                    dir,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(dir.path().join("dovecot.log")).unwrap_or_default();
            if !last_log.contains("in use") {
                break;
            }
        }
        panic!("dovecot did not start; its log:\n{last_log}");
    }

    /// The loopback port it listens on (plain IMAP).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user's name.
    pub fn user(&self) -> &'static str {
        USER
    }

    /// The user's password.
    pub fn password(&self) -> &'static str {
        PASSWORD
    }

    /// The URL Postern reads `mailbox` by: `imap://reporter@127.0.0.1:PORT/MAILBOX?tls=none`.
    pub fn url(&self, mailbox: &str) -> String {
        format!("imap://{USER}@127.0.0.1:{}/{mailbox}?tls=none", self.port)
    }

    /// The port of IMAP over TLS (`start_tls` only).
    pub fn tls_port(&self) -> u16 {
        self.tls_port.expect("started by start_tls")
    }

    /// The CA that issued the server's certificate, DER-encoded (`start_tls` only).
    pub fn ca_der(&self) -> Vec<u8> {
        std::fs::read(self.dir().join("ca.der")).expect("started by start_tls")
    }

    /// Its folder (configuration, log, mail).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its log so far, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir().join("dovecot.log")).unwrap_or_default()
    }

    /// A new connection, logged in as the user.
    pub fn client(&self) -> Client {
        let mut client = Client::connect(self.port).expect("dovecot accepts a connection");
        client
            .login(USER, PASSWORD)
            .unwrap_or_else(|e| panic!("the test user logs in: {e}\n{}", self.log()));
        client
    }

    /// Puts a message into `mailbox` (created if missing); returns its UID.
    pub fn append(&self, mailbox: &str, message: &[u8]) -> u32 {
        let mut client = self.client();
        if !client.mailboxes().iter().any(|m| m == mailbox) {
            client.create(mailbox);
        }
        client.append(mailbox, message)
    }

    /// Disconnects every session of the user (`doveadm kick`), as a server restart would.
    pub fn kick(&self) {
        let status = Command::new(doveadm_binary())
            .arg("-c")
            .arg(self.dir().join("dovecot.conf"))
            .args(["kick", USER])
            .stdout(Stdio::null())
            .status()
            .expect("doveadm runs");
        assert!(status.success(), "doveadm kick failed\n{}", self.log());
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // Its helper processes end when the master is gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dovecot_binary() -> Option<PathBuf> {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            Command::new("dovecot")
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .ok()
                .filter(|s| s.success())
                .map(|_| PathBuf::from("dovecot"))
        })
}

fn doveadm_binary() -> PathBuf {
    ["/usr/bin/doveadm", "/usr/local/bin/doveadm"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("doveadm"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A user's uid and gid from /etc/passwd.
fn passwd_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == name)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

/// The name of a uid in /etc/passwd.
fn passwd_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[2] == uid.to_string()).then(|| fields[0].to_owned())
    })
}

/// The name of a gid in /etc/group.
fn group_name(gid: u32) -> Option<String> {
    let groups = std::fs::read_to_string("/etc/group").ok()?;
    groups.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 2 && fields[2] == gid.to_string()).then(|| fields[0].to_owned())
    })
}

/// Writes the configuration, the passwd-file and the mail folder; returns the configuration's
/// path.
fn write_config(dir: &Path, port: u16, tls_port: Option<u16>, extra: &str) -> PathBuf {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let me = std::fs::metadata(dir).unwrap();
    let root = me.uid() == 0;
    // Dovecot's processes of other users must reach their files in here.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (login_user, internal_user, uid, gid) = if root {
        let (uid, gid) = passwd_ids("mail").expect("the user mail exists (Debian's base system)");
        std::os::unix::fs::chown(&mail, Some(uid), Some(gid)).unwrap();
        ("dovenull".to_owned(), "dovecot".to_owned(), uid, gid)
    } else {
        let name = passwd_name(me.uid()).expect("this user is in /etc/passwd");
        (name.clone(), name, me.uid(), me.gid())
    };
    let passwd = dir.join("passwd");
    std::fs::write(&passwd, format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n")).unwrap();
    let d = dir.display();
    let unprivileged = if root {
        String::new()
    } else {
        format!(
            "default_internal_group = {group}\nservice imap-login {{\n  chroot =\n  user = {login_user}\n}}\nservice auth-worker {{\n  user = {internal_user}\n}}\nservice anvil {{\n  chroot =\n}}\n",
            group = group_name(gid).expect("this user's group is in /etc/group")
        )
    };
    let (ssl, imaps_address, imaps_port) = match tls_port {
        Some(tls_port) => (
            format!("yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem"),
            "address = 127.0.0.1\n    ",
            tls_port,
        ),
        None => ("no".to_owned(), "", 0),
    };
    let config = format!(
        r#"# Written by Postern's test harness (crates/postern/tests/it/dovecot.rs).
base_dir = {d}/run
state_dir = {d}/state
instance_name = postern-test-{port}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = {ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 8
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:{d}/mail/%u
# IDLE learns of new mail by inotify; where inotify is exhausted (many test servers at once on a
# busy machine) Dovecot falls back to looking every 30 s, as long as a test's wait. Look often.
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    {imaps_address}port = {imaps_port}
  }}
}}
{unprivileged}protocol imap {{
  # IDLE is on (Dovecot offers it unless imap_capability says otherwise); tests connect often.
  mail_max_userip_connections = 100
}}
{extra}
"#
    );
    let path = dir.join("dovecot.conf");
    std::fs::write(&path, config).unwrap();
    path
}

/// A CA and a certificate it issued for 127.0.0.1 and localhost (P-256 keys, valid two days):
/// ca.der, cert.pem, key.pem in `dir`.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &key,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=Postern test CA",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &key,
            &[
                "-keyout",
                "key.pem",
                "-out",
                "cert.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("cert.ext"),
        "subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "cert.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-extfile",
        "cert.ext",
    ]);
    openssl(&["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]);
}

/// Whether Dovecot greets on `port` before `DEADLINE` (false if it exited).
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if let Ok(client) = Client::connect(port) {
            drop(client);
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A small blocking IMAP client: enough to put mail in and read UIDs and flags back.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Client {
    /// Connects to 127.0.0.1:`port` and reads the greeting.
    pub fn connect(port: u16) -> std::io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(DEADLINE))?;
        let mut client = Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            tag: 0,
        };
        let greeting = client.line()?;
        if !greeting.starts_with("* OK") {
            return Err(std::io::Error::other(format!("greeting: {greeting}")));
        }
        Ok(client)
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(line.trim_end().to_owned())
    }

    /// Sends a command; its untagged answers, or the tagged NO/BAD line as the error. Answers
    /// with literals are read whole, their line joined to the literal's text.
    pub fn command(&mut self, command: &str) -> Result<Vec<String>, String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.writer, "{tag} {command}\r\n").map_err(|e| e.to_string())?;
        self.finish(&tag)
    }

    fn finish(&mut self, tag: &str) -> Result<Vec<String>, String> {
        let mut untagged = Vec::new();
        loop {
            let mut line = self.line().map_err(|e| format!("reading: {e}"))?;
            // A literal {N} at the end of a line: its N bytes follow, then the rest of the line.
            while let Some(size) = line
                .strip_suffix('}')
                .and_then(|l| l.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut literal = vec![0; size];
                self.reader
                    .read_exact(&mut literal)
                    .map_err(|e| e.to_string())?;
                line.push_str(&String::from_utf8_lossy(&literal));
                line.push_str(&self.line().map_err(|e| e.to_string())?);
            }
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                return if rest.starts_with("OK") {
                    Ok(untagged)
                } else {
                    Err(line)
                };
            }
            untagged.push(line);
        }
    }

    /// LOGIN.
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), String> {
        self.command(&format!("LOGIN {} {}", quote(user), quote(password)))
            .map(drop)
    }

    /// CREATE.
    pub fn create(&mut self, mailbox: &str) {
        self.command(&format!("CREATE {}", quote(mailbox)))
            .unwrap_or_else(|e| panic!("CREATE {mailbox}: {e}"));
    }

    /// The names of every mailbox.
    pub fn mailboxes(&mut self) -> Vec<String> {
        self.command("LIST \"\" \"*\"")
            .unwrap()
            .iter()
            .filter_map(|l| l.strip_prefix("* LIST "))
            .filter_map(|l| {
                l.rsplit_once(' ')
                    .map(|(_, name)| name.trim_matches('"').to_owned())
            })
            .collect()
    }

    /// APPENDs a message; returns its UID (Dovecot answers APPENDUID).
    pub fn append(&mut self, mailbox: &str, message: &[u8]) -> u32 {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(
            self.writer,
            "{tag} APPEND {} {{{}}}\r\n",
            quote(mailbox),
            message.len()
        )
        .unwrap();
        let go_on = self.line().unwrap();
        assert!(go_on.starts_with('+'), "APPEND: {go_on}");
        self.writer.write_all(message).unwrap();
        self.writer.write_all(b"\r\n").unwrap();
        let mut line = String::new();
        while !line.starts_with(&format!("{tag} ")) {
            line = self.line().unwrap();
        }
        assert!(line.contains(" OK "), "APPEND: {line}");
        line.split("[APPENDUID ")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .and_then(|ids| ids.split(' ').nth(1))
            .and_then(|uid| uid.parse().ok())
            .unwrap_or_else(|| panic!("APPEND answered without APPENDUID: {line}"))
    }

    /// The UIDs in `mailbox`, ascending (read-only: EXAMINE).
    pub fn uids(&mut self, mailbox: &str) -> Vec<u32> {
        self.examine(mailbox);
        let mut uids: Vec<u32> = self
            .command("UID SEARCH ALL")
            .unwrap()
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| {
                l.split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect::<Vec<_>>()
            })
            .collect();
        uids.sort_unstable();
        uids
    }

    /// The flags of one message, such as `\Seen` or `$PosternTaken` (read-only: EXAMINE).
    pub fn flags(&mut self, mailbox: &str, uid: u32) -> Vec<String> {
        self.examine(mailbox);
        let answers = self.command(&format!("UID FETCH {uid} (FLAGS)")).unwrap();
        let line = answers
            .iter()
            .find(|l| l.contains(&format!("UID {uid} ")) || l.contains(&format!("UID {uid})")))
            .unwrap_or_else(|| panic!("no message {uid} in {mailbox}: {answers:?}"));
        let flags = line
            .split("FLAGS (")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap_or_default();
        flags.split_whitespace().map(str::to_owned).collect()
    }

    fn examine(&mut self, mailbox: &str) {
        self.command(&format!("EXAMINE {}", quote(mailbox)))
            .unwrap_or_else(|e| panic!("EXAMINE {mailbox}: {e}"));
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
