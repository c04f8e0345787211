//! The operation sequences of real clients (../shared/interop-notes.md), replayed against the
//! dispatcher in their own KMIP versions.

mod support;

use keyward_ttlv::KmipVersion::{V1_0, V1_1, V1_2, V1_4, V2_1};
use keyward_ttlv::Tag;
use support::*;

fn custom(name: &str, value_type: &str, value: &str) -> String {
    format!(
        r#"<Attribute><AttributeName type="TextString" value="{name}"/><AttributeValue type="{value_type}" value="{value}"/></Attribute>"#
    )
}

fn add_attribute(uid: &str, attribute: &str, batch_id: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="AddAttribute"/><UniqueBatchItemID type="ByteString" value="{batch_id}"/>
        <RequestPayload><UniqueIdentifier type="TextString" value="{uid}"/>{attribute}</RequestPayload></BatchItem>"#
    )
}

/// vCenter (KMIP 1.1): Discover Versions with an empty payload, Query Server Information, Create,
/// Get Attributes of a custom attribute the key does not have yet, a batch of three Add Attribute
/// with 8-byte Unique Batch Item IDs and no Batch Order Option, Get.
#[test]
fn vmware_vcenter() {
    let server = Server::new();
    server.ok(
        "vcenter",
        V1_1,
        r#"<BatchItem><Operation type="Enumeration" value="DiscoverVersions"/><RequestPayload/></BatchItem>"#,
    );
    let info = server.ok(
        "vcenter",
        V1_1,
        r#"<BatchItem><Operation type="Enumeration" value="Query"/><RequestPayload>
        <QueryFunction type="Enumeration" value="QueryServerInformation"/></RequestPayload></BatchItem>"#,
    );
    assert_eq!(text(&info, Tag::VendorIdentification).as_deref(), Some("Keyward"));
    let create = r#"<BatchItem><Operation type="Enumeration" value="Create"/><RequestPayload>
        <ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="12"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="256"/></Attribute>
        </TemplateAttribute></RequestPayload></BatchItem>"#;
    let uid = text(&server.ok("vcenter", V1_1, create), Tag::UniqueIdentifier).unwrap();
    let ask = format!(
        r#"<BatchItem><Operation type="Enumeration" value="GetAttributes"/><RequestPayload>
        <UniqueIdentifier type="TextString" value="{uid}"/><AttributeName type="TextString" value="x-Product_Version"/></RequestPayload></BatchItem>"#
    );
    let absent = server.ok("vcenter", V1_1, &ask);
    assert!(texts(&absent, Tag::AttributeName).is_empty());
    let batch = [
        add_attribute(&uid, &custom("x-Product_Version", "TextString", "7.0.3"), "0000000000000001"),
        add_attribute(&uid, &custom("x-Vendor", "TextString", "VMware, Inc."), "0000000000000002"),
        add_attribute(&uid, &custom("x-Product", "TextString", "VMware vSphere"), "0000000000000003"),
    ];
    let response = server.send("vcenter", V1_1, "", &batch.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(batch_items(&response).iter().all(|b| status(b) == "Success"), "{}", show(&response));
    let present = server.ok("vcenter", V1_1, &ask);
    assert!(show(&present).contains("7.0.3"));
    let key = server.ok("vcenter", V1_1, &on("Get", Some(&uid)));
    assert!(show(&key).contains("KeyMaterial"));
}

/// Synology DSM (KMIP 1.2): registers a password as Secret Data with Operation Policy Name
/// "default", renames it with Modify Attribute (whose 1.x response must echo the attribute), and
/// reads everything back, Operation Policy Name included. One connection per operation changes
/// nothing here: each request stands alone.
#[test]
fn synology_dsm() {
    let server = Server::new();
    let locate = |name: &str| {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="Locate"/><RequestPayload>
            <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="{name}"/>
            <NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute></RequestPayload></BatchItem>"#
        )
    };
    assert!(texts(&server.ok("dsm", V1_2, &locate("dsm-volume-1")), Tag::UniqueIdentifier).is_empty());
    let register = r#"<BatchItem><Operation type="Enumeration" value="Register"/><RequestPayload>
        <ObjectType type="Enumeration" value="SecretData"/><TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/><AttributeValue type="Integer" value="Verify"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Operation Policy Name"/><AttributeValue type="TextString" value="default"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="tmp-name"/>
        <NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>
        </TemplateAttribute>
        <SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/>
        <KeyValue><KeyMaterial type="ByteString" value="70617373776f7264"/></KeyValue></KeyBlock></SecretData>
        </RequestPayload></BatchItem>"#;
    let uid = text(&server.ok("dsm", V1_2, register), Tag::UniqueIdentifier).unwrap();
    let rename = format!(
        r#"<BatchItem><Operation type="Enumeration" value="ModifyAttribute"/><RequestPayload>
        <UniqueIdentifier type="TextString" value="{uid}"/><Attribute><AttributeName type="TextString" value="Name"/>
        <AttributeIndex type="Integer" value="0"/><AttributeValue><NameValue type="TextString" value="dsm-volume-1"/>
        <NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute></RequestPayload></BatchItem>"#
    );
    let echoed = server.ok("dsm", V1_2, &rename);
    assert!(show(&echoed).contains("dsm-volume-1"), "1.x Modify Attribute must echo the attribute: {}", show(&echoed));
    assert_eq!(texts(&server.ok("dsm", V1_2, &locate("dsm-volume-1")), Tag::UniqueIdentifier), vec![uid.clone()]);
    server.ok("dsm", V1_2, &on("Activate", Some(&uid)));
    let list = server.ok("dsm", V1_2, &on("GetAttributeList", Some(&uid)));
    assert!(texts(&list, Tag::AttributeName).contains(&"Operation Policy Name".to_string()));
    let attributes = server.ok("dsm", V1_2, &on("GetAttributes", Some(&uid)));
    assert!(show(&attributes).contains("default"), "Operation Policy Name must come back");
    assert!(show(&server.ok("dsm", V1_2, &on("Get", Some(&uid)))).contains("70617373776f7264"));
    server.ok("dsm", V1_2, &revoke(&uid, "CessationOfOperation"));
    server.ok("dsm", V1_2, &on("Destroy", Some(&uid)));
}

/// A KMIP 1.0 storage array batches Query, Locate by two custom attributes (one an Integer), Get
/// of the opaque object found and Get Attributes, relying on the ID Placeholder (PyKMIP #459).
#[test]
fn storage_array_batch_with_integer_custom_attributes() {
    let server = Server::new();
    let register = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Register"/><RequestPayload>
        <ObjectType type="Enumeration" value="OpaqueObject"/><TemplateAttribute>{}{}</TemplateAttribute>
        <OpaqueObject><OpaqueDataType type="Enumeration" value="0x80000001"/><OpaqueDataValue type="ByteString" value="c0ffee"/></OpaqueObject>
        </RequestPayload></BatchItem>"#,
        custom("x-ResourceID", "Integer", "42"),
        custom("x-SystemID", "TextString", "array-7")
    );
    let uid = text(&server.ok("array", V1_0, &register), Tag::UniqueIdentifier).unwrap();
    let query = r#"<BatchItem><Operation type="Enumeration" value="Query"/><RequestPayload>
        <QueryFunction type="Enumeration" value="QueryOperations"/></RequestPayload></BatchItem>"#;
    let locate = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Locate"/><RequestPayload>{}{}</RequestPayload></BatchItem>"#,
        custom("x-ResourceID", "Integer", "42"),
        custom("x-SystemID", "TextString", "array-7")
    );
    let response = server.send("array", V1_0, "", &[query, &locate, &on("Get", None), &on("GetAttributes", None)]);
    assert!(batch_items(&response).iter().all(|b| status(b) == "Success"), "{}", show(&response));
    assert!(show(&response).contains("c0ffee"));
    assert_eq!(text(batch_items(&response)[3], Tag::UniqueIdentifier), Some(uid));
}

/// NetApp ONTAP sends a dozen and more `x-NETAPP-*` attributes of several types.
#[test]
fn netapp_many_custom_attributes() {
    let server = Server::new();
    let mut attributes = String::new();
    for i in 0..16 {
        attributes += &match i % 3 {
            0 => custom(&format!("x-NETAPP-text-{i}"), "TextString", "value"),
            1 => custom(&format!("x-NETAPP-int-{i}"), "Integer", "7"),
            _ => custom(&format!("x-NETAPP-date-{i}"), "DateTime", "2024-01-01T00:00:00+00:00"),
        };
    }
    let create = format!(
        r#"<BatchItem><Operation type="Enumeration" value="Create"/><RequestPayload>
        <ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="256"/></Attribute>
        {attributes}</TemplateAttribute></RequestPayload></BatchItem>"#
    );
    let uid = text(&server.ok("ontap", V1_2, &create), Tag::UniqueIdentifier).unwrap();
    let names = texts(&server.ok("ontap", V1_2, &on("GetAttributeList", Some(&uid))), Tag::AttributeName);
    assert_eq!(names.iter().filter(|n| n.starts_with("x-NETAPP-")).count(), 16);
}

fn locate_in_template(name: &str) -> String {
    format!(
        r#"<BatchItem><Operation type="Enumeration" value="Locate"/><RequestPayload><TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="{name}"/>
        <NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>
        </TemplateAttribute></RequestPayload></BatchItem>"#
    )
}

/// FortiGate (KMIP 1.0) locates by a Name it puts inside a Template-Attribute, then Gets,
/// Activates and Destroys; names must match exactly, never the first object found (Cosmian #824).
#[test]
fn fortigate_locate_by_name_in_a_template_attribute() {
    let server = Server::new();
    let first = text(&server.ok("fortigate", V1_0, &create_aes_1x("fgt-1")), Tag::UniqueIdentifier).unwrap();
    let second = text(&server.ok("fortigate", V1_0, &create_aes_1x("fgt-2")), Tag::UniqueIdentifier).unwrap();
    assert_eq!(texts(&server.ok("fortigate", V1_0, &locate_in_template("fgt-1")), Tag::UniqueIdentifier), vec![first]);
    assert_eq!(
        texts(&server.ok("fortigate", V1_0, &locate_in_template("fgt-2")), Tag::UniqueIdentifier),
        vec![second.clone()]
    );
    let response =
        server.send("fortigate", V1_0, "", &[&locate_in_template("fgt-2"), &on("Get", None), &on("Activate", None)]);
    assert!(batch_items(&response).iter().all(|b| status(b) == "Success"), "{}", show(&response));
    server.ok("fortigate", V1_0, &revoke(&second, "CessationOfOperation"));
    server.ok("fortigate", V1_0, &on("Destroy", Some(&second)));
}

/// VAST (KMIP 1.4) adds Name, Object Group and Operation Policy Name to a new key one by one.
#[test]
fn vast_adds_operation_policy_name() {
    let server = Server::new();
    let create = r#"<BatchItem><Operation type="Enumeration" value="Create"/><RequestPayload>
        <ObjectType type="Enumeration" value="SymmetricKey"/><TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>
        <Attribute><AttributeName type="TextString" value="Cryptographic Length"/><AttributeValue type="Integer" value="256"/></Attribute>
        </TemplateAttribute></RequestPayload></BatchItem>"#;
    let uid = text(&server.ok("vast", V1_4, create), Tag::UniqueIdentifier).unwrap();
    let name = r#"<Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="vast-key"/>
        <NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute>"#;
    for attribute in [
        name.to_string(),
        custom("Object Group", "TextString", "vast"),
        custom("Operation Policy Name", "TextString", "default"),
    ] {
        server.ok("vast", V1_4, &add_attribute(&uid, &attribute, "01"));
    }
    let all = show(&server.ok("vast", V1_4, &on("GetAttributes", Some(&uid))));
    assert!(all.contains("vast-key") && all.contains(r#"value="vast""#) && all.contains("default"), "{all}");
    // A 2.x client sees the 1.x-only attribute as a vendor attribute of vendor "x".
    let v2 = show(&server.ok("vast", V2_1, &on("GetAttributes", Some(&uid))));
    assert!(v2.contains("Operation Policy Name") && v2.contains("VendorIdentification"), "{v2}");
}

/// KMIP 1.x Templates: registered under a Name, then named in a Template-Attribute; their attributes
/// apply to the new object (SASED-M-1 and -2).
#[test]
fn a_registered_template_gives_its_attributes() {
    let server = Server::new();
    let template = r#"<BatchItem><Operation type="Enumeration" value="Register"/><RequestPayload>
        <ObjectType type="Enumeration" value="Template"/><TemplateAttribute>
        <Attribute><AttributeName type="TextString" value="Name"/><AttributeValue><NameValue type="TextString" value="tpl"/>
        <NameType type="Enumeration" value="UninterpretedTextString"/></AttributeValue></Attribute></TemplateAttribute>
        <Template><Attribute><AttributeName type="TextString" value="Object Group"/><AttributeValue type="TextString" value="grp"/></Attribute></Template>
        </RequestPayload></BatchItem>"#;
    server.ok("sased", V1_4, template);
    let secret = r#"<BatchItem><Operation type="Enumeration" value="Register"/><RequestPayload>
        <ObjectType type="Enumeration" value="SecretData"/><TemplateAttribute>
        <Name><NameValue type="TextString" value="tpl"/><NameType type="Enumeration" value="UninterpretedTextString"/></Name>
        </TemplateAttribute>
        <SecretData><SecretDataType type="Enumeration" value="Password"/><KeyBlock><KeyFormatType type="Enumeration" value="Opaque"/>
        <KeyValue><KeyMaterial type="ByteString" value="2a2a"/></KeyValue></KeyBlock></SecretData></RequestPayload></BatchItem>"#;
    let uid = text(&server.ok("sased", V1_4, secret), Tag::UniqueIdentifier).unwrap();
    assert!(show(&server.ok("sased", V1_4, &on("GetAttributes", Some(&uid)))).contains("grp"));
}
