//! The rotation scheduler's timer: every `[rotation] check_interval` it takes the objects changed
//! since the last check, looks at them again, and rotates what is due (keyward-core's
//! `rotation` decides; this only keeps time, holds the queue and the policies, and logs).
//!
//! Nothing here needs saving: the queue is rebuilt from the store at start (the objects with
//! Rotate Automatic from the index, those the policies select), due times come from the objects'
//! own dates, and a rotation is one commit that can happen only once. A server that was down
//! rotates what fell due meanwhile at its first check.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use keyward_core::rotation::{self, ChangeListener, Outcome, Rotation, RotationPolicy, Schedule};
use keyward_core::{AuditEvent, AuditOrigin, AuditSink, Dispatcher};
use keyward_store::{StoreError, StoredObject};
use keyward_ttlv::enums::ResultStatus;

use crate::config::rotation::RotationConfig;
use crate::shutdown::StopFlag;

/// The name of the scheduler's job for [`keyward_store::ObjectStore::lead`].
const ROTATION_JOB: &str = "rotation scheduler";

/// The identity the audit trail names for the rotations the scheduler makes.
pub const SCHEDULER_IDENTITY: &str = "keyward-rotation-scheduler";

/// How long a rotation that failed (a store error, an algorithm the policy no longer allows...)
/// waits before it is tried again, so that one bad object does not fill the log every second.
const RETRY_AFTER: i64 = 60;

/// Where a policy comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Configuration,
    Api,
}

impl Origin {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Origin::Configuration => "configuration",
            Origin::Api => "api",
        }
    }
}

/// Why a policy change was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PolicyChangeError {
    #[error("{0}")]
    Invalid(String),
    #[error("a policy with the id {0:?} exists; remove it first")]
    Exists(String),
    #[error("no policy has the id {0:?}")]
    NotFound(String),
    #[error("the policy {0:?} is in the configuration file; change it there")]
    FromConfiguration(String),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
}

/// The objects commits changed since the last check that may rotate, filled by the dispatcher.
/// Only those: an object with Rotate Automatic True or one a policy selects (judged on the
/// attributes in memory, against a copy of the policies, so that a request never waits for a
/// check in progress). Every other commit costs the dispatcher a look at its attributes.
#[derive(Default)]
pub(crate) struct Changed {
    uids: Mutex<HashSet<String>>,
    policies: RwLock<Arc<Vec<RotationPolicy>>>,
}

impl Changed {
    fn set_policies(&self, policies: Vec<RotationPolicy>) {
        *self.policies.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(policies);
    }

    fn take(&self) -> Vec<String> {
        self.uids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain().collect()
    }
}

impl ChangeListener for Changed {
    fn watches(&self, object: &StoredObject) -> bool {
        let policies = Arc::clone(&self.policies.read().unwrap_or_else(std::sync::PoisonError::into_inner));
        rotation::due::may_rotate(object, &policies)
    }

    fn changed(&self, unique_identifiers: Vec<String>) {
        self.uids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(unique_identifiers);
    }
}

struct State {
    policies: Vec<(RotationPolicy, Origin)>,
    /// `None` until the first check has read the store.
    schedule: Option<Schedule>,
    /// Objects whose rotation failed, and when to try again.
    retry_at: HashMap<String, i64>,
}

/// The scheduler, shared by the timer task and the management routes.
pub(crate) struct Rotator {
    dispatcher: Dispatcher,
    changed: Arc<Changed>,
    enabled: bool,
    check_interval: Duration,
    state: Mutex<State>,
}

/// One row of the schedule.
pub(crate) struct Scheduled {
    pub(crate) object: String,
    pub(crate) owner: String,
    pub(crate) due: i64,
    pub(crate) source: String,
}

impl Rotator {
    /// The change listener to give the dispatcher, before it is shared.
    pub(crate) fn listener() -> Arc<Changed> {
        Arc::new(Changed::default())
    }

    pub(crate) fn new(config: &RotationConfig, dispatcher: Dispatcher, changed: Arc<Changed>) -> Rotator {
        let policies = config.policy.iter().map(|p| (p.clone(), Origin::Configuration)).collect();
        Rotator {
            dispatcher,
            changed,
            enabled: config.enabled,
            check_interval: config.check_interval,
            state: Mutex::new(State { policies, schedule: None, retry_at: HashMap::new() }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now(&self) -> i64 {
        self.dispatcher.services().clock.now()
    }

    fn store(&self) -> &dyn keyward_store::ObjectStore {
        self.dispatcher.services().store.as_ref()
    }

    pub(crate) fn check_interval(&self) -> Duration {
        self.check_interval
    }

    /// Reads the policies kept in the store (once, at start). A record that no longer reads as a
    /// policy is logged and left alone.
    pub(crate) fn load_policies(&self) -> Result<(), StoreError> {
        let mut state = self.state();
        self.read_stored_policies(&mut state)
    }

    /// Replaces the policies of the management API in `state` by those the store holds.
    fn read_stored_policies(&self, state: &mut State) -> Result<(), StoreError> {
        let stored = self.store().settings(rotation::policy::SETTING_PREFIX)?;
        state.policies.retain(|(_, origin)| *origin != Origin::Api);
        for (key, value) in stored {
            match serde_json::from_slice::<RotationPolicy>(&value) {
                Ok(policy) if state.policies.iter().any(|(p, _)| p.id == policy.id) => {
                    tracing::warn!(id = %policy.id, "a stored rotation policy has the id of one in the configuration; the configuration's applies");
                }
                Ok(policy) => state.policies.push((policy, Origin::Api)),
                Err(error) => tracing::warn!(%key, %error, "a stored rotation policy cannot be read; ignored"),
            }
        }
        self.changed.set_policies(Rotator::policy_list(state));
        Ok(())
    }

    fn policy_list(state: &State) -> Vec<RotationPolicy> {
        state.policies.iter().map(|(p, _)| p.clone()).collect()
    }

    pub(crate) fn policies(&self) -> Vec<(RotationPolicy, Origin)> {
        self.state().policies.clone()
    }

    /// Adds a policy (kept in the store) and rebuilds the queue.
    pub(crate) fn add_policy(&self, policy: RotationPolicy) -> Result<(), PolicyChangeError> {
        policy.validate().map_err(|error| PolicyChangeError::Invalid(error.to_string()))?;
        let mut state = self.state();
        if state.policies.iter().any(|(p, _)| p.id == policy.id) {
            return Err(PolicyChangeError::Exists(policy.id));
        }
        let json = serde_json::to_vec(&policy).map_err(|error| PolicyChangeError::Invalid(error.to_string()))?;
        self.store().put_setting(&policy.setting_key(), Some(&json))?.wait()?;
        tracing::info!(id = %policy.id, "rotation policy added");
        state.policies.push((policy, Origin::Api));
        self.changed.set_policies(Rotator::policy_list(&state));
        state.schedule = None;
        Ok(())
    }

    /// Removes a policy added through the API, and rebuilds the queue.
    pub(crate) fn remove_policy(&self, id: &str) -> Result<(), PolicyChangeError> {
        let mut state = self.state();
        let position = state.policies.iter().position(|(p, _)| p.id == id);
        let Some(position) = position else {
            return Err(PolicyChangeError::NotFound(id.to_string()));
        };
        if state.policies[position].1 == Origin::Configuration {
            return Err(PolicyChangeError::FromConfiguration(id.to_string()));
        }
        let key = state.policies[position].0.setting_key();
        self.store().put_setting(&key, None)?.wait()?;
        tracing::info!(%id, "rotation policy removed");
        state.policies.remove(position);
        self.changed.set_policies(Rotator::policy_list(&state));
        state.schedule = None;
        Ok(())
    }

    /// The queue as it stands (built first if it is not), earliest first.
    pub(crate) fn schedule(&self) -> Result<Vec<Scheduled>, StoreError> {
        let mut state = self.state();
        let now = self.now();
        self.bring_up_to_date(&mut state, now)?;
        // Objects that stopped rotating (revoked, destroyed, out of their group) are noticed only
        // when due; looked at again here so that the listing shows none of them.
        let policies = Rotator::policy_list(&state);
        if let Some(schedule) = state.schedule.as_mut() {
            let listed: Vec<String> = schedule.entries().map(|e| e.unique_identifier.clone()).collect();
            for uid in listed {
                schedule.refresh(self.store(), &policies, &uid, now)?;
            }
        }
        let schedule = state.schedule.as_ref().map(|s| s.entries().collect::<Vec<_>>()).unwrap_or_default();
        Ok(schedule
            .into_iter()
            .map(|e| Scheduled {
                object: e.unique_identifier.clone(),
                owner: e.owner.clone(),
                due: e.due,
                source: e.source.to_string(),
            })
            .collect())
    }

    /// Builds the queue if needed and looks again at the objects changed since.
    fn bring_up_to_date(&self, state: &mut State, now: i64) -> Result<(), StoreError> {
        let policies = Rotator::policy_list(state);
        let changed = self.changed.take();
        match &mut state.schedule {
            None => {
                let schedule = Schedule::build(self.store(), &policies, now)?;
                tracing::info!(objects = schedule.len(), "rotation schedule built");
                state.schedule = Some(schedule);
            }
            Some(schedule) => {
                for uid in changed {
                    schedule.refresh(self.store(), &policies, &uid, now)?;
                }
            }
        }
        Ok(())
    }

    /// One check: rotates every object due now. Blocking (store reads, key generation, waiting
    /// for the commits to be durable): run off the async threads.
    pub(crate) fn check(&self) {
        // On a store several servers share, one of them rotates at a time (the others stand by
        // and take over when it stops: the store's lock of the job).
        match self.store().lead(ROTATION_JOB) {
            Ok(true) => {}
            Ok(false) => {
                tracing::trace!("another server runs the rotation scheduler");
                return;
            }
            Err(error) => {
                tracing::error!(%error, "cannot tell which server runs the rotation scheduler; not rotating now");
                return;
            }
        }
        let now = self.now();
        let mut state = self.state();
        // On a store other servers share, policies and objects change on the other nodes too,
        // unseen by this one's change listener: read both again at every check.
        if self.store().waits_on_network() {
            if let Err(error) = self.read_stored_policies(&mut state) {
                tracing::error!(%error, "the rotation policies cannot be read from the store");
                return;
            }
            state.schedule = None;
        }
        if let Err(error) = self.bring_up_to_date(&mut state, now) {
            tracing::error!(%error, "the rotation schedule cannot be read from the store");
            return;
        }
        let policies = Rotator::policy_list(&state);
        let due = state.schedule.as_ref().map(|s| s.due(now)).unwrap_or_default();
        for uid in due {
            if state.retry_at.get(&uid).is_some_and(|at| *at > now) {
                continue;
            }
            // A change the trail cannot record is not made (fail closed), as for a client's.
            if let Some(Err(error)) = self.dispatcher.audit().map(|audit| audit.writable()) {
                tracing::error!(object = %uid, %error, "rotation deferred: the audit trail cannot be written");
                state.retry_at.insert(uid.clone(), now + RETRY_AFTER);
                continue;
            }
            let outcome = rotation::rotate(self.dispatcher.services(), &uid, &policies, now);
            let mut touched = vec![uid.clone()];
            match outcome {
                Ok(Outcome::Rotated(rotation, ticket)) => match (ticket.order(), ticket.wait()) {
                    (order, Ok(())) => {
                        state.retry_at.remove(&uid);
                        touched.push(rotation.replacement.clone());
                        touched.extend(rotation.public_keys.iter().flat_map(|(old, new)| [old.clone(), new.clone()]));
                        completed(&rotation, order, self.dispatcher.audit());
                    }
                    (_, Err(error)) => {
                        tracing::error!(object = %uid, %error, "a rotation could not be made durable");
                        state.retry_at.insert(uid.clone(), now + RETRY_AFTER);
                    }
                },
                Ok(Outcome::NotDue) => {}
                Err(error) => {
                    tracing::warn!(object = %uid, %error, retry_in_seconds = RETRY_AFTER, "automatic rotation failed");
                    state.retry_at.insert(uid.clone(), now + RETRY_AFTER);
                }
            }
            if let Some(schedule) = state.schedule.as_mut() {
                for uid in touched {
                    if let Err(error) = schedule.refresh(self.store(), &policies, &uid, now) {
                        tracing::error!(object = %uid, %error, "the rotation schedule cannot be updated");
                    }
                }
            }
        }
    }

    /// Checks every `check_interval` until the server stops.
    pub(crate) async fn run(self: Arc<Self>, mut stop: StopFlag) {
        if !self.enabled {
            tracing::info!("automatic rotation is off ([rotation] enabled = false)");
            return;
        }
        let mut ticks = tokio::time::interval(self.check_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = stop.raised() => return,
            }
            let rotator = Arc::clone(&self);
            if let Err(error) = tokio::task::spawn_blocking(move || rotator.check()).await {
                tracing::error!(%error, "the rotation check failed");
            }
        }
    }
}

/// The one place a rotation is completed: its commit is durable. Logged, and recorded in the
/// audit trail as the Re-key, Re-key Key Pair or Re-certify it was, by the scheduler: the replaced objects as inputs,
/// the new ones as outputs.
fn completed(rotation: &Rotation, order: Option<u64>, audit: Option<&Arc<dyn AuditSink>>) {
    let (old_public, new_public) = match &rotation.public_keys {
        Some((old, new)) => (old.as_str(), new.as_str()),
        None => ("", ""),
    };
    tracing::info!(
        replaced = %rotation.replaced,
        replacement = %rotation.replacement,
        replaced_public_key = old_public,
        replacement_public_key = new_public,
        generation = rotation.generation,
        source = %rotation.source,
        owner = %rotation.owner,
        "key rotated"
    );
    let Some(audit) = audit else { return };
    let (mut inputs, mut outputs) = match &rotation.public_keys {
        Some((old, new)) => (vec![old.clone()], vec![new.clone()]),
        None => (Vec::new(), Vec::new()),
    };
    inputs.insert(0, rotation.replaced.clone());
    outputs.insert(0, rotation.replacement.clone());
    let event = AuditEvent {
        version: None,
        operation: Some(rotation.operation),
        action: None,
        batch_item_id: None,
        status: ResultStatus::Success,
        reason: None,
        inputs,
        outputs,
        outputs_omitted: 0,
        commit: order,
    };
    let origin =
        Arc::new(AuditOrigin { identity: SCHEDULER_IDENTITY.into(), transport: "rotation", ..AuditOrigin::default() });
    if let Err(error) = audit.record_blocking(&origin, vec![event], true) {
        tracing::error!(replaced = %rotation.replaced, %error, "the rotation is made but its audit record could not be written");
    }
}
