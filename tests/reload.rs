//! Reloads under load (issue 8, item 6): clients keep sending clean requests, attacks and probes
//! through nginx with CRS v4 PL1 while nginx is reloaded 20 times with changed rules; no request
//! may fail (connection refused or reset, no answer, 5xx, a wrong verdict). Then a reload with
//! broken rules is refused and the old rules keep serving, and the master's and the worker's
//! memory is flat over the last reloads.
//!
//! The clients open a connection per request (`Connection: close`): with keep-alive, a request
//! sent on an idle connection at the moment the old worker closes it is lost whatever the module
//! does (nginx closes idle keep-alive connections on a graceful shutdown; HTTP clients retry
//! such requests), so it would not test the module.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::crs::{children, raw_request, rss_kb, write_crs_v4_pl1};
use common::reflect_backend::ReflectBackend;
use common::{free_port, Nginx};

const RELOADS: usize = 20;

/// CRS v4 PL1 plus a probe rule answering `status` to `X-Probe: 1`, written to rules.conf.
fn write_rules(prefix: &std::path::Path, status: u16) {
    let crs = write_crs_v4_pl1(
        prefix,
        &format!(
            "SecRule REQUEST_HEADERS:X-Probe \"@streq 1\" \"id:10,phase:1,deny,status:{status},nolog\""
        ),
    );
    std::fs::copy(crs, prefix.join("conf/rules.conf")).unwrap();
}

fn request(kind: &str) -> Vec<u8> {
    let target = match kind {
        "attack" => "/search?q=1%27%20union%20select%20password%20from%20users--",
        _ => "/search?q=books&page=2",
    };
    let probe = if kind == "probe" {
        "X-Probe: 1\r\n"
    } else {
        ""
    };
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: reload-test\r\nAccept: */*\r\n{probe}Connection: close\r\n\r\n").into_bytes()
}

/// The master's and the worker's RSS in kB once the reload is complete: one worker, not the old.
fn wait_for_new_worker(nginx: &Nginx, old: &[u32]) -> (u64, u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = children(nginx.pid());
        if now.len() == 1 && !old.contains(&now[0]) {
            return (rss_kb(nginx.pid()), rss_kb(now[0]));
        }
        assert!(
            Instant::now() < deadline,
            "old worker {old:?} still there: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn twenty_reloads_under_load_lose_no_request_and_broken_rules_are_refused() {
    let backend = ReflectBackend::start();
    let port = free_port();
    let prefix = common::nginx::temp_prefix("reload-load");
    write_rules(&prefix, 418);
    common::nginx::write_conf(
        &prefix,
        &format!(
            "server {{ listen 127.0.0.1:{port} backlog=1024; secrules on; secrules_file rules.conf; \
             location / {{ proxy_pass http://127.0.0.1:{}; }} }}",
            backend.port
        ),
    );
    let nginx = Nginx::start(&prefix, &[port]);
    wait_for_new_worker(&nginx, &[]);

    // The load: 4 clients, each cycling clean, attack, probe.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (stop, sent, failures) = (stop.clone(), sent.clone(), failures.clone());
            std::thread::spawn(move || {
                let kinds = ["clean", "attack", "probe"];
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let kind = kinds[i % 3];
                    i += 1;
                    let response = raw_request(port, &request(kind));
                    let ok = match kind {
                        "clean" => response.status == 200,
                        "attack" => response.status == 403,
                        _ => matches!(response.status, 418 | 419),
                    };
                    if !ok {
                        failures.lock().unwrap().push(format!(
                            "{kind}: {} {:?}",
                            response.status,
                            response.text.lines().next()
                        ));
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let probe = || raw_request(port, &request("probe")).status;
    let mut memory = Vec::new();
    for reload in 1..=RELOADS {
        let status = if reload % 2 == 1 { 419 } else { 418 };
        write_rules(&prefix, status);
        let old = children(nginx.pid());
        let (ok, output) = nginx.signal("reload");
        assert!(ok, "reload {reload}: {output}");
        memory.push(wait_for_new_worker(&nginx, &old));
        assert_eq!(probe(), status, "reload {reload}: new rules not in force");
    }

    // Broken rules: `nginx -s reload` refuses, a SIGHUP makes the master log the error and keep
    // the running configuration, whose rules keep blocking.
    std::fs::write(
        prefix.join("conf/rules.conf"),
        "SecRule ARGS \"@rx a\" \"id:1,phase:1,deny,bogus_action\"\n",
    )
    .unwrap();
    let (ok, output) = nginx.signal("reload");
    assert!(!ok && output.contains("bogus_action"), "{output}");
    let workers_before = children(nginx.pid());
    nginx.hup();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !nginx.error_log().contains("[emerg]") {
        assert!(
            Instant::now() < deadline,
            "no emerg logged:\n{}",
            nginx.error_log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        children(nginx.pid()),
        workers_before,
        "the worker was replaced"
    );
    assert_eq!(probe(), 418, "the last good rules must still be in force");
    assert_eq!(raw_request(port, &request("attack")).status, 403);

    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    let sent = sent.load(Ordering::Relaxed);
    eprintln!("{sent} requests during {RELOADS} reloads; memory (master, worker) kB: {memory:?}");
    assert!(
        failures.is_empty(),
        "{} of {sent} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(20)]
    );
    assert!(sent >= 100, "only {sent} requests were sent");

    // Flat memory: CRS is loaded twice while a reload runs, so the first reloads raise the
    // master (glibc keeps the freed configuration's pages for reuse); the last ten must not.
    let (master_10, worker_10) = memory[9];
    let (master_20, worker_20) = memory[RELOADS - 1];
    assert!(
        master_20 <= master_10 + 8 * 1024 && worker_20 <= worker_10 + 8 * 1024,
        "memory grew from reload 10 to 20: master {master_10} -> {master_20} kB, worker {worker_10} -> {worker_20} kB"
    );
    assert!(nginx
        .error_log()
        .lines()
        .all(|l| !l.contains("exited on signal")));
}
