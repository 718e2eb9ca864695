//! SYS-1: the audit log is a hash chain. Each entry's hash covers its content and the previous
//! entry's hash, so an edited, inserted or removed row breaks every hash after it.

use sha2::{Digest, Sha256};

/// The hash the first entry chains from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an entry that the hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryContent<'a> {
    pub at_ms: i64,
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
    pub request_id: &'a str,
}

/// SHA-256 over the previous hash and every field, each length-prefixed so that moving bytes
/// from one field to its neighbour changes the hash.
pub fn entry_hash(prev_hash: &str, e: &EntryContent<'_>) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    let actor = e.actor_id.map(|a| a.to_string()).unwrap_or_default();
    field(prev_hash.as_bytes());
    field(e.at_ms.to_string().as_bytes());
    field(actor.as_bytes());
    field(e.actor_name.as_bytes());
    field(e.entity.as_bytes());
    field(e.entity_id.as_bytes());
    field(e.action.as_bytes());
    field(e.before_json.unwrap_or("\u{0}").as_bytes());
    field(e.after_json.unwrap_or("\u{0}").as_bytes());
    field(e.request_id.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EntryContent<'static> {
        EntryContent {
            at_ms: 1_764_000_000_000,
            actor_id: Some(1),
            actor_name: "admin",
            entity: "user",
            entity_id: "7",
            action: "create",
            before_json: None,
            after_json: Some(r#"{"username":"rep.east"}"#),
            request_id: "req-1",
        }
    }

    #[test]
    fn sys_1_hash_depends_on_every_field_and_the_chain() {
        let base = entry_hash(GENESIS_HASH, &sample());
        assert_eq!(base.len(), 64);
        assert_eq!(base, entry_hash(GENESIS_HASH, &sample()));
        assert_ne!(base, entry_hash(&base, &sample()));
        let mut changed = sample();
        changed.after_json = Some(r#"{"username":"rep.west"}"#);
        assert_ne!(base, entry_hash(GENESIS_HASH, &changed));
        let mut none_vs_empty = sample();
        none_vs_empty.before_json = Some("");
        assert_ne!(base, entry_hash(GENESIS_HASH, &none_vs_empty));
    }
}
