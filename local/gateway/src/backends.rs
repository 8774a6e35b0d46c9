//! DynamoDB Local and the moto S3 server as child processes.
//!
//! The children are spawned from a dedicated "keeper" thread that lives exactly
//! as long as the [`Backends`] value (or the process, for a value kept in a
//! static): `PR_SET_PDEATHSIG` fires when the *thread* that forked a child
//! ends, so forking from a short-lived test or blocking-pool thread would kill
//! the children early. Dropping `Backends` stops them (SIGTERM, then SIGKILL);
//! if this process dies first, the kernel sends them SIGKILL.

use crate::{paths, Error, Result};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{self, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a child may take to answer (the JVM is slow on a cold machine).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Default)]
pub struct BackendsConfig {
    /// 0 = pick a free port.
    pub ddb_port: u16,
    /// 0 = pick a free port.
    pub s3_port: u16,
    /// Persist DynamoDB data in `<data_dir>/ddb`; None = in memory. Logs go to `<data_dir>/logs`.
    pub data_dir: Option<PathBuf>,
}

pub struct Backends {
    pub ddb_endpoint: String,
    pub s3_endpoint: String,
    pub ddb_port: u16,
    pub s3_port: u16,
    /// Where the children's output goes (`dynamodb.log`, `moto.log`).
    pub log_dir: PathBuf,
    /// Time from `start` until both answered.
    pub startup: Duration,
    commands: Option<mpsc::Sender<Command>>,
    keeper: Option<JoinHandle<()>>,
}

/// One of the two children, for [`Backends::stop_child`] / [`Backends::start_child`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    DynamoDb,
    S3,
}

/// What the keeper thread is asked to do (the children are its own: see the module doc).
enum Command {
    /// Stop one child (SIGKILL when `kill`, else SIGTERM then SIGKILL) and wait for it.
    Stop(Child, bool, mpsc::Sender<Result<()>>),
    /// Start one child again on its port and wait until it answers.
    Start(Child, mpsc::Sender<Result<()>>),
    /// SIGSTOP (true) or SIGCONT (false): frozen, the child keeps its port and its state
    /// (moto keeps buckets and objects in memory only) but answers nothing.
    Pause(Child, bool, mpsc::Sender<Result<()>>),
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backends")
            .field("ddb_endpoint", &self.ddb_endpoint)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("log_dir", &self.log_dir)
            .finish()
    }
}

struct Started {
    ddb_port: u16,
    s3_port: u16,
    log_dir: PathBuf,
}

impl Backends {
    /// Start both servers and wait until they answer. Blocking (seconds: JVM
    /// start-up); from async code call it through `spawn_blocking`.
    pub fn start(cfg: BackendsConfig) -> Result<Backends> {
        let t0 = Instant::now();
        let (result_tx, result_rx) = mpsc::channel::<Result<Started>>();
        let (cmd_tx, cmd_rx) = mpsc::channel::<Command>();
        let keeper = std::thread::Builder::new()
            .name("local-backends".into())
            .spawn(move || keeper(cfg, result_tx, cmd_rx))
            .map_err(crate::ctx("cannot start the backends thread"))?;
        let started = match result_rx.recv() {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                let _ = keeper.join();
                return Err(e);
            }
            Err(_) => {
                let _ = keeper.join();
                return Err(Error::new("the backends thread died during start-up"));
            }
        };
        Ok(Backends {
            ddb_endpoint: format!("http://127.0.0.1:{}", started.ddb_port),
            s3_endpoint: format!("http://127.0.0.1:{}", started.s3_port),
            ddb_port: started.ddb_port,
            s3_port: started.s3_port,
            log_dir: started.log_dir,
            startup: t0.elapsed(),
            commands: Some(cmd_tx),
            keeper: Some(keeper),
        })
    }

    /// Stop one child (the fault run: DynamoDB Local "crashes" with `kill`, the S3 emulator
    /// stops). Its port stays reserved for [`Backends::start_child`]; clients see refused
    /// connections meanwhile. Blocking.
    pub fn stop_child(&self, which: Child, kill: bool) -> Result<()> {
        self.ask(|reply| Command::Stop(which, kill, reply))
    }

    /// Start a stopped child again on the same port (clients reconnect by themselves) and
    /// wait until it answers. DynamoDB Local keeps its data only when file-backed
    /// ([`BackendsConfig::data_dir`]); in memory it comes back empty. Blocking.
    pub fn start_child(&self, which: Child) -> Result<()> {
        self.ask(|reply| Command::Start(which, reply))
    }

    /// Freeze (`paused`) or thaw one child: connections are accepted by the kernel but never
    /// answered (the fault run's "S3 stopped for 30 s": moto loses its buckets when restarted).
    pub fn pause_child(&self, which: Child, paused: bool) -> Result<()> {
        self.ask(|reply| Command::Pause(which, paused, reply))
    }

    fn ask(&self, cmd: impl FnOnce(mpsc::Sender<Result<()>>) -> Command) -> Result<()> {
        let (tx, rx) = mpsc::channel();
        let commands = self.commands.as_ref().ok_or_else(|| Error::new("the backends are stopped"))?;
        commands.send(cmd(tx)).map_err(|_| Error::new("the backends thread is gone"))?;
        rx.recv().map_err(|_| Error::new("the backends thread is gone"))?
    }

    /// Stop both children and wait for them to exit.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // Dropping the sender ends the keeper's command loop.
        self.commands.take();
        if let Some(k) = self.keeper.take() {
            let _ = k.join();
        }
    }
}

impl Drop for Backends {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The keeper thread: spawn, report, serve commands until the channel closes, clean up.
fn keeper(cfg: BackendsConfig, result: mpsc::Sender<Result<Started>>, commands: mpsc::Receiver<Command>) {
    let (work_dir, temp) = match work_dir(cfg.data_dir.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            let _ = result.send(Err(e));
            return;
        }
    };
    let log_dir = work_dir.join("logs");
    let mut children: Vec<process::Child> = vec![];
    let launched = launch_all(&cfg, &work_dir, &log_dir, &mut children);
    let ports = launched.as_ref().ok().copied();
    let _ = result.send(launched.map(|(ddb_port, s3_port)| Started { ddb_port, s3_port, log_dir: log_dir.clone() }));
    if let Some((ddb_port, s3_port)) = ports {
        // Returns on stop() / drop (disconnected sender). A Backends kept in a static never
        // returns here: PDEATHSIG cleans up at exit.
        // launch_all pushed [ddb, moto]: slot = `Child as usize`.
        let mut it = std::mem::take(&mut children).into_iter();
        let mut slots: [Option<process::Child>; 2] = [it.next(), it.next()];
        while let Ok(cmd) = commands.recv() {
            let (reply, answer) = match cmd {
                Command::Stop(which, kill, reply) => {
                    let slot = which as usize;
                    if let Some(mut c) = slots[slot].take() {
                        if kill {
                            let _ = c.kill();
                            let _ = c.wait();
                        } else {
                            terminate(&mut c);
                        }
                    }
                    (reply, Ok(()))
                }
                Command::Start(which, reply) => {
                    let slot = which as usize;
                    let answer = if slots[slot].is_some() {
                        Ok(())
                    } else {
                        let (what, port, probe, log) = match which {
                            Child::DynamoDb => ("DynamoDB Local", ddb_port, "/", "dynamodb.log"),
                            Child::S3 => ("moto server", s3_port, "/moto-api/", "moto.log"),
                        };
                        let cmd = |p: u16| match which {
                            Child::DynamoDb => ddb_command(&cfg, &work_dir, p),
                            Child::S3 => moto_command(&work_dir, p),
                        };
                        Launch::spawn(what, port, &cmd, &log_dir.join(log), probe).and_then(|mut l| {
                            let r = l.wait_ready(&cmd);
                            slots[slot] = Some(l.child);
                            r.map(|_| ())
                        })
                    };
                    (reply, answer)
                }
                Command::Pause(which, paused, reply) => {
                    let answer = match &slots[which as usize] {
                        Some(c) => {
                            let sig = if paused { libc::SIGSTOP } else { libc::SIGCONT };
                            // SAFETY: plain kill(2) on our own, not yet reaped child.
                            match unsafe { libc::kill(c.id() as libc::pid_t, sig) } {
                                0 => Ok(()),
                                _ => Err(Error(format!("kill: {}", std::io::Error::last_os_error()))),
                            }
                        }
                        None => Err(Error::new("that child is stopped")),
                    };
                    (reply, answer)
                }
            };
            let _ = reply.send(answer);
        }
        children = slots.into_iter().flatten().collect();
    }
    for c in &mut children {
        terminate(c);
    }
    if temp {
        let _ = std::fs::remove_dir_all(&work_dir);
    }
}

/// The children's working directory: `<data_dir>` or a fresh temp dir (removed at stop).
fn work_dir(data_dir: Option<&Path>) -> Result<(PathBuf, bool)> {
    match data_dir {
        Some(d) => {
            std::fs::create_dir_all(d.join("ddb")).map_err(|e| Error(format!("cannot create {}: {e}", d.display())))?;
            Ok((d.to_path_buf(), false))
        }
        None => {
            let base = std::env::temp_dir().join("local-gateway");
            remove_stale_temp_dirs(&base);
            let dir = base.join(format!("{}-{}", std::process::id(), crate::apigw::api_id()));
            std::fs::create_dir_all(&dir).map_err(|e| Error(format!("cannot create {}: {e}", dir.display())))?;
            Ok((dir, true))
        }
    }
}

/// Temp dirs of test processes that are gone (a Backends in a static is never dropped).
fn remove_stale_temp_dirs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn launch_all(
    cfg: &BackendsConfig,
    work_dir: &Path,
    log_dir: &Path,
    children: &mut Vec<process::Child>,
) -> Result<(u16, u16)> {
    std::fs::create_dir_all(log_dir).map_err(|e| Error(format!("cannot create {}: {e}", log_dir.display())))?;
    let ddb_dir = paths::ddb_local_dir();
    let jar = ddb_dir.join("DynamoDBLocal.jar");
    if !jar.is_file() {
        return Err(Error(format!(
            "DynamoDB Local is not installed ({} is missing): run `make setup`, or set DDB_LOCAL_DIR",
            jar.display()
        )));
    }
    let moto = paths::moto_server();
    if !moto.is_file() {
        return Err(Error(format!(
            "the moto server is not installed ({} is missing): run `make setup`, or set MOTO_SERVER",
            moto.display()
        )));
    }
    let ddb = |port: u16| ddb_command(cfg, work_dir, port);
    let moto_cmd = |port: u16| moto_command(work_dir, port);
    // Spawn both first, then wait: the two start-ups overlap.
    let mut ddb_child = Launch::spawn("DynamoDB Local", cfg.ddb_port, &ddb, &log_dir.join("dynamodb.log"), "/")?;
    let mut moto_child =
        match Launch::spawn("moto server", cfg.s3_port, &moto_cmd, &log_dir.join("moto.log"), "/moto-api/") {
            Ok(c) => c,
            Err(e) => {
                terminate(&mut ddb_child.child);
                return Err(e);
            }
        };
    let r1 = ddb_child.wait_ready(&ddb);
    let r2 = moto_child.wait_ready(&moto_cmd);
    children.push(ddb_child.child);
    children.push(moto_child.child);
    let ddb_port = r1?;
    let s3_port = r2?;
    Ok((ddb_port, s3_port))
}

fn ddb_command(cfg: &BackendsConfig, work_dir: &Path, port: u16) -> process::Command {
    let ddb_dir = paths::ddb_local_dir();
    let mut c = process::Command::new(paths::java());
    c.arg(format!("-Djava.library.path={}", ddb_dir.join("DynamoDBLocal_lib").display()))
        .arg("-jar")
        .arg(ddb_dir.join("DynamoDBLocal.jar"))
        .arg("-port")
        .arg(port.to_string())
        .arg("-sharedDb")
        .arg("-disableTelemetry");
    match &cfg.data_dir {
        Some(d) => c.arg("-dbPath").arg(d.join("ddb")).current_dir(work_dir.join("ddb")),
        None => c.arg("-inMemory").current_dir(work_dir),
    };
    c
}

fn moto_command(work_dir: &Path, port: u16) -> process::Command {
    let mut c = process::Command::new(paths::moto_server());
    c.arg("-H").arg("127.0.0.1").arg("-p").arg(port.to_string()).current_dir(work_dir);
    c
}

/// One child being started; a child on an auto-picked port that dies early
/// (port taken in between) is restarted on another port.
struct Launch {
    what: &'static str,
    fixed_port: bool,
    port: u16,
    child: process::Child,
    log: PathBuf,
    probe_path: &'static str,
}

impl Launch {
    fn spawn(
        what: &'static str,
        port: u16,
        cmd: &dyn Fn(u16) -> process::Command,
        log: &Path,
        probe_path: &'static str,
    ) -> Result<Launch> {
        let fixed_port = port != 0;
        // Something else on a fixed port would answer the readiness probe in our child's place.
        if fixed_port && TcpListener::bind(("127.0.0.1", port)).is_err() {
            return Err(Error(format!(
                "cannot start {what}: port {port} is already in use (another local stack? set {})",
                if what.starts_with("DynamoDB") { "DDB_PORT" } else { "S3_PORT" }
            )));
        }
        let port = if fixed_port { port } else { free_port()? };
        let child = spawn_child(what, cmd(port), log)?;
        Ok(Launch { what, fixed_port, port, child, log: log.to_path_buf(), probe_path })
    }

    fn wait_ready(&mut self, cmd: &dyn Fn(u16) -> process::Command) -> Result<u16> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut restarts = 0;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                if !self.fixed_port && restarts < 3 {
                    restarts += 1;
                    self.port = free_port()?;
                    self.child = spawn_child(self.what, cmd(self.port), &self.log)?;
                    continue;
                }
                return Err(Error(format!(
                    "{} exited during start-up ({status}) on port {}; its log {}:\n{}",
                    self.what,
                    self.port,
                    self.log.display(),
                    log_tail(&self.log)
                )));
            }
            if answers_http(self.port, self.probe_path) {
                return Ok(self.port);
            }
            if Instant::now() > deadline {
                terminate(&mut self.child);
                return Err(Error(format!(
                    "{} did not answer on port {} within {}s; its log {}:\n{}",
                    self.what,
                    self.port,
                    READY_TIMEOUT.as_secs(),
                    self.log.display(),
                    log_tail(&self.log)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn spawn_child(what: &str, mut cmd: process::Command, log: &Path) -> Result<process::Child> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| Error(format!("cannot open {}: {e}", log.display())))?;
    let err = out.try_clone().map_err(crate::ctx("log file"))?;
    let parent = std::process::id() as libc::pid_t;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: only async-signal-safe calls (prctl, getppid, setpgid, _exit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            // Own process group: a terminal's Ctrl-C reaches only the parent,
            // which then stops the gateway before the backends.
            libc::setpgid(0, 0);
            Ok(())
        });
    }
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error(format!(
                "cannot start {what}: `{program}` not found: run `make setup` (DynamoDB Local needs a Java runtime)"
            ))
        } else {
            Error(format!("cannot start {what} (`{program}`): {e}"))
        }
    })
}

/// SIGTERM, up to 3 s grace, then SIGKILL; always reaped.
fn terminate(child: &mut process::Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A free TCP port on the loopback interface (free now; taken by whoever binds first).
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(crate::ctx("cannot pick a free port"))?;
    Ok(l.local_addr().map_err(crate::ctx("cannot pick a free port"))?.port())
}

/// Whether something on the port answers an HTTP request (any status).
fn answers_http(port: u16, path: &str) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(3)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    let mut n = 0;
    while n < 5 {
        match s.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    buf[..n].starts_with(b"HTTP/")
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
