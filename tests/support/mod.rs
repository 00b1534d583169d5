//! Real MQTT brokers for the integration tests, and tools to observe and break connections.
//!
//! An integration test file includes this module with `mod support;` and gets:
//!
//! * [`TestBroker`], implemented by [`Mosquitto`] (the Debian `/usr/sbin/mosquitto`, run as a
//!   child process) and [`Rumqttd`] (rumqttd 0.20.0, in-process). Both listen on 127.0.0.1 on a
//!   port the harness picks.
//! * [`on_both_brokers!`], which turns one `async fn name(broker: &dyn TestBroker)` into two
//!   `#[test]`s, `name::mosquitto` and `name::rumqttd`, each on its own current-thread tokio
//!   runtime with a time limit.
//! * [`Observer`], a small raw MQTT 3.1.1 client built on picomqtt's codec only (not on its
//!   client), to publish and to check what a broker delivers.
//! * [`Proxy`], a TCP forwarder that can cut its connections, black-hole them, or refuse new ones,
//!   to simulate dead links and crashed brokers (rumqttd cannot be stopped, see [`Rumqttd`]).
//!
//! When mosquitto is missing, its tests print a SKIPPED banner and return early, unless
//! `PICOMQTT_REQUIRE_MOSQUITTO=1`, which makes them fail. `PICOMQTT_MOSQUITTO=<path>` overrides
//! the binary (a path that does not exist simulates a machine without mosquitto).
//!
//! Everything here panics with a message on failure: it is test code, and a panic fails the test.

// Each test file uses a different part of the harness; the rest would warn as dead code there.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::fs::{self, OpenOptions};
use std::future::Future;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener, TcpStream as StdTcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use picomqtt::packet::{
    Connect, Decoded, Packet, PacketId, PacketType, PubAck, Publish, QoS, Subscribe,
    SubscribeFilters, SubscribeReturnCode, Will, decode,
};
use picomqtt::{TopicFilter, TopicName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long a broker may take to accept connections after it was started.
pub const BROKER_START_LIMIT: Duration = Duration::from_secs(5);

/// The default time limit of a test body run by [`on_both_brokers!`] or [`run_test`].
pub const TEST_LIMIT_SECS: u64 = 8;

/// How long the [`Observer`] waits for a CONNACK, SUBACK, PUBACK or PINGRESP, and for a write.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

// ---------------------------------------------------------------------------------------------
// Brokers
// ---------------------------------------------------------------------------------------------

/// A running MQTT broker on 127.0.0.1.
pub trait TestBroker {
    /// `"mosquitto"` or `"rumqttd"`.
    fn name(&self) -> &'static str;

    /// The port it listens on (127.0.0.1 only).
    fn port(&self) -> u16;

    /// `127.0.0.1:port`.
    fn addr(&self) -> SocketAddr {
        SocketAddr::from((LOCALHOST, self.port()))
    }

    /// What the broker logged so far, for failure messages (rumqttd logs nothing).
    fn log(&self) -> String;
}

/// Runs `body` to completion on a fresh current-thread tokio runtime (timers and I/O enabled),
/// and fails the test if it takes longer than `limit_secs`.
pub fn run_test<F: Future>(name: &str, limit_secs: u64, body: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a current-thread tokio runtime");
    let limit = Duration::from_secs(limit_secs);
    runtime.block_on(async {
        match tokio::time::timeout(limit, body).await {
            Ok(output) => output,
            Err(_) => panic!("test `{name}` did not finish within {limit:?}"),
        }
    })
}

/// Defines `#[test] fn mosquitto()` and `#[test] fn rumqttd()` in a module named after an
/// `async fn $name(broker: &dyn TestBroker)` of the calling file; each starts its own broker
/// with default options and runs the function under [`run_test`].
///
/// ```ignore
/// async fn retained_message_reaches_late_subscriber(broker: &dyn TestBroker) { ... }
/// support::on_both_brokers!(retained_message_reaches_late_subscriber);
/// support::on_both_brokers!(ten_thousand_qos1_messages, limit_secs = 10);
/// ```
///
/// The tests are then named `retained_message_reaches_late_subscriber::mosquitto` and
/// `retained_message_reaches_late_subscriber::rumqttd`, so `cargo test rumqttd` selects one
/// broker. The mosquitto test passes early, after a SKIPPED banner, when mosquitto is missing
/// (see [`Mosquitto::start`]).
macro_rules! on_both_brokers {
    ($name:ident) => {
        $crate::support::on_both_brokers!($name, limit_secs = $crate::support::TEST_LIMIT_SECS);
    };
    ($name:ident, limit_secs = $secs:expr) => {
        mod $name {
            #[test]
            fn mosquitto() {
                let Some(broker) = $crate::support::Mosquitto::start_default() else {
                    return;
                };
                $crate::support::run_test(
                    concat!(stringify!($name), "::mosquitto"),
                    $secs,
                    super::$name(&broker),
                );
            }

            #[test]
            fn rumqttd() {
                let broker = $crate::support::Rumqttd::start();
                $crate::support::run_test(
                    concat!(stringify!($name), "::rumqttd"),
                    $secs,
                    super::$name(&broker),
                );
            }
        }
    };
}
pub(crate) use on_both_brokers;

/// Every broker available here, each freshly started with default options: rumqttd always,
/// mosquitto when installed (see [`Mosquitto::start`] for what happens when it is not).
pub fn brokers() -> Vec<Box<dyn TestBroker>> {
    let mut brokers: Vec<Box<dyn TestBroker>> = Vec::new();
    if let Some(mosquitto) = Mosquitto::start_default() {
        brokers.push(Box::new(mosquitto));
    }
    brokers.push(Box::new(Rumqttd::start()));
    brokers
}

/// A port that was free a moment ago: bind `127.0.0.1:0`, read the port, close the listener.
/// Another process could take it before the broker binds it; [`Mosquitto::start`] retries then.
pub fn free_port() -> u16 {
    StdTcpListener::bind((LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0 to find a free port")
        .port()
}

/// Waits until `127.0.0.1:port` accepts a TCP connection, at most `limit`.
fn port_accepts_within(port: u16, limit: Duration) -> bool {
    let addr = SocketAddr::from((LOCALHOST, port));
    let start = Instant::now();
    while start.elapsed() < limit {
        if StdTcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// A directory under the system temp dir, removed with its contents on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("picomqtt-{what}-{}-{n}", std::process::id()));
        // A leftover from an earlier process with the same pid is stale.
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("create temp dir {}: {e}", path.display()));
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes to the real stderr, bypassing libtest's output capture (which only captures the
/// `print!` family), so a banner shows even for a test that passes.
fn shout(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

// --- mosquitto ---------------------------------------------------------------------------------

/// Settings of the mosquitto configuration file the harness writes.
#[derive(Debug, Clone)]
pub struct MosquittoOptions {
    /// Keep sessions, subscriptions, queued and retained messages on disk (`persistence true`,
    /// in the broker's temp dir), saved after every change (`autosave_on_changes true`,
    /// `autosave_interval 1`), so that they survive [`Mosquitto::kill`] + [`Mosquitto::restart`].
    /// Before a kill, wait for the change with [`Mosquitto::wait_until_saved`]. Default: off.
    pub persistence: bool,
    /// `max_inflight_messages`: outgoing QoS 1/2 messages in flight per client (0 = no limit).
    /// Default 1000.
    pub max_inflight_messages: u32,
    /// `max_queued_messages`: QoS 1/2 messages queued per client beyond those in flight; more
    /// are dropped. Default 100,000, enough for a 10,000-message QoS 1 test.
    pub max_queued_messages: u32,
    /// `log_type all` (every packet) instead of errors, warnings, notices and information.
    /// Default on.
    pub verbose: bool,
    /// A second listener, on [`Mosquitto::tls_port`], that speaks only TLS, with the test-only
    /// certificate in `tests/tls` (for `localhost` and 127.0.0.1, signed by `tests/tls/ca.crt`).
    /// The plain listener on [`Mosquitto::port`] stays, for observers. Default: off.
    pub tls: bool,
}

impl Default for MosquittoOptions {
    fn default() -> Self {
        Self {
            persistence: false,
            max_inflight_messages: 1000,
            max_queued_messages: 100_000,
            verbose: true,
            tls: false,
        }
    }
}

/// Eclipse Mosquitto as a child process in the foreground, with its own temp dir holding the
/// configuration, the log (stdout and stderr) and the persistence database.
///
/// [`kill`](Self::kill) sends SIGKILL, as a crash would; [`restart`](Self::restart) starts it
/// again on the same port with the same configuration and directory. Drop kills it, prints the
/// log to stderr if the test is panicking, and removes the directory.
pub struct Mosquitto {
    binary: PathBuf,
    options: MosquittoOptions,
    dir: TempDir,
    port: u16,
    /// 0 without [`MosquittoOptions::tls`].
    tls_port: u16,
    child: Option<Child>,
}

impl Mosquitto {
    /// The binary: `$PICOMQTT_MOSQUITTO` if set, else `/usr/sbin/mosquitto`, else `mosquitto`
    /// found on `PATH`; `None` if that file does not exist.
    pub fn binary() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("PICOMQTT_MOSQUITTO") {
            let path = PathBuf::from(path);
            return path.is_file().then_some(path);
        }
        let debian = PathBuf::from("/usr/sbin/mosquitto");
        if debian.is_file() {
            return Some(debian);
        }
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join("mosquitto"))
            .find(|path| path.is_file())
    }

    /// [`start`](Self::start) with [`MosquittoOptions::default`].
    pub fn start_default() -> Option<Self> {
        Self::start(MosquittoOptions::default())
    }

    /// Starts mosquitto on a free port and waits (at most [`BROKER_START_LIMIT`]) until it
    /// accepts connections.
    ///
    /// Returns `None` when mosquitto is not installed, after printing a SKIPPED banner to
    /// stderr; the test should then return early. With `PICOMQTT_REQUIRE_MOSQUITTO=1` it
    /// panics instead. Panics if mosquitto is installed but does not come up.
    pub fn start(options: MosquittoOptions) -> Option<Self> {
        let Some(binary) = Self::binary() else {
            let wanted = std::env::var("PICOMQTT_MOSQUITTO")
                .unwrap_or_else(|_| "/usr/sbin/mosquitto (or mosquitto on PATH)".into());
            if std::env::var("PICOMQTT_REQUIRE_MOSQUITTO").is_ok_and(|v| v == "1") {
                panic!(
                    "mosquitto is required (PICOMQTT_REQUIRE_MOSQUITTO=1) but {wanted} does \
                     not exist; install it with `apt-get install mosquitto`"
                );
            }
            let test = std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_owned();
            shout(&format!(
                "\n{bar}\n!!! SKIPPED: `{test}` needs mosquitto, but {wanted} does not exist.\n\
                 !!! The test returns early and counts as passed. Install mosquitto, or set\n\
                 !!! PICOMQTT_REQUIRE_MOSQUITTO=1 to make a missing mosquitto fail the tests.\n\
                 {bar}\n",
                bar = "!".repeat(78)
            ));
            return None;
        };
        let dir = TempDir::new("mosquitto");
        // Mosquitto started as root drops to the `mosquitto` user, which must be able to write
        // the persistence database here.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777))
                .expect("make the mosquitto temp dir writable");
        }
        let mut broker = Self {
            binary,
            options,
            dir,
            port: 0,
            tls_port: 0,
            child: None,
        };
        // The free port may be taken before mosquitto binds it: try a few.
        for _ in 0..3 {
            broker.port = free_port();
            if broker.options.tls {
                // Two probes can return the same port; mosquitto would then fail to bind.
                broker.tls_port = (0..10)
                    .map(|_| free_port())
                    .find(|&p| p != broker.port)
                    .expect("a second free port");
            }
            match broker.spawn_and_wait() {
                Ok(()) => return Some(broker),
                Err(StartError::AddressInUse) => continue,
                Err(e) => panic!("{e}\n--- mosquitto log ---\n{}", broker.log()),
            }
        }
        panic!(
            "mosquitto found no free port in 3 attempts\n--- mosquitto log ---\n{}",
            broker.log()
        );
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.conf")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.log")
    }

    fn write_config(&self) {
        let o = &self.options;
        let mut conf = format!(
            "listener {port} 127.0.0.1\n\
             allow_anonymous true\n\
             log_dest stderr\n\
             {log_types}\
             sys_interval 0\n\
             set_tcp_nodelay true\n\
             max_inflight_messages {inflight}\n\
             max_queued_messages {queued}\n",
            port = self.port,
            log_types = if o.verbose {
                "log_type all\n"
            } else {
                "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            },
            inflight = o.max_inflight_messages,
            queued = o.max_queued_messages,
        );
        if o.tls {
            // Copies in the broker's own directory: mosquitto started as root reads them after
            // dropping to the `mosquitto` user, who may not see the checkout.
            let certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
            for file in ["server.crt", "server.key"] {
                let copy = self.dir.path().join(file);
                fs::copy(certs.join(file), &copy)
                    .unwrap_or_else(|e| panic!("copy tests/tls/{file}: {e}"));
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&copy, fs::Permissions::from_mode(0o644))
                        .expect("make the certificate readable");
                }
            }
            conf.push_str(&format!(
                "listener {port} 127.0.0.1\n\
                 certfile {dir}/server.crt\n\
                 keyfile {dir}/server.key\n",
                port = self.tls_port,
                dir = self.dir.path().display()
            ));
        }
        if o.persistence {
            // The location must end with a separator: mosquitto appends the file name.
            conf.push_str(&format!(
                "persistence true\n\
                 persistence_location {}/\n\
                 persistence_file mosquitto.db\n\
                 autosave_on_changes true\n\
                 autosave_interval 1\n",
                self.dir.path().display()
            ));
        } else {
            conf.push_str("persistence false\n");
        }
        fs::write(self.config_path(), conf).expect("write mosquitto.conf");
    }

    /// Writes the configuration, starts the process and waits until the port accepts.
    fn spawn_and_wait(&mut self) -> Result<(), StartError> {
        self.write_config();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open mosquitto.log");
        let _ = writeln!(log, "=== harness: starting mosquitto on port {}", self.port);
        let log_start = fs::metadata(self.log_path()).map_or(0, |m| m.len());
        let stderr = log.try_clone().expect("clone the log file handle");
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(|e| StartError::Spawn(self.binary.clone(), e))?;
        self.child = Some(child);
        let start = Instant::now();
        while start.elapsed() < BROKER_START_LIMIT {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                let log = fs::read_to_string(self.log_path()).unwrap_or_default();
                let this_run = log.get(log_start as usize..).unwrap_or(&log);
                if this_run.contains("Address already in use") {
                    return Err(StartError::AddressInUse);
                }
                return Err(StartError::Exited(status.to_string()));
            }
            if port_accepts_within(self.port, Duration::from_millis(50))
                && (self.tls_port == 0
                    || port_accepts_within(self.tls_port, Duration::from_millis(50)))
            {
                return Ok(());
            }
        }
        self.kill();
        Err(StartError::NotListening(self.port))
    }

    /// Kills mosquitto with SIGKILL, as a crash would: no DISCONNECT, no final save of the
    /// persistence database. Does nothing if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills mosquitto if it is running, then starts it again on the same port, with the same
    /// configuration and persistence directory, and waits until it accepts (at most
    /// [`BROKER_START_LIMIT`]; this blocks the calling thread).
    pub fn restart(&mut self) {
        self.kill();
        let start = Instant::now();
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return,
                // The old listener can linger for a moment; nobody else should take our port.
                Err(StartError::AddressInUse) if start.elapsed() < BROKER_START_LIMIT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!(
                    "mosquitto restart on port {}: {e}\n--- mosquitto log ---\n{}",
                    self.port,
                    self.log()
                ),
            }
        }
    }

    /// The port of the TLS listener, if it was started with [`MosquittoOptions::tls`].
    pub fn tls_port(&self) -> Option<u16> {
        (self.tls_port != 0).then_some(self.tls_port)
    }

    /// The options it was started with.
    pub fn options(&self) -> &MosquittoOptions {
        &self.options
    }

    /// Whether the process is running (started and neither killed nor exited).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// How many lines of the log so far contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log().lines().filter(|l| l.contains(needle)).count()
    }

    /// Waits until at least `count` log lines contain `needle`; `false` after `limit`.
    pub async fn wait_for_log(&self, needle: &str, count: usize, limit: Duration) -> bool {
        let start = Instant::now();
        loop {
            if self.log_count(needle) >= count {
                return true;
            }
            if start.elapsed() >= limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// How many times mosquitto has started saving its persistence database so far.
    pub fn saves(&self) -> usize {
        self.log_count(MOSQUITTO_SAVING)
    }

    /// With persistence on: waits until a save that started after `saves_before` (a value of
    /// [`saves`](Self::saves) taken before the change) has finished, so that a
    /// [`kill`](Self::kill) cannot lose the change. Panics after [`ACK_TIMEOUT`].
    ///
    /// Mosquitto logs the line when a save *starts*; a kill right after it can leave the old
    /// database. Mosquitto runs one thread, so a CONNACK to a connection made after the line
    /// appeared is sent after the save returned: that connection is the barrier.
    pub async fn wait_until_saved(&self, saves_before: usize) {
        assert!(
            self.options.persistence,
            "wait_until_saved needs MosquittoOptions::persistence"
        );
        assert!(
            self.wait_for_log(MOSQUITTO_SAVING, saves_before + 1, ACK_TIMEOUT)
                .await,
            "mosquitto did not start a save within {ACK_TIMEOUT:?}"
        );
        Observer::connect(self.port, "harness-save-barrier")
            .await
            .disconnect()
            .await;
    }
}

/// What mosquitto logs each time it starts writing its persistence database.
pub const MOSQUITTO_SAVING: &str = "Saving in-memory database";

impl TestBroker for Mosquitto {
    fn name(&self) -> &'static str {
        "mosquitto"
    }

    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_else(|e| format!("(no log: {e})"))
    }
}

impl fmt::Debug for Mosquitto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mosquitto")
            .field("port", &self.port)
            .field("dir", &self.dir.path())
            .field("running", &self.child.is_some())
            .finish()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(200)..].join("\n");
            shout(&format!(
                "--- mosquitto log (port {}), last {} of {} lines ---\n{tail}\n\
                 --- end of mosquitto log ---\n",
                self.port,
                lines.len().min(200),
                lines.len(),
            ));
        }
        // `self.dir` is removed when the fields drop.
    }
}

#[derive(Debug)]
enum StartError {
    Spawn(PathBuf, std::io::Error),
    AddressInUse,
    Exited(String),
    NotListening(u16),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spawn(path, e) => write!(f, "cannot run {}: {e}", path.display()),
            Self::AddressInUse => write!(f, "mosquitto: address already in use"),
            Self::Exited(status) => write!(f, "mosquitto exited during start-up ({status})"),
            Self::NotListening(port) => write!(
                f,
                "mosquitto did not accept on 127.0.0.1:{port} within {BROKER_START_LIMIT:?}"
            ),
        }
    }
}

// --- rumqttd -----------------------------------------------------------------------------------

/// rumqttd 0.20.0 running in this process, MQTT 3.1.1 (v4) only.
///
/// Limitations, all from rumqttd's API:
/// * **It cannot be stopped.** `rumqttd::Broker::start` blocks forever and has no shutdown
///   API, so it runs on a detached thread and keeps its port, threads and memory until the test
///   process exits. Every `Rumqttd::start` is a new broker on a new port, so tests do not share
///   state. To simulate a broker crash or a dead link, put a [`Proxy`] in front of it.
/// * The port cannot be read back from it, so the harness picks a free port first (a tiny race
///   with other processes).
/// * It rejects a CONNECT with keep alive 0 (`ZeroKeepAlive`) and disconnects clients that
///   stay silent for 1.5 times their keep alive.
/// * It logs through `tracing`; with no subscriber installed it is silent.
pub struct Rumqttd {
    port: u16,
}

impl Rumqttd {
    /// The configuration used: generous limits, and `dynamic_filters: true` (without it, a
    /// PUBLISH to a topic no subscription matches yet fails with `NoMatchingFilters`).
    pub fn config(port: u16) -> rumqttd::Config {
        let server = rumqttd::ServerSettings {
            name: format!("picomqtt-test-{port}"),
            listen: SocketAddr::from((LOCALHOST, port)),
            tls: None,
            next_connection_delay_ms: 1,
            connections: rumqttd::ConnectionSettings {
                connection_timeout_ms: 5000,
                max_payload_size: 1024 * 1024,
                max_inflight_count: 1000,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        };
        rumqttd::Config {
            id: 0,
            router: rumqttd::RouterConfig {
                max_connections: 1000,
                max_outgoing_packet_count: 1000,
                max_segment_size: 16 * 1024 * 1024,
                max_segment_count: 16,
                ..Default::default()
            },
            v4: Some(HashMap::from([("1".to_owned(), server)])),
            ..Default::default()
        }
    }

    /// Starts a new rumqttd on a free port, on a detached thread, and waits (at most
    /// [`BROKER_START_LIMIT`]) until it accepts connections.
    pub fn start() -> Self {
        let port = free_port();
        let mut broker = rumqttd::Broker::new(Self::config(port));
        let thread = std::thread::Builder::new()
            .name(format!("rumqttd-{port}"))
            .spawn(move || broker.start().map_err(|e| e.to_string()))
            .expect("spawn the rumqttd thread");
        let start = Instant::now();
        while start.elapsed() < BROKER_START_LIMIT {
            if thread.is_finished() {
                let result = thread.join();
                panic!("rumqttd on port {port} stopped during start-up: {result:?}");
            }
            if port_accepts_within(port, Duration::from_millis(50)) {
                return Self { port };
            }
        }
        panic!("rumqttd did not accept on 127.0.0.1:{port} within {BROKER_START_LIMIT:?}");
    }
}

impl TestBroker for Rumqttd {
    fn name(&self) -> &'static str {
        "rumqttd"
    }

    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        "(rumqttd runs in-process and logs nothing without a tracing subscriber)".into()
    }
}

// ---------------------------------------------------------------------------------------------
// Observer: a raw MQTT 3.1.1 client on picomqtt's codec
// ---------------------------------------------------------------------------------------------

/// A PUBLISH the [`Observer`] received, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPublish {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
    /// Present for QoS 1 and 2.
    pub packet_id: Option<u16>,
}

impl ReceivedPublish {
    /// The payload as UTF-8 (lossy), for assertions.
    pub fn payload_str(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

/// A will message for [`ObserverOptions::will`].
#[derive(Debug, Clone)]
pub struct ObserverWill {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: QoS,
    pub retain: bool,
}

/// How an [`Observer`] connects.
#[derive(Debug, Clone)]
pub struct ObserverOptions {
    pub client_id: String,
    /// Default `true`; see [`persistent`](Self::persistent).
    pub clean_session: bool,
    /// Seconds; default 60 (rumqttd refuses 0). The observer never sends PINGREQ by itself.
    pub keep_alive: u16,
    pub will: Option<ObserverWill>,
}

impl ObserverOptions {
    /// A clean session with keep alive 60 s and no will.
    pub fn new(client_id: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            clean_session: true,
            keep_alive: 60,
            will: None,
        }
    }

    /// Connect with clean session 0, to resume or start a persistent session.
    pub fn persistent(mut self) -> Self {
        self.clean_session = false;
        self
    }

    /// Sets a will message.
    pub fn will(mut self, topic: &str, payload: &[u8], qos: QoS, retain: bool) -> Self {
        self.will = Some(ObserverWill {
            topic: topic.to_owned(),
            payload: payload.to_vec(),
            qos,
            retain,
        });
        self
    }
}

/// A packet from the broker, owned.
#[derive(Debug, PartialEq)]
enum Incoming {
    ConnAck { session_present: bool, code: u8 },
    Publish(ReceivedPublish),
    PubAck(u16),
    SubAck { packet_id: u16, codes: Vec<u8> },
    PingResp,
    Other(PacketType),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadError {
    Timeout,
    Closed,
}

/// A minimal MQTT 3.1.1 client for assertions, written on `picomqtt::packet` and a tokio
/// `TcpStream` only. It acknowledges every QoS 1 PUBLISH it receives at once, queues PUBLISH
/// packets that arrive while it waits for an acknowledgement, and panics (with its client id) on
/// anything unexpected. QoS 2 is not supported.
pub struct Observer {
    client_id: String,
    stream: TcpStream,
    rx: Vec<u8>,
    received: VecDeque<ReceivedPublish>,
    next_packet_id: u16,
    session_present: bool,
    closed: bool,
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observer")
            .field("client_id", &self.client_id)
            .field("queued", &self.received.len())
            .field("closed", &self.closed)
            .finish()
    }
}

impl Observer {
    /// Connects to `127.0.0.1:port` with a clean session; panics unless the CONNACK accepts.
    pub async fn connect(port: u16, client_id: &str) -> Self {
        Self::connect_with(port, ObserverOptions::new(client_id)).await
    }

    /// Connects with `options`; panics unless the broker answers with a CONNACK that accepts.
    pub async fn connect_with(port: u16, options: ObserverOptions) -> Self {
        let id = options.client_id.clone();
        let stream = match tokio::time::timeout(
            ACK_TIMEOUT,
            TcpStream::connect(SocketAddr::from((LOCALHOST, port))),
        )
        .await
        {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => panic!("observer {id}: connect to 127.0.0.1:{port}: {e}"),
            Err(_) => panic!("observer {id}: connect to 127.0.0.1:{port} timed out"),
        };
        let _ = stream.set_nodelay(true);
        let mut observer = Self {
            client_id: id,
            stream,
            rx: Vec::new(),
            received: VecDeque::new(),
            next_packet_id: 1,
            session_present: false,
            closed: false,
        };
        let will = options.will.as_ref().map(|w| Will {
            topic: TopicName::new(&w.topic).expect("valid will topic"),
            payload: &w.payload,
            qos: w.qos,
            retain: w.retain,
        });
        observer
            .send(&Packet::Connect(Connect {
                clean_session: options.clean_session,
                keep_alive: options.keep_alive,
                client_id: &options.client_id,
                will,
                username: None,
                password: None,
            }))
            .await;
        // The first packet from the server must be a CONNACK [MQTT-3.2.0-1].
        match observer.read_packet(ACK_TIMEOUT).await {
            Ok(Incoming::ConnAck {
                session_present,
                code: 0,
            }) => observer.session_present = session_present,
            other => panic!(
                "observer {}: expected an accepting CONNACK, got {other:?}",
                observer.client_id
            ),
        }
        observer
    }

    /// The client id it connected with.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The session present flag of the CONNACK.
    pub fn session_present(&self) -> bool {
        self.session_present
    }

    /// Whether the broker (or a proxy) has closed the connection, as far as seen so far.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Subscribes to one filter; returns the granted QoS, or `None` if the broker refused
    /// (SUBACK 0x80). Panics if no SUBACK arrives within [`ACK_TIMEOUT`].
    pub async fn subscribe(&mut self, filter: &str, qos: QoS) -> Option<QoS> {
        let packet_id = self.take_packet_id();
        let filters = [(TopicFilter::new(filter).expect("valid topic filter"), qos)];
        self.send(&Packet::Subscribe(Subscribe {
            packet_id,
            filters: SubscribeFilters::new(&filters),
        }))
        .await;
        // The SUBACK carries the SUBSCRIBE's packet id [MQTT-2.3.1-7] and one return code
        // per filter [MQTT-3.8.4-5].
        let codes = match self.next_non_publish(ACK_TIMEOUT, "SUBACK").await {
            Incoming::SubAck {
                packet_id: id,
                codes,
            } if id == packet_id.get() && codes.len() == 1 => codes,
            other => self.unexpected(&other, "SUBACK"),
        };
        match SubscribeReturnCode::from_u8(codes[0]) {
            Some(SubscribeReturnCode::Success(granted)) => Some(granted),
            Some(SubscribeReturnCode::Failure) => None,
            None => panic!(
                "observer {}: invalid SUBACK return code {:#04x}",
                self.client_id, codes[0]
            ),
        }
    }

    /// Publishes a message. For QoS 1 it waits for the PUBACK (at most [`ACK_TIMEOUT`], else
    /// panics) and returns the packet id that was acknowledged; for QoS 0 it returns `None`
    /// once the bytes are written. QoS 2 panics.
    pub async fn publish(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: QoS,
        retain: bool,
    ) -> Option<u16> {
        let packet_id = match qos {
            QoS::AtMostOnce => None,
            QoS::AtLeastOnce => Some(self.take_packet_id()),
            QoS::ExactlyOnce => panic!("observer {}: QoS 2 is not supported", self.client_id),
        };
        self.send(&Packet::Publish(Publish {
            dup: false,
            qos,
            retain,
            topic: TopicName::new(topic).expect("valid topic name"),
            packet_id,
            payload,
        }))
        .await;
        let packet_id = packet_id?;
        // The PUBACK carries the PUBLISH's packet id [MQTT-2.3.1-6].
        match self.next_non_publish(ACK_TIMEOUT, "PUBACK").await {
            Incoming::PubAck(id) if id == packet_id.get() => Some(id),
            other => self.unexpected(&other, "PUBACK"),
        }
    }

    /// The next PUBLISH received (queued ones first), or `None` if none arrives within
    /// `timeout` or the connection closes first (see [`is_closed`](Self::is_closed)).
    pub async fn recv_publish(&mut self, timeout: Duration) -> Option<ReceivedPublish> {
        if let Some(publish) = self.received.pop_front() {
            return Some(publish);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read_packet(left).await {
                Ok(Incoming::Publish(publish)) => return Some(publish),
                Ok(Incoming::PingResp) => {}
                Ok(other) => self.unexpected(&other, "PUBLISH"),
                Err(_) => return None,
            }
        }
    }

    /// The next PUBLISH, which must arrive within `timeout`.
    pub async fn expect_publish(&mut self, timeout: Duration) -> ReceivedPublish {
        match self.recv_publish(timeout).await {
            Some(publish) => publish,
            None if self.closed => panic!(
                "observer {}: connection closed while waiting for a PUBLISH",
                self.client_id
            ),
            None => panic!("observer {}: no PUBLISH within {timeout:?}", self.client_id),
        }
    }

    /// Panics if a PUBLISH is queued or arrives within `duration`.
    pub async fn expect_no_publish(&mut self, duration: Duration) {
        if let Some(publish) = self.recv_publish(duration).await {
            panic!(
                "observer {}: expected no PUBLISH for {duration:?}, got {publish:?}",
                self.client_id
            );
        }
    }

    /// Sends PINGREQ and waits for PINGRESP; `false` if none arrives within `timeout` (PUBLISH
    /// packets arriving meanwhile are queued).
    pub async fn ping_within(&mut self, timeout: Duration) -> bool {
        self.send(&Packet::PingReq).await;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read_packet(left).await {
                Ok(Incoming::PingResp) => return true,
                Ok(Incoming::Publish(publish)) => self.received.push_back(publish),
                Ok(other) => self.unexpected(&other, "PINGRESP"),
                Err(_) => return false,
            }
        }
    }

    /// A round trip through the broker: PINGREQ, then PINGRESP within [`ACK_TIMEOUT`].
    pub async fn ping(&mut self) {
        assert!(
            self.ping_within(ACK_TIMEOUT).await,
            "observer {}: no PINGRESP within {ACK_TIMEOUT:?}",
            self.client_id
        );
    }

    /// Waits until the peer closes the connection (PUBLISH packets arriving meanwhile are
    /// queued); panics if it is still open after `timeout`.
    pub async fn expect_closed(&mut self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.closed {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read_packet(left).await {
                Ok(Incoming::Publish(publish)) => self.received.push_back(publish),
                Ok(_) => {}
                Err(ReadError::Closed) => {}
                Err(ReadError::Timeout) => panic!(
                    "observer {}: connection still open after {timeout:?}",
                    self.client_id
                ),
            }
        }
    }

    /// Sends DISCONNECT, closes its side, and waits (at most 2 s) for the broker to close, so
    /// that the broker has processed the DISCONNECT when this returns.
    pub async fn disconnect(mut self) {
        if self.try_send(&Packet::Disconnect).await.is_err() {
            return;
        }
        let _ = self.stream.shutdown().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while !self.closed {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self.read_packet(left).await == Err(ReadError::Timeout) {
                break;
            }
        }
    }

    /// Closes the socket without DISCONNECT, as a crashed client or a lost link would: the
    /// broker must then publish the will [MQTT-3.1.2-8].
    pub fn drop_abruptly(self) {
        drop(self);
    }

    fn take_packet_id(&mut self) -> PacketId {
        let id = PacketId::new(self.next_packet_id).expect("packet ids start at 1");
        self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
        id
    }

    fn unexpected(&self, packet: &Incoming, waiting_for: &str) -> ! {
        panic!(
            "observer {}: unexpected {packet:?} while waiting for {waiting_for}",
            self.client_id
        )
    }

    /// Writes a packet; panics if the connection is closed or the write fails.
    async fn send(&mut self, packet: &Packet<'_>) {
        assert!(
            !self.closed,
            "observer {}: cannot send {:?}: the connection is closed",
            self.client_id,
            packet.packet_type()
        );
        if let Err(e) = self.try_send(packet).await {
            panic!(
                "observer {}: write {:?}: {e}",
                self.client_id,
                packet.packet_type()
            );
        }
    }

    /// Writes a packet; an error marks the connection closed.
    async fn try_send(&mut self, packet: &Packet<'_>) -> Result<(), String> {
        if self.closed {
            return Err("the connection is closed".into());
        }
        let len = packet.encoded_len().expect("encodable packet");
        let mut buf = vec![0u8; len];
        let written = packet.encode(&mut buf).expect("encode packet");
        assert_eq!(written, len);
        let result = match tokio::time::timeout(ACK_TIMEOUT, self.stream.write_all(&buf)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("timed out after {ACK_TIMEOUT:?}"),
        };
        self.closed = true;
        Err(result)
    }

    /// Reads packets until one that is not a PUBLISH; PUBLISH packets are queued.
    async fn next_non_publish(&mut self, timeout: Duration, waiting_for: &str) -> Incoming {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read_packet(left).await {
                Ok(Incoming::Publish(publish)) => self.received.push_back(publish),
                Ok(packet) => return packet,
                Err(e) => panic!(
                    "observer {}: {e:?} while waiting for {waiting_for}",
                    self.client_id
                ),
            }
        }
    }

    /// Reads one packet, acknowledging a QoS 1 PUBLISH at once.
    async fn read_packet(&mut self, timeout: Duration) -> Result<Incoming, ReadError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(packet) = self.decode_buffered() {
                if let Incoming::Publish(ReceivedPublish {
                    qos: QoS::AtLeastOnce,
                    packet_id: Some(id),
                    ..
                }) = &packet
                {
                    let packet_id = PacketId::new(*id).expect("decoder rejects packet id 0");
                    // The PUBLISH counts as received even if the broker is already gone.
                    let _ = self.try_send(&Packet::PubAck(PubAck { packet_id })).await;
                }
                return Ok(packet);
            }
            if self.closed {
                return Err(ReadError::Closed);
            }
            let mut chunk = [0u8; 8192];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return Err(ReadError::Timeout),
                Ok(Ok(0)) | Ok(Err(_)) => {
                    self.closed = true;
                    return Err(ReadError::Closed);
                }
                Ok(Ok(n)) => self.rx.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Takes one complete packet off the receive buffer, if there is one.
    fn decode_buffered(&mut self) -> Option<Incoming> {
        let (incoming, len) = match decode(&self.rx) {
            Ok(Decoded::Complete { packet, len }) => (owned(&packet), len),
            Ok(Decoded::Incomplete { .. }) => return None,
            Err(e) => panic!(
                "observer {}: the broker sent a malformed packet: {e:?} (bytes {:02x?})",
                self.client_id,
                &self.rx[..self.rx.len().min(64)]
            ),
        };
        self.rx.drain(..len);
        if let Incoming::Publish(ReceivedPublish {
            qos: QoS::ExactlyOnce,
            ..
        }) = incoming
        {
            panic!("observer {}: received a QoS 2 PUBLISH", self.client_id);
        }
        Some(incoming)
    }
}

fn owned(packet: &Packet<'_>) -> Incoming {
    match packet {
        Packet::ConnAck(ack) => Incoming::ConnAck {
            session_present: ack.session_present,
            code: ack.return_code as u8,
        },
        Packet::Publish(p) => Incoming::Publish(ReceivedPublish {
            topic: p.topic.as_str().to_owned(),
            payload: p.payload.to_vec(),
            qos: p.qos,
            retain: p.retain,
            dup: p.dup,
            packet_id: p.packet_id.map(PacketId::get),
        }),
        Packet::PubAck(ack) => Incoming::PubAck(ack.packet_id.get()),
        Packet::SubAck(ack) => Incoming::SubAck {
            packet_id: ack.packet_id.get(),
            codes: ack.return_codes.as_bytes().to_vec(),
        },
        Packet::PingResp => Incoming::PingResp,
        other => Incoming::Other(other.packet_type()),
    }
}

// ---------------------------------------------------------------------------------------------
// Proxy: a fault injector between a client and a broker
// ---------------------------------------------------------------------------------------------

/// What a [`Proxy`] does with the bytes of its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forward both directions.
    Forward,
    /// Read and discard both directions, keeping both sockets open: a link that died without
    /// either end noticing. Nothing is closed, so only keep alive can detect it.
    BlackHole,
}

#[derive(Debug, Clone)]
struct ProxyControl {
    mode: ProxyMode,
    /// Connections accepted under an older generation are closed.
    generation: u64,
    refusing: bool,
    shutdown: bool,
}

#[derive(Debug, Default)]
struct ProxyStats {
    accepted: AtomicUsize,
    /// Open connections per generation.
    open: Mutex<BTreeMap<u64, usize>>,
    to_broker: AtomicU64,
    to_client: AtomicU64,
    discarded: AtomicU64,
    listening: AtomicBool,
    /// A listener bound by `accept_connections` for the proxy thread to take over.
    rebound: Mutex<Option<StdTcpListener>>,
}

/// A TCP proxy on `127.0.0.1:<port()>` that forwards each connection to a broker, on its own
/// thread and tokio runtime (so it keeps working whatever the test's runtime does).
///
/// * [`cut`](Self::cut) closes every current connection, both sides (the client sees EOF, the
///   broker sees the client vanish without DISCONNECT); later connections are forwarded.
/// * [`black_hole`](Self::black_hole) keeps the sockets open but drops all bytes, both ways;
///   [`forward`](Self::forward) resumes forwarding (an MQTT stream that lost bytes is garbage,
///   so cut after a black hole).
/// * [`refuse_connections`](Self::refuse_connections) closes the listener, so connecting fails
///   with "connection refused" like a crashed broker; [`accept_connections`](Self::accept_connections)
///   listens again on the same port.
///
/// Mode changes apply to bytes read after the proxy thread sees the change (microseconds).
/// Drop stops the thread and closes every connection.
pub struct Proxy {
    port: u16,
    upstream: SocketAddr,
    control: watch::Sender<ProxyControl>,
    stats: Arc<ProxyStats>,
    thread: Option<JoinHandle<()>>,
}

/// How long the [`Proxy`] control calls wait for the proxy thread to carry them out.
const PROXY_CONTROL_LIMIT: Duration = Duration::from_secs(2);

impl Proxy {
    /// Starts forwarding `127.0.0.1:<new port>` to `127.0.0.1:upstream_port`.
    pub fn start(upstream_port: u16) -> Self {
        let listener = StdTcpListener::bind((LOCALHOST, 0)).expect("bind the proxy listener");
        let port = listener.local_addr().expect("proxy address").port();
        listener
            .set_nonblocking(true)
            .expect("make the proxy listener non-blocking");
        let upstream = SocketAddr::from((LOCALHOST, upstream_port));
        let (control, control_rx) = watch::channel(ProxyControl {
            mode: ProxyMode::Forward,
            generation: 0,
            refusing: false,
            shutdown: false,
        });
        let stats = Arc::new(ProxyStats::default());
        stats.listening.store(true, Ordering::SeqCst);
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name(format!("proxy-{port}-to-{upstream_port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build the proxy runtime");
                runtime.block_on(proxy_accept_loop(
                    listener,
                    upstream,
                    control_rx,
                    thread_stats,
                ));
                // Dropping the runtime cancels the connection tasks, closing their sockets.
            })
            .expect("spawn the proxy thread");
        Self {
            port,
            upstream,
            control,
            stats,
            thread: Some(thread),
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker address it forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// Closes every current connection on both sides, and returns once they are closed
    /// (panics after 2 s). New connections are accepted (unless refused) and forwarded.
    pub fn cut(&self) {
        let mut generation = 0;
        self.control.send_modify(|c| {
            c.generation += 1;
            generation = c.generation;
        });
        let start = Instant::now();
        while self.open_before(generation) > 0 {
            assert!(
                start.elapsed() < PROXY_CONTROL_LIMIT,
                "proxy {}: connections still open {PROXY_CONTROL_LIMIT:?} after cut()",
                self.port
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Drops all bytes in both directions from now on, keeping the sockets open.
    pub fn black_hole(&self) {
        self.control.send_modify(|c| c.mode = ProxyMode::BlackHole);
    }

    /// Forwards bytes again (the default).
    pub fn forward(&self) {
        self.control.send_modify(|c| c.mode = ProxyMode::Forward);
    }

    /// The current mode.
    pub fn mode(&self) -> ProxyMode {
        self.control.borrow().mode
    }

    /// Stops listening, so that new connections are refused; current ones are not touched
    /// (call [`cut`](Self::cut) too to simulate a crashed broker). Returns once the listener
    /// is closed (panics after 2 s).
    pub fn refuse_connections(&self) {
        self.control.send_modify(|c| c.refusing = true);
        let start = Instant::now();
        while self.stats.listening.load(Ordering::SeqCst) {
            assert!(
                start.elapsed() < PROXY_CONTROL_LIMIT,
                "proxy {}: still listening {PROXY_CONTROL_LIMIT:?} after refuse_connections()",
                self.port
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Listens again on the same port after [`refuse_connections`](Self::refuse_connections);
    /// returns once connections are accepted.
    pub fn accept_connections(&self) {
        if self.stats.listening.load(Ordering::SeqCst) && !self.control.borrow().refusing {
            return;
        }
        // Wait for the old listener to be gone before binding the port again.
        self.refuse_connections();
        let listener = StdTcpListener::bind((LOCALHOST, self.port))
            .unwrap_or_else(|e| panic!("proxy: bind 127.0.0.1:{} again: {e}", self.port));
        listener
            .set_nonblocking(true)
            .expect("make the proxy listener non-blocking");
        *self.stats.rebound.lock().unwrap() = Some(listener);
        self.control.send_modify(|c| c.refusing = false);
        let start = Instant::now();
        while !self.stats.listening.load(Ordering::SeqCst) {
            assert!(
                start.elapsed() < PROXY_CONTROL_LIMIT,
                "proxy {}: not listening {PROXY_CONTROL_LIMIT:?} after accept_connections()",
                self.port
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// How many client connections it has accepted so far.
    pub fn accepted(&self) -> usize {
        self.stats.accepted.load(Ordering::SeqCst)
    }

    /// How many connections are open now.
    pub fn open_connections(&self) -> usize {
        self.stats.open.lock().unwrap().values().sum()
    }

    /// Bytes forwarded client to broker, broker to client, and discarded in black-hole mode.
    pub fn bytes(&self) -> (u64, u64, u64) {
        (
            self.stats.to_broker.load(Ordering::SeqCst),
            self.stats.to_client.load(Ordering::SeqCst),
            self.stats.discarded.load(Ordering::SeqCst),
        )
    }

    /// Waits until it has accepted at least `count` connections; `false` after `limit`.
    pub async fn wait_accepted(&self, count: usize, limit: Duration) -> bool {
        let start = Instant::now();
        while self.accepted() < count {
            if start.elapsed() >= limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    fn open_before(&self, generation: u64) -> usize {
        self.stats
            .open
            .lock()
            .unwrap()
            .range(..generation)
            .map(|(_, n)| n)
            .sum()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.control.send_modify(|c| c.shutdown = true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn proxy_accept_loop(
    listener: StdTcpListener,
    upstream: SocketAddr,
    mut control: watch::Receiver<ProxyControl>,
    stats: Arc<ProxyStats>,
) {
    let mut listener = Some(TcpListener::from_std(listener).expect("register the proxy listener"));
    loop {
        let (refusing, shutdown, generation) = {
            let c = control.borrow_and_update();
            (c.refusing, c.shutdown, c.generation)
        };
        if shutdown {
            return;
        }
        if refusing {
            listener = None;
            stats.listening.store(false, Ordering::SeqCst);
        } else if let Some(rebound) = stats.rebound.lock().unwrap().take() {
            listener = Some(TcpListener::from_std(rebound).expect("register the proxy listener"));
            stats.listening.store(true, Ordering::SeqCst);
        }
        let Some(l) = &listener else {
            if control.changed().await.is_err() {
                return;
            }
            continue;
        };
        tokio::select! {
            changed = control.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            accepted = l.accept() => {
                let Ok((client, _)) = accepted else { continue };
                stats.accepted.fetch_add(1, Ordering::SeqCst);
                *stats.open.lock().unwrap().entry(generation).or_default() += 1;
                let guard = OpenGuard { stats: stats.clone(), generation };
                tokio::spawn(proxy_pipe(client, upstream, control.clone(), generation, guard));
            }
        }
    }
}

/// Counts a connection as open until dropped.
struct OpenGuard {
    stats: Arc<ProxyStats>,
    generation: u64,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        let mut open = self.stats.open.lock().unwrap();
        if let Some(n) = open.get_mut(&self.generation) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.generation);
            }
        }
    }
}

/// Whether the connection of `generation` must close now.
fn proxy_must_close(control: &ProxyControl, generation: u64) -> bool {
    control.shutdown || control.generation != generation
}

/// Resolves once the connection of `generation` must close (cut, shutdown or proxy dropped).
async fn proxy_close_requested(control: &mut watch::Receiver<ProxyControl>, generation: u64) {
    loop {
        if proxy_must_close(&control.borrow_and_update(), generation) {
            return;
        }
        if control.changed().await.is_err() {
            return;
        }
    }
}

/// Forwards one connection, then counts it closed once both its sockets are.
async fn proxy_pipe(
    client: TcpStream,
    upstream: SocketAddr,
    control: watch::Receiver<ProxyControl>,
    generation: u64,
    guard: OpenGuard,
) {
    let stats = guard.stats.clone();
    proxy_forward(client, upstream, control, generation, &stats).await;
    drop(guard);
}

async fn proxy_forward(
    client: TcpStream,
    upstream: SocketAddr,
    mut control: watch::Receiver<ProxyControl>,
    generation: u64,
    stats: &ProxyStats,
) {
    let broker = tokio::select! {
        () = proxy_close_requested(&mut control, generation) => return,
        connected = tokio::time::timeout(ACK_TIMEOUT, TcpStream::connect(upstream)) => {
            match connected {
                Ok(Ok(broker)) => broker,
                // The broker is down: close the client's connection.
                _ => return,
            }
        }
    };
    let _ = client.set_nodelay(true);
    let _ = broker.set_nodelay(true);
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut broker_rx, mut broker_tx) = broker.into_split();
    let mut from_client = vec![0u8; 16 * 1024];
    let mut from_broker = vec![0u8; 16 * 1024];
    loop {
        if proxy_must_close(&control.borrow_and_update(), generation) {
            break;
        }
        // Which way the bytes read go, if they are forwarded.
        let (bytes, to_broker) = tokio::select! {
            changed = control.changed() => {
                if changed.is_err() {
                    break;
                }
                continue;
            }
            read = client_rx.read(&mut from_client) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => (&from_client[..n], true),
            },
            read = broker_rx.read(&mut from_broker) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => (&from_broker[..n], false),
            },
        };
        let len = bytes.len() as u64;
        // The mode now, not when the wait began: `select!` may pick a read that became ready
        // together with a mode change, and bytes sent after `black_hole()` returned must be
        // dropped.
        if control.borrow().mode == ProxyMode::BlackHole {
            stats.discarded.fetch_add(len, Ordering::SeqCst);
            continue;
        }
        let (writer, counter) = if to_broker {
            (&mut broker_tx, &stats.to_broker)
        } else {
            (&mut client_tx, &stats.to_client)
        };
        // A peer that stops reading must not keep a cut from happening.
        let written = tokio::select! {
            () = proxy_close_requested(&mut control, generation) => break,
            written = writer.write_all(bytes) => written,
        };
        if written.is_err() {
            break;
        }
        counter.fetch_add(len, Ordering::SeqCst);
    }
    // Dropping the halves closes both sockets.
}
