//! Object groups (1.1–1.4 §3.33 Object Group, §3.34 Fresh, §4.9 Locate with Object Group Member):
//! fresh members handed out one at a time, the default member, the reserved "default" group, and
//! groups a client manages itself with the Object Group attribute.

mod support;

use keyward_ttlv::KmipVersion::{V1_1, V1_4};
use keyward_ttlv::{KmipVersion, Tag};
use support::*;

const OWNER: &str = "alice";

fn group_1x(group: &str) -> String {
    format!(
        r#"<Attribute><AttributeName type="TextString" value="Object Group"/><AttributeValue type="TextString" value="{group}"/></Attribute>"#
    )
}

/// An AES key, in the given groups.
fn create(server: &Server, version: KmipVersion, groups: &[&str]) -> String {
    let groups: String = groups.iter().map(|g| group_1x(g)).collect();
    let payload = format!(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="128"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Encrypt Decrypt"/></Attribute>
        {groups}</TemplateAttribute>"#
    );
    text(&server.ok(OWNER, version, &item("Create", &payload)), Tag::UniqueIdentifier).unwrap()
}

/// Locate with an Object Group Member (and a group when given); the identifiers found.
fn locate_member(
    server: &Server,
    version: KmipVersion,
    member: &str,
    group: Option<&str>,
    max: Option<i32>,
) -> Vec<String> {
    let max = max.map_or(String::new(), |m| format!(r#"<MaximumItems type="Integer" value="{m}"/>"#));
    let group = group.map_or(String::new(), group_1x);
    let payload = format!(r#"{max}<ObjectGroupMember type="Enumeration" value="{member}"/>{group}"#);
    texts(&server.ok(OWNER, version, &item("Locate", &payload)), Tag::UniqueIdentifier)
}

fn locate_group(server: &Server, group: &str) -> Vec<String> {
    texts(&server.ok(OWNER, V1_4, &item("Locate", &group_1x(group))), Tag::UniqueIdentifier)
}

fn fresh(server: &Server, uid: &str) -> bool {
    let payload = format!(r#"{}<AttributeName type="TextString" value="Fresh"/>"#, uid_xml(uid));
    let shown = show(&server.ok(OWNER, V1_4, &item("GetAttributes", &payload)));
    assert!(shown.contains("Fresh"), "{shown}");
    shown.contains(r#"value="true""#)
}

/// Each Locate for a fresh member of a group hands out a different one and makes it not fresh;
/// when none is left the answer is empty. Members of other groups are never handed out.
#[test]
fn fresh_members_are_handed_out_once() {
    let server = Server::new();
    let pool: Vec<String> = (0..3).map(|_| create(&server, V1_1, &["pool"])).collect();
    let outsider = create(&server, V1_1, &["elsewhere"]);
    let mut served = Vec::new();
    for _ in 0..3 {
        let found = locate_member(&server, V1_1, "GroupMemberFresh", Some("pool"), Some(1));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(pool.contains(&found[0]) && !served.contains(&found[0]), "{found:?} after {served:?}");
        assert!(!fresh(&server, &found[0]), "served, so no longer fresh");
        served.push(found[0].clone());
    }
    assert!(locate_member(&server, V1_1, "GroupMemberFresh", Some("pool"), Some(1)).is_empty());
    assert!(fresh(&server, &outsider));
    // The members are all still in the group, fresh or not.
    assert_eq!(locate_group(&server, "pool").len(), 3);
}

/// Without a group in the request, the reserved group "default" is meant: objects in it or in no
/// group. Group Member Default gives the newest member of the group.
#[test]
fn the_default_group_and_the_default_member() {
    let server = Server::new();
    let ungrouped = create(&server, V1_4, &[]);
    let grouped = create(&server, V1_4, &["other"]);
    let explicit = create(&server, V1_4, &["default"]);
    let found = locate_member(&server, V1_4, "GroupMemberFresh", None, None);
    assert!(found.contains(&ungrouped) && found.contains(&explicit) && !found.contains(&grouped), "{found:?}");
    assert!(!fresh(&server, &ungrouped) && !fresh(&server, &explicit) && fresh(&server, &grouped));

    server.advance(10);
    let older = create(&server, V1_4, &["rotating"]);
    server.advance(10);
    let newer = create(&server, V1_4, &["rotating"]);
    assert_eq!(locate_member(&server, V1_4, "GroupMemberDefault", Some("rotating"), None), [newer.as_str()]);
    assert!(!fresh(&server, &newer) && fresh(&server, &older));
    // The default member stays the default, fresh or not.
    assert_eq!(locate_member(&server, V1_4, "GroupMemberDefault", Some("rotating"), None), [newer.as_str()]);
}

/// A client moves objects between groups with Add, Modify and Delete Attribute on Object Group;
/// Fresh is the server's (1.4 §3.34: not modifiable by the client).
#[test]
fn clients_manage_groups_with_the_object_group_attribute() {
    let server = Server::new();
    let uid = create(&server, V1_4, &["first"]);
    server.ok(OWNER, V1_4, &item("AddAttribute", &format!("{}{}", uid_xml(&uid), group_1x("second"))));
    assert_eq!(locate_group(&server, "second"), [uid.as_str()]);
    assert_eq!(locate_group(&server, "first"), [uid.as_str()]);
    let modify = format!(
        r#"{}<Attribute><AttributeName type="TextString" value="Object Group"/><AttributeIndex type="Integer" value="0"/><AttributeValue type="TextString" value="third"/></Attribute>"#,
        uid_xml(&uid)
    );
    server.ok(OWNER, V1_4, &item("ModifyAttribute", &modify));
    assert!(locate_group(&server, "first").is_empty());
    assert_eq!(locate_group(&server, "third"), [uid.as_str()]);
    let delete = format!(
        r#"{}<AttributeName type="TextString" value="Object Group"/><AttributeIndex type="Integer" value="1"/>"#,
        uid_xml(&uid)
    );
    server.ok(OWNER, V1_4, &item("DeleteAttribute", &delete));
    assert!(locate_group(&server, "second").is_empty());
    let fresh_change = format!(
        r#"{}<Attribute><AttributeName type="TextString" value="Fresh"/><AttributeValue type="Boolean" value="false"/></Attribute>"#,
        uid_xml(&uid)
    );
    server.fails(OWNER, V1_4, &item("ModifyAttribute", &fresh_change));
}
