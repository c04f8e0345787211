//! The PKCS#11 operation (2.1 §6.1.37) on a relay whose module is a stand-in: C_Initialize opens a
//! session named by a Correlation Value, C_GetInfo answers the module's CK_INFO, C_Finalize closes
//! it; the session is its client's; nothing else reaches the module.

mod support;

use std::sync::Arc;

use keyward_core::pkcs11_relay::{MAX_SESSIONS_PER_CLIENT, ModuleInfo, Pkcs11Module};
use keyward_ttlv::KmipVersion::{V1_4, V2_0, V2_1};
use keyward_ttlv::{Item, Tag, Value};
use support::*;

struct Module;

impl Pkcs11Module for Module {
    fn info(&self) -> Result<ModuleInfo, u32> {
        Ok(ModuleInfo {
            cryptoki_version: (3, 0),
            manufacturer_id: "Stand-in".into(),
            flags: 0,
            library_description: "relay test".into(),
            library_version: (1, 2),
        })
    }
}

fn relaying() -> Server {
    let mut server = Server::new();
    server.dispatcher = server.dispatcher.clone().with_pkcs11(Arc::new(Module));
    server
}

fn call(function: &str, correlation: Option<&[u8]>) -> String {
    let correlation = correlation
        .map(|c| format!(r#"<CorrelationValue type="ByteString" value="{}"/>"#, hex::encode(c)))
        .unwrap_or_default();
    item("PKCS_11", &format!(r#"<PKCS_11Function type="Enumeration" value="{function}"/>{correlation}"#))
}

fn bytes(item: &Item, tag: Tag) -> Option<Vec<u8>> {
    if item.tag == tag
        && let Value::ByteString(b) = &item.value
    {
        return Some(b.to_vec());
    }
    item.children().iter().find_map(|c| bytes(c, tag))
}

fn return_code(payload: &Item) -> String {
    let code = payload.child(Tag::PKCS_11ReturnCode).map(show).unwrap_or_default();
    code.split("value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("").to_string()
}

#[test]
fn initialize_get_info_finalize_in_2_0_and_2_1() {
    let server = relaying();
    for version in [V2_0, V2_1] {
        let opened = server.ok("alice", version, &call("C_Initialize", None));
        assert_eq!(return_code(&opened), "OK");
        let correlation = bytes(&opened, Tag::CorrelationValue).expect("a Correlation Value");
        let info = server.ok("alice", version, &call("C_GetInfo", Some(&correlation)));
        assert_eq!(return_code(&info), "OK");
        let expected = Module.info().unwrap().encode();
        assert_eq!(bytes(&info, Tag::PKCS_11OutputParameters), Some(expected));
        assert_eq!(expected_len(), 76);
        let closed = server.ok("alice", version, &call("C_Finalize", Some(&correlation)));
        assert_eq!(return_code(&closed), "OK");
        let after = server.ok("alice", version, &call("C_GetInfo", Some(&correlation)));
        assert_eq!(return_code(&after), "CRYPTOKI_NOT_INITIALIZED");
    }
}

fn expected_len() -> usize {
    Module.info().unwrap().encode().len()
}

#[test]
fn a_session_is_its_clients_and_other_functions_do_not_reach_the_module() {
    let server = relaying();
    let opened = server.ok("alice", V2_1, &call("C_Initialize", None));
    let correlation = bytes(&opened, Tag::CorrelationValue).unwrap();
    assert_eq!(
        return_code(&server.ok("bob", V2_1, &call("C_GetInfo", Some(&correlation)))),
        "CRYPTOKI_NOT_INITIALIZED"
    );
    assert_eq!(
        return_code(&server.ok("bob", V2_1, &call("C_Finalize", Some(&correlation)))),
        "CRYPTOKI_NOT_INITIALIZED"
    );
    assert_eq!(return_code(&server.ok("alice", V2_1, &call("C_GetInfo", Some(&correlation)))), "OK");
    for function in ["C_GetSlotList", "C_OpenSession", "C_Login", "C_GenerateKey"] {
        let answer = server.ok("alice", V2_1, &call(function, Some(&correlation)));
        assert_eq!(return_code(&answer), "FUNCTION_NOT_SUPPORTED", "{function}");
    }
    let vendor = item("PKCS_11", r#"<PKCS_11Function type="Integer" value="4660"/>"#);
    assert_eq!(server.fails("alice", V2_1, &vendor), "PKCS_11InvalidFunction");
    let interface = item(
        "PKCS_11",
        r#"<PKCS_11Interface type="TextString" value="Vendor Interface"/><PKCS_11Function type="Enumeration" value="C_GetInfo"/>"#,
    );
    assert_eq!(server.fails("alice", V2_1, &interface), "PKCS_11InvalidInterface");
}

#[test]
fn sessions_per_client_are_bounded() {
    let server = relaying();
    for _ in 0..MAX_SESSIONS_PER_CLIENT {
        server.ok("alice", V2_1, &call("C_Initialize", None));
    }
    assert_eq!(server.fails("alice", V2_1, &call("C_Initialize", None)), "ServerLimitExceeded");
    server.ok("bob", V2_1, &call("C_Initialize", None));
}

#[test]
fn without_a_module_the_operation_is_not_offered() {
    let server = Server::new();
    assert_eq!(server.fails("alice", V2_1, &call("C_Initialize", None)), "OperationNotSupported");
    let query = item("Query", r#"<QueryFunction type="Enumeration" value="QueryOperations"/>"#);
    assert!(!show(&server.ok("alice", V2_1, &query)).contains("PKCS_11"));
    assert!(show(&relaying().ok("alice", V2_1, &query)).contains("PKCS_11"));
    // 1.x has no PKCS#11 operation.
    assert_eq!(relaying().fails("alice", V1_4, &call("C_Initialize", None)), "OperationNotSupported");
}
