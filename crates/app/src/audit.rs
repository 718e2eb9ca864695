//! SYS-1: every write appends an entry (actor, time, entity, id, action, before/after,
//! request id) in the same transaction as the write; entries form a hash chain.

use medcrm_domain::audit::{EntryContent, GENESIS_HASH, entry_hash};
use medcrm_store::audit as store;
pub use medcrm_store::audit::{AuditRecord, Filter};
use medcrm_store::{Page, Tx};
use serde::Serialize;

use crate::policy::{self, Action};
use crate::{App, Ctx, Error, Result, now_ms};

/// Appends one entry inside the caller's transaction.
pub async fn record(
    tx: &mut Tx,
    ctx: &Ctx,
    entity: &str,
    entity_id: impl ToString,
    action: &str,
    before: Option<&dyn ErasedJson>,
    after: Option<&dyn ErasedJson>,
) -> Result<()> {
    store::lock_chain(tx).await?;
    let prev_hash = store::last_hash(tx)
        .await?
        .unwrap_or_else(|| GENESIS_HASH.to_owned());
    let before_json = before.map(|b| b.to_json()).transpose()?;
    let after_json = after.map(|a| a.to_json()).transpose()?;
    let entity_id = entity_id.to_string();
    let at_ms = now_ms();
    let content = EntryContent {
        at_ms,
        // User ids start at 1; 0 is the system actor (init, demo data, jobs).
        actor_id: (ctx.actor.user_id > 0).then_some(ctx.actor.user_id),
        actor_name: &ctx.actor.username,
        entity,
        entity_id: &entity_id,
        action,
        before_json: before_json.as_deref(),
        after_json: after_json.as_deref(),
        request_id: &ctx.request_id,
    };
    let hash = entry_hash(&prev_hash, &content);
    store::append(
        tx,
        &AuditRecord {
            id: 0,
            at_ms,
            actor_id: content.actor_id,
            actor_name: ctx.actor.username.clone(),
            entity: entity.to_owned(),
            entity_id,
            action: action.to_owned(),
            before_json,
            after_json,
            request_id: ctx.request_id.clone(),
            prev_hash,
            hash,
        },
    )
    .await?;
    Ok(())
}

/// Anything serialisable, as a trait object so `record` takes "no value" without a type.
pub trait ErasedJson: Sync {
    fn to_json(&self) -> Result<String>;
}

impl<T: Serialize + Sync> ErasedJson for T {
    fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Internal(format!("audit json: {e}")))
    }
}

/// Outcome of `medcrm audit verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact {
        entries: u64,
    },
    /// The first entry whose stored hashes do not match the chain.
    Broken {
        entry_id: i64,
        reason: String,
    },
}

const VERIFY_BATCH: i64 = 1_000;

impl App {
    pub async fn audit_entries(
        &self,
        ctx: &Ctx,
        filter: &store::Filter,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<AuditRecord>> {
        policy::require(&ctx.actor, Action::ReadAudit)?;
        let mut tx = self.db.read().await?;
        Ok(store::list(&mut tx, filter, cursor, limit).await?)
    }

    /// Recomputes every hash in order and names the first entry that does not match.
    pub async fn verify_audit_chain(&self) -> Result<Verification> {
        let mut tx = self.db.read().await?;
        let mut prev = GENESIS_HASH.to_owned();
        let mut after_id = 0;
        let mut entries = 0u64;
        loop {
            let batch = store::chain_batch(&mut tx, after_id, VERIFY_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after_id = last.id;
            for e in &batch {
                if let Some(reason) = check_entry(&prev, e) {
                    return Ok(Verification::Broken {
                        entry_id: e.id,
                        reason,
                    });
                }
                prev.clone_from(&e.hash);
                entries += 1;
            }
        }
        Ok(Verification::Intact { entries })
    }
}

fn check_entry(prev: &str, e: &AuditRecord) -> Option<String> {
    if e.prev_hash != prev {
        return Some("its previous-hash does not match the entry before it".into());
    }
    let content = EntryContent {
        at_ms: e.at_ms,
        actor_id: e.actor_id,
        actor_name: &e.actor_name,
        entity: &e.entity,
        entity_id: &e.entity_id,
        action: &e.action,
        before_json: e.before_json.as_deref(),
        after_json: e.after_json.as_deref(),
        request_id: &e.request_id,
    };
    (entry_hash(prev, &content) != e.hash).then(|| "its content does not match its hash".into())
}
