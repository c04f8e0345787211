//! Object groups in Locate (1.1–1.4 §4.9, 2.1 §6.1.28) with the Object Group Member field, and the
//! Fresh attribute (1.1–1.4 §3.34, 2.1 §4.24).
//!
//! A client manages groups itself with the Object Group attribute (1.4 §3.33: set by client or
//! server, modifiable and deletable by the client, any number of instances), which Locate matches
//! like any other attribute. Object Group Member asks for one kind of member of the group(s) the
//! request names; the rest is "server policy" in the specification's words, and is this:
//!
//! - The group: the Object Group values of the request; without any, the reserved group "default"
//!   (§3.33), which holds the objects whose Object Group is "default" and those in no group.
//! - Group Member Fresh: only fresh members match ("matching candidate objects SHALL be fresh
//!   objects ... from the object group"). No object is generated when none is left (the server
//!   MAY, §4.9): the answer is then empty.
//! - Group Member Default: the group's default object is its newest matching member.
//! - Either way the members returned have been served to the client: they stop being fresh
//!   (§3.34 "SHALL change the attribute value to False as soon as the object has been served to a
//!   client"), so that the next request for a fresh member gets another one.

use keyward_kmip::attributes::Attribute;
use keyward_kmip::enums::ObjectGroupMember;
use keyward_store::StoredObject;

use crate::attributes::{find, set};
use crate::context::Context;
use crate::error::OpResult;

/// The reserved name of the server's default group (1.4 §3.33).
pub const DEFAULT_GROUP: &str = "default";

/// Narrows Locate's matches (newest first) to the members the request asks for.
pub(crate) fn select(cx: &Context<'_>, member: ObjectGroupMember, filter: &[Attribute], matched: &mut Vec<String>) {
    let names_a_group = filter.iter().any(|a| matches!(a, Attribute::ObjectGroup(_)));
    // With a group named, the filter has already kept only its members.
    matched.retain(|uid| cx.read(uid).is_ok_and(|o| (names_a_group || in_default_group(&o)) && wanted(&o, member)));
    if member == ObjectGroupMember::GroupMemberDefault {
        matched.truncate(1);
    }
}

fn wanted(object: &StoredObject, member: ObjectGroupMember) -> bool {
    member != ObjectGroupMember::GroupMemberFresh || is_fresh(object)
}

fn in_default_group(object: &StoredObject) -> bool {
    let mut groups = object.attributes.iter().filter_map(|a| match &a.attribute {
        Attribute::ObjectGroup(group) => Some(group.as_str()),
        _ => None,
    });
    groups.clone().next().is_none() || groups.any(|g| g == DEFAULT_GROUP)
}

fn is_fresh(object: &StoredObject) -> bool {
    find(object, |a| if let Attribute::Fresh(f) = a { Some(*f) } else { None }) == Some(true)
}

/// The members handed to the client are no longer fresh.
pub(crate) fn serve(cx: &mut Context<'_>, uids: &[String]) -> OpResult<()> {
    for uid in uids {
        let object = cx.load(uid)?;
        if is_fresh(&object) {
            let mut served = object;
            set(&mut served, Attribute::Fresh(false));
            cx.update(served);
        }
    }
    Ok(())
}
