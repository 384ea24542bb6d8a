//! Persistent collections (IP, GLOBAL, SESSION, USER, RESOURCE): variables that outlive a
//! transaction, opened with `initcol:ip=%{REMOTE_ADDR}` and written with `setvar:ip.x=...` and
//! `expirevar:ip.x=60`. They live in memory, per rule set and per nginx worker, until a reload;
//! records expire `SecCollectionTimeout` seconds after their last update, and the store holds at
//! most [`MAX_RECORDS`] of them (the least recently updated go first).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which collection a `setvar`, `initcol` or variable names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    Tx,
    Ip,
    Global,
    Session,
    User,
    Resource,
}

impl Collection {
    pub fn from_name(name: &str) -> Result<Collection, String> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "tx" => Collection::Tx,
            "ip" => Collection::Ip,
            "global" => Collection::Global,
            "session" => Collection::Session,
            "user" => Collection::User,
            "resource" => Collection::Resource,
            _ => return Err(format!("unknown collection \"{name}\"")),
        })
    }
}

pub const MAX_RECORDS: usize = 100_000;

/// One record: a collection opened under one key (`ip` for 192.0.2.1).
#[derive(Default)]
struct Record {
    vars: BTreeMap<String, (Vec<u8>, Option<Instant>)>,
    updated: Option<Instant>,
}

/// The in-memory store. nginx workers are single-threaded, so the lock is never contended; it
/// only makes the store shareable by the rule set.
#[derive(Default)]
pub struct Store {
    records: Mutex<HashMap<(Collection, Vec<u8>), Record>>,
    timeout: Duration,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    pub fn new(timeout: Duration) -> Store {
        Store {
            records: Mutex::default(),
            timeout,
        }
    }

    /// The live variables of a record, lower-case names.
    pub fn read(&self, collection: Collection, key: &[u8]) -> Vec<(String, Vec<u8>)> {
        let now = Instant::now();
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let Some(record) = records.get(&(collection, key.to_vec())) else {
            return Vec::new();
        };
        if record
            .updated
            .is_some_and(|u| now.duration_since(u) > self.timeout)
        {
            return Vec::new();
        }
        record
            .vars
            .iter()
            .filter(|(_, (_, expiry))| expiry.is_none_or(|e| e > now))
            .map(|(name, (value, _))| (name.clone(), value.clone()))
            .collect()
    }

    /// Sets (Some) or deletes (None) a variable.
    pub fn write(&self, collection: Collection, key: &[u8], name: &str, value: Option<Vec<u8>>) {
        self.update(collection, key, |record| match value {
            Some(value) => {
                record.vars.insert(name.to_string(), (value, None));
            }
            None => {
                record.vars.remove(name);
            }
        });
    }

    /// `expirevar`: the variable disappears `seconds` from now.
    pub fn expire(&self, collection: Collection, key: &[u8], name: &str, seconds: u64) {
        let at = Instant::now() + Duration::from_secs(seconds);
        self.update(collection, key, |record| {
            if let Some((_, expiry)) = record.vars.get_mut(name) {
                *expiry = Some(at);
            }
        });
    }

    fn update(&self, collection: Collection, key: &[u8], change: impl FnOnce(&mut Record)) {
        let now = Instant::now();
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if records.len() >= MAX_RECORDS && !records.contains_key(&(collection, key.to_vec())) {
            let timeout = self.timeout;
            records.retain(|_, r| r.updated.is_some_and(|u| now.duration_since(u) <= timeout));
            if records.len() >= MAX_RECORDS {
                if let Some(oldest) = records
                    .iter()
                    .min_by_key(|(_, r)| r.updated)
                    .map(|(k, _)| k.clone())
                {
                    records.remove(&oldest);
                }
            }
        }
        let record = records.entry((collection, key.to_vec())).or_default();
        if record
            .updated
            .is_some_and(|u| now.duration_since(u) > self.timeout)
        {
            record.vars.clear();
        }
        change(record);
        record.updated = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_values_and_expire_variables() {
        let store = Store::new(Duration::from_secs(3600));
        store.write(Collection::Ip, b"192.0.2.1", "hits", Some(b"3".to_vec()));
        store.write(Collection::Ip, b"192.0.2.1", "blocked", Some(b"1".to_vec()));
        assert_eq!(store.read(Collection::Ip, b"192.0.2.1").len(), 2);
        assert!(store.read(Collection::Ip, b"192.0.2.2").is_empty());
        assert!(store.read(Collection::Global, b"192.0.2.1").is_empty());
        store.expire(Collection::Ip, b"192.0.2.1", "blocked", 0);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            store.read(Collection::Ip, b"192.0.2.1"),
            vec![("hits".to_string(), b"3".to_vec())]
        );
        store.write(Collection::Ip, b"192.0.2.1", "hits", None);
        assert!(store.read(Collection::Ip, b"192.0.2.1").is_empty());

        let short = Store::new(Duration::from_millis(1));
        short.write(Collection::Ip, b"k", "x", Some(b"1".to_vec()));
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.read(Collection::Ip, b"k").is_empty());
    }
}
