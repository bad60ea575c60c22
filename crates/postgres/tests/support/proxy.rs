//! A TCP proxy between a store and the test server that can lose a `COMMIT` or only its answer,
//! deterministically: what a backend killed mid-commit, or a network cut, does at random.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// The simple-protocol message the driver sends to commit: `Q`, its length (4 + 7), `COMMIT\0`.
const COMMIT: &[u8] = b"Q\0\0\0\x0bCOMMIT\0";

/// Where the next `COMMIT` is cut, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The connection is closed before the server gets the `COMMIT`: the transaction aborts.
    BeforeCommit,
    /// The server gets the `COMMIT` and commits; its answer is dropped and the connection is
    /// closed.
    AfterCommit,
}

#[derive(Debug, Default)]
struct Shared {
    armed: Mutex<Option<Cut>>,
    fired: AtomicBool,
}

/// A proxy listening on a port of its own, for as long as the test runs.
#[derive(Debug)]
pub struct Proxy {
    /// The connection string through the proxy.
    pub url: String,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Starts a proxy to the server of `super::url()` (which must be reached over TCP).
    pub fn start() -> Proxy {
        let config: postgres::Config = super::url().parse().expect("the test URL parses");
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(host)) => host.clone(),
            other => panic!("the proxy reaches the server over TCP only, not {other:?}"),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let listener = TcpListener::bind("127.0.0.1:0").expect("the proxy binds");
        let mut url = format!(
            "host=127.0.0.1 port={}",
            listener.local_addr().expect("the proxy has an address").port()
        );
        if let Some(user) = config.get_user() {
            url.push_str(&format!(" user='{user}'"));
        }
        if let Some(dbname) = config.get_dbname() {
            url.push_str(&format!(" dbname='{dbname}'"));
        }
        if let Some(password) = config.get_password() {
            let password =
                String::from_utf8_lossy(password).replace('\\', "\\\\").replace('\'', "\\'");
            url.push_str(&format!(" password='{password}'"));
        }
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect((host.as_str(), port)) else { continue };
                pump(client, server, Arc::clone(&accepting));
            }
        });
        Proxy { url, shared }
    }

    /// Cuts the next `COMMIT` sent through the proxy, on any connection.
    pub fn arm(&self, cut: Cut) {
        self.shared.fired.store(false, Ordering::SeqCst);
        *self.shared.armed.lock().expect("no pump panicked") = Some(cut);
    }

    /// Whether the cut armed last has happened.
    pub fn fired(&self) -> bool {
        self.shared.fired.load(Ordering::SeqCst)
    }
}

/// Copies bytes both ways between `client` and `server`, cutting a `COMMIT` when armed.
fn pump(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let swallow = Arc::new(AtomicBool::new(false));
    let (mut from_client, mut to_server) = (clone(&client), clone(&server));
    let (mut from_server, mut to_client) = (server, client);
    let swallowing = Arc::clone(&swallow);
    thread::spawn(move || {
        let mut buffer = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = from_client.read(&mut buffer) {
            let chunk = &buffer[..n];
            let at = chunk.windows(COMMIT.len()).position(|w| w == COMMIT);
            let cut = at.and_then(|_| shared.armed.lock().expect("no pump panicked").take());
            match cut {
                Some(Cut::BeforeCommit) => {
                    let _ = to_server.write_all(&chunk[..at.unwrap_or(0)]);
                    shared.fired.store(true, Ordering::SeqCst);
                    break;
                }
                Some(Cut::AfterCommit) => {
                    // Set before the server can answer: the answer is the next thing it sends
                    // (the driver waits for every earlier answer before it commits).
                    swallowing.store(true, Ordering::SeqCst);
                    if to_server.write_all(chunk).is_err() {
                        break;
                    }
                    shared.fired.store(true, Ordering::SeqCst);
                }
                None => {
                    if to_server.write_all(chunk).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to_server.shutdown(Shutdown::Both);
        let _ = from_client.shutdown(Shutdown::Both);
    });
    thread::spawn(move || {
        let mut buffer = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = from_server.read(&mut buffer) {
            if swallow.load(Ordering::SeqCst) {
                // The answer to the `COMMIT`, dropped; the connection ends here.
                break;
            }
            if to_client.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to_client.shutdown(Shutdown::Both);
        let _ = from_server.shutdown(Shutdown::Both);
    });
}

fn clone(stream: &TcpStream) -> TcpStream {
    stream.try_clone().expect("a socket can be shared by two threads")
}
