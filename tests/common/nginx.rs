//! The real nginx (`/usr/sbin/nginx`, or $NGINX_BINARY) in a temporary prefix with the module
//! loaded, `daemon off`, stopped by its own pid when dropped.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub fn nginx_binary() -> String {
    std::env::var("NGINX_BINARY").unwrap_or_else(|_| "/usr/sbin/nginx".to_string())
}

/// A fresh directory for one test's nginx prefix.
pub fn temp_prefix(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "secrules-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["conf", "logs", "html", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(dir.join("html/index.html"), "static ok\n").unwrap();
    dir
}

/// nginx.conf around `http_body`, with the module loaded and everything inside the prefix.
pub fn write_conf(prefix: &Path, http_body: &str) -> PathBuf {
    write_conf_with_main(prefix, "", http_body)
}

/// As [`write_conf`], with `main` added at the top level (`env`, ...).
pub fn write_conf_with_main(prefix: &Path, main: &str, http_body: &str) -> PathBuf {
    let conf = format!(
        r#"load_module {module};
{main}
worker_processes 1;
user root;
pid logs/nginx.pid;
error_log logs/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log logs/access.log;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
{http_body}
}}
"#,
        module = super::module_path().display(),
    );
    let path = prefix.join("conf/nginx.conf");
    std::fs::write(&path, conf).unwrap();
    path
}

/// `nginx -t` on the configuration: whether it passed, and what nginx printed.
pub fn test_config(prefix: &Path) -> (bool, String) {
    let output = Command::new(nginx_binary())
        .arg("-p")
        .arg(prefix)
        .args(["-c", "conf/nginx.conf", "-t"])
        .output()
        .expect("nginx runs");
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    (output.status.success(), text)
}

pub struct Nginx {
    pub prefix: PathBuf,
    child: Child,
}

impl Nginx {
    /// Starts nginx on the configuration already written in `prefix`, waiting until every port
    /// in `ports` accepts connections.
    pub fn start(prefix: &Path, ports: &[u16]) -> Nginx {
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(prefix)
            .args(["-c", "conf/nginx.conf", "-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Nginx {
            prefix: prefix.to_path_buf(),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        for &port in ports {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if let Ok(Some(status)) = nginx.child.try_wait() {
                    let mut stderr = String::new();
                    use std::io::Read;
                    let _ = nginx
                        .child
                        .stderr
                        .take()
                        .unwrap()
                        .read_to_string(&mut stderr);
                    panic!(
                        "nginx exited ({status}) before listening on {port}: {stderr}\n{}",
                        nginx.error_log()
                    );
                }
                assert!(
                    Instant::now() < deadline,
                    "nginx did not listen on {port} in time:\n{}",
                    nginx.error_log()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        nginx
    }

    /// Writes `http_body` into a fresh prefix and starts nginx on it.
    pub fn with_http(name: &str, http_body: &str, ports: &[u16]) -> Nginx {
        let prefix = temp_prefix(name);
        write_conf(&prefix, http_body);
        let (ok, output) = test_config(&prefix);
        assert!(ok, "nginx -t failed:\n{output}");
        Nginx::start(&prefix, ports)
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }

    /// Lines of the error log written by rule matches (ModSecurity's format).
    pub fn rule_log_lines(&self) -> Vec<String> {
        self.error_log()
            .lines()
            .filter(|l| l.contains("ModSecurity: "))
            .map(str::to_string)
            .collect()
    }

    /// Sends a signal (`reload`, `quit`) to the master, like `nginx -s`.
    pub fn signal(&self, signal: &str) -> (bool, String) {
        let output = Command::new(nginx_binary())
            .arg("-p")
            .arg(&self.prefix)
            .args(["-c", "conf/nginx.conf", "-s", signal])
            .output()
            .expect("nginx runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Sends SIGHUP to the master, as `systemctl reload` does (`nginx -s reload` refuses to send
    /// it when it cannot parse the configuration itself).
    pub fn hup(&self) {
        let status = Command::new("kill")
            .arg("-HUP")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The master's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the master process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-QUIT")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                if !std::thread::panicking() {
                    let _ = std::fs::remove_dir_all(&self.prefix);
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
