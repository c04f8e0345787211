//! The client commands (`keys`, `encrypt`, `decrypt`, `sign`, `verify`, `mac`) driven as an
//! operator or a script drives them: the built binary against a live `keyward serve`, through the
//! profile the server writes, in human and JSON output, with the exit statuses docs/cli.md
//! promises.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

/// Runs `keyward` with these arguments and, when given, $KEYWARD_PROFILE; never a profile of the
/// environment the tests run in.
fn run(profile_env: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward"));
    command.args(args).env_remove("RUST_LOG").env_remove("KEYWARD_PROFILE");
    if let Some(profile) = profile_env {
        command.env("KEYWARD_PROFILE", profile);
    }
    command.output().unwrap()
}

/// A running server, its profile, and a scratch folder.
struct Fixture {
    serving: Option<Serving>,
    profile: PathBuf,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn start() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let serving = start(&data_dir);
        let profile = data_dir.join("pki/admin-profile.toml");
        Fixture { serving: Some(serving), profile, dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn path(&self, name: &str) -> String {
        self.file(name).display().to_string()
    }

    /// `keyward --profile PROFILE ARGS...`
    fn kw(&self, args: &[&str]) -> Output {
        let mut all = vec!["--profile", self.profile.to_str().unwrap()];
        all.extend_from_slice(args);
        run(None, &all)
    }

    /// The same, which must succeed; its stdout, trimmed.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.kw(args);
        assert!(output.status.success(), "{args:?}: {}\n{}", text(&output.stdout), text(&output.stderr));
        text(&output.stdout).trim().to_string()
    }

    /// `--json` and the document printed.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(serving) = self.serving.take() {
            serving.terminate();
        }
    }
}

/// Asserts the exit status and that stderr says all of `said`; returns stderr.
fn fails(output: &Output, status: i32, said: &[&str]) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(status), "stdout: {}\nstderr: {stderr}", text(&output.stdout));
    for words in said {
        assert!(stderr.contains(words), "{words:?} not in: {stderr}");
    }
    stderr
}

#[test]
fn a_symmetric_key_from_creation_to_destruction_through_the_profile_serve_wrote() {
    let f = Fixture::start();
    let banner = &f.serving.as_ref().unwrap().banner;
    assert!(banner.contains("client profile") && banner.contains("admin-profile.toml"), "{banner}");
    assert_owner_only(&f.profile);

    // Create: the identifier alone on stdout, for scripts.
    let uid =
        f.ok(&["keys", "create", "--algorithm", "aes", "--length", "256", "--name", "disk-1", "--group", "disks"]);
    assert!(!uid.is_empty() && !uid.contains(char::is_whitespace), "{uid:?}");

    // Listed, by person and by script.
    let listing = f.ok(&["keys", "list"]);
    assert!(listing.starts_with("UNIQUE IDENTIFIER"), "{listing}");
    assert!(listing.contains(&uid) && listing.contains("Pre-Active") && listing.contains("disk-1"), "{listing}");
    let listed = f.json(&["keys", "list", "--group", "disks"]);
    assert_eq!(listed["objects"][0]["unique_identifier"], uid.as_str());
    assert_eq!(listed["objects"][0]["state"], "Pre-Active");
    assert_eq!(listed["objects"][0]["algorithm"], "AES");
    assert_eq!(listed["objects"][0]["length"], "256");
    assert_eq!(listed["objects"][0]["name"][0], "disk-1");
    assert_eq!(f.json(&["keys", "list", "--name", "no-such-name"])["objects"], serde_json::json!([]));

    // Shown.
    let shown = f.ok(&["keys", "show", &uid]);
    assert!(shown.contains("Cryptographic Algorithm") && shown.contains("AES"), "{shown}");
    let shown = f.json(&["keys", "show", &uid]);
    let attributes = shown["attributes"].as_array().unwrap();
    assert!(attributes.iter().any(|a| a["name"] == "Object Group" && a["value"] == "disks"), "{shown}");

    // Encrypt under a Pre-Active key: refused, and told what to do.
    let plain = f.file("plain.txt");
    std::fs::write(&plain, b"the quick brown fox").unwrap();
    let refused = f.kw(&["encrypt", "--key", &uid, "--in", &f.path("plain.txt"), "--out", &f.path("c.kwe")]);
    fails(&refused, 1, &[&format!("keyward keys activate {uid}")]);
    let refused = f.kw(&["--json", "encrypt", "--key", &uid, "--in", &f.path("plain.txt"), "--out", &f.path("c.kwe")]);
    let error = stderr_json(&refused);
    assert_eq!(error["error"]["exit_code"], 1);
    assert_eq!(error["error"]["operation"], "Encrypt");
    assert!(error["error"]["result_reason"].is_string(), "{error}");

    assert_eq!(f.ok(&["keys", "activate", &uid]), format!("activated {uid}"));

    // GCM into the documented container, and back.
    f.ok(&["encrypt", "--key", &uid, "--in", &f.path("plain.txt"), "--out", &f.path("c.kwe")]);
    let sealed = std::fs::read(f.file("c.kwe")).unwrap();
    assert_eq!(&sealed[..6], b"KWE1\x01\x0c");
    f.ok(&["decrypt", "--key", &uid, "--in", &f.path("c.kwe"), "--out", &f.path("back.txt")]);
    assert_eq!(std::fs::read(f.file("back.txt")).unwrap(), b"the quick brown fox");
    // A changed byte fails GCM's tag.
    let mut tampered = sealed.clone();
    *tampered.last_mut().unwrap() ^= 1;
    std::fs::write(f.file("bad.kwe"), &tampered).unwrap();
    fails(&f.kw(&["decrypt", "--key", &uid, "--in", &f.path("bad.kwe"), "--out", &f.path("x")]), 1, &["Decrypt"]);
    // CBC in the raw form with the IV apart, and GCM with additional data, by JSON.
    f.ok(&[
        "encrypt",
        "--key",
        &uid,
        "--mode",
        "cbc",
        "--in",
        &f.path("plain.txt"),
        "--out",
        &f.path("c.raw"),
        "--iv-file",
        &f.path("c.iv"),
    ]);
    assert_eq!(std::fs::read(f.file("c.iv")).unwrap().len(), 16);
    f.ok(&[
        "decrypt",
        "--key",
        &uid,
        "--mode",
        "cbc",
        "--in",
        &f.path("c.raw"),
        "--out",
        &f.path("back2.txt"),
        "--iv-file",
        &f.path("c.iv"),
    ]);
    assert_eq!(std::fs::read(f.file("back2.txt")).unwrap(), b"the quick brown fox");
    std::fs::write(f.file("aad"), b"header").unwrap();
    let done = f.json(&[
        "encrypt",
        "--key",
        &uid,
        "--in",
        &f.path("plain.txt"),
        "--out",
        &f.path("a.kwe"),
        "--aad",
        &f.path("aad"),
    ]);
    assert_eq!(done["format"], "kwe1");
    f.ok(&["decrypt", "--key", &uid, "--in", &f.path("a.kwe"), "--out", &f.path("back3.txt"), "--aad", &f.path("aad")]);
    assert_eq!(std::fs::read(f.file("back3.txt")).unwrap(), b"the quick brown fox");

    // A file larger than one part (1 MiB) goes in parts, and comes back whole; a changed byte
    // fails the tag at the end, and no plaintext is left behind.
    let big: Vec<u8> = (0..2_500_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(f.file("big.bin"), &big).unwrap();
    f.ok(&["encrypt", "--key", &uid, "--in", &f.path("big.bin"), "--out", &f.path("big.kwe")]);
    f.ok(&["decrypt", "--key", &uid, "--in", &f.path("big.kwe"), "--out", &f.path("big.back")]);
    assert!(std::fs::read(f.file("big.back")).unwrap() == big);
    let mut tampered = std::fs::read(f.file("big.kwe")).unwrap();
    tampered[1_500_000] ^= 1;
    std::fs::write(f.file("big.bad"), &tampered).unwrap();
    fails(
        &f.kw(&["decrypt", "--key", &uid, "--in", &f.path("big.bad"), "--out", &f.path("big.none")]),
        1,
        &["Decrypt"],
    );
    assert!(!f.file("big.none").exists() && !f.file("big.none.partial").exists());
    let cbc = ["--mode", "cbc", "--iv-file", &f.path("big.iv")];
    f.ok(&[&["encrypt", "--key", &uid, "--in", &f.path("big.bin"), "--out", &f.path("big.cbc")][..], &cbc].concat());
    f.ok(&[&["decrypt", "--key", &uid, "--in", &f.path("big.cbc"), "--out", &f.path("big.back2")][..], &cbc].concat());
    assert!(std::fs::read(f.file("big.back2")).unwrap() == big);

    // The key itself: into a 0600 file, or down a pipe (never a terminal).
    let got = f.json(&["keys", "get", &uid, "--out", &f.path("key.bin")]);
    assert_eq!(got["bytes"], 32);
    assert_eq!(got["format"], "Raw");
    let key = std::fs::read(f.file("key.bin")).unwrap();
    assert_eq!(key.len(), 32);
    assert_owner_only(&f.file("key.bin"));
    let piped = f.kw(&["keys", "get", &uid]);
    assert!(piped.status.success());
    assert_eq!(piped.stdout, key);

    // Rotation, revocation, destruction.
    let replacement = f.ok(&["keys", "rekey", &uid, "--offset", "0"]);
    assert!(!replacement.is_empty() && replacement != uid);
    let rekeyed = f.json(&["keys", "show", &replacement]);
    assert!(rekeyed["attributes"].as_array().unwrap().iter().any(|a| a["name"] == "Name" && a["value"] == "disk-1"));
    f.ok(&["keys", "revoke", &uid, "--reason", "superseded", "--message", "rotated"]);
    let destroyed = f.json(&["keys", "destroy", &uid]);
    assert_eq!(destroyed["operation"], "destroy");
    let after = f.json(&["keys", "list", "--state", "destroyed"]);
    assert_eq!(after["objects"][0]["unique_identifier"], uid.as_str());

    // An identifier that does not exist: status 1, the reason (2.1's Object Not Found; 1.x says Item
    // Not Found), and where to look.
    let unknown = f.kw(&["keys", "show", "no-such-key"]);
    fails(&unknown, 1, &["Object Not Found", "keyward keys list"]);
    let unknown = f.kw(&["keys", "--json", "get", "no-such-key", "--out", &f.path("none")]);
    let error = stderr_json(&unknown);
    assert_eq!(error["error"]["result_reason"], "Object Not Found");
    assert_eq!(error["error"]["kind"], "kmip");
}

#[test]
fn key_pairs_signatures_macs_and_registration_through_keyward_profile() {
    let f = Fixture::start();
    let env = |args: &[&str]| run(Some(&f.profile), args);
    let ok = |args: &[&str]| {
        let output = env(args);
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
        text(&output.stdout).trim().to_string()
    };
    let json = |args: &[&str]| -> Value { serde_json::from_str(&ok(args)).unwrap() };

    // RSA: sign with the private key, verify with the public one, a changed message fails (5).
    let pair = json(&["--json", "keys", "create-pair", "--algorithm", "rsa", "--name", "signer", "--activate"]);
    let (private, public) = (pair["private_key"].as_str().unwrap(), pair["public_key"].as_str().unwrap());
    std::fs::write(f.file("doc"), b"an agreement").unwrap();
    ok(&["sign", "--key", private, "--in", &f.path("doc"), "--signature", &f.path("doc.sig")]);
    assert_eq!(
        ok(&["verify", "--key", public, "--in", &f.path("doc"), "--signature", &f.path("doc.sig")]),
        "signature valid"
    );
    std::fs::write(f.file("forged"), b"another agreement").unwrap();
    let forged = env(&["verify", "--key", public, "--in", &f.path("forged"), "--signature", &f.path("doc.sig")]);
    fails(&forged, 5, &["not valid"]);
    let forged =
        env(&["--json", "verify", "--key", public, "--in", &f.path("forged"), "--signature", &f.path("doc.sig")]);
    let error = stderr_json(&forged);
    assert_eq!(error["error"]["exit_code"], 5);
    // PSS with SHA-384, the signature printed in hex.
    let hex_signature = ok(&["sign", "--key", private, "--in", &f.path("doc"), "--pss", "--hash", "sha384"]);
    assert_eq!(hex_signature.len(), 512, "{hex_signature}");

    // EC on P-384 and Ed25519, both printed as a person reads them.
    let ec = ok(&["keys", "create-pair", "--algorithm", "ec", "--curve", "p384", "--activate"]);
    assert!(ec.starts_with("private key") && ec.contains("public key"), "{ec}");
    let ed = json(&["keys", "create-pair", "--algorithm", "ed25519", "--activate", "--json"]);
    let ed_private = ed["private_key"].as_str().unwrap();
    ok(&["sign", "--key", ed_private, "--in", &f.path("doc"), "--signature", &f.path("ed.sig")]);
    let ed_public = ed["public_key"].as_str().unwrap();
    assert_eq!(
        json(&["verify", "--json", "--key", ed_public, "--in", &f.path("doc"), "--signature", &f.path("ed.sig")])["valid"],
        true
    );

    // A file larger than one part is signed, verified and MACed in parts.
    let big: Vec<u8> = (0..2_200_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(f.file("big"), &big).unwrap();
    ok(&["sign", "--key", private, "--in", &f.path("big"), "--signature", &f.path("big.sig")]);
    ok(&["verify", "--key", public, "--in", &f.path("big"), "--signature", &f.path("big.sig")]);
    let mut changed = big.clone();
    changed[2_100_000] ^= 1;
    std::fs::write(f.file("big.changed"), &changed).unwrap();
    fails(
        &env(&["verify", "--key", public, "--in", &f.path("big.changed"), "--signature", &f.path("big.sig")]),
        5,
        &[],
    );

    // MAC with an HMAC key, checked, and a wrong one refused (5).
    let hmac = ok(&["keys", "create", "--algorithm", "hmac-sha256", "--activate"]);
    ok(&["mac", "--key", &hmac, "--in", &f.path("doc"), "--out", &f.path("doc.mac")]);
    assert_eq!(std::fs::read(f.file("doc.mac")).unwrap().len(), 32);
    assert_eq!(ok(&["mac", "--key", &hmac, "--in", &f.path("doc"), "--verify", &f.path("doc.mac")]), "MAC valid");
    fails(&env(&["mac", "--key", &hmac, "--in", &f.path("forged"), "--verify", &f.path("doc.mac")]), 5, &["MAC"]);
    ok(&["mac", "--key", &hmac, "--in", &f.path("big"), "--out", &f.path("big.mac")]);
    ok(&["mac", "--key", &hmac, "--in", &f.path("big"), "--verify", &f.path("big.mac")]);
    fails(&env(&["mac", "--key", &hmac, "--in", &f.path("big.changed"), "--verify", &f.path("big.mac")]), 5, &[]);

    // PEM out and back in: the private key registered again is the same key.
    let got = json(&["--json", "keys", "get", private, "--format", "pem", "--out", &f.path("rsa.pem")]);
    assert_eq!(got["format"], "PEM");
    let pem = std::fs::read_to_string(f.file("rsa.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    let public_pem = ok(&["keys", "get", public, "--format", "pem"]);
    assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{public_pem}");
    let registered = ok(&["keys", "register", "--type", "private-key", "--in", &f.path("rsa.pem"), "--name", "again"]);
    ok(&["keys", "get", &registered, "--format", "pkcs8", "--out", &f.path("again.der")]);
    ok(&["keys", "get", private, "--format", "pkcs8", "--out", &f.path("first.der")]);
    assert_eq!(std::fs::read(f.file("again.der")).unwrap(), std::fs::read(f.file("first.der")).unwrap());
    // Registered without --usage, a private key may sign (the CLI gives it Sign).
    ok(&["keys", "activate", &registered]);
    ok(&["sign", "--key", &registered, "--in", &f.path("doc"), "--signature", &f.path("again.sig")]);
    ok(&["verify", "--key", public, "--in", &f.path("doc"), "--signature", &f.path("again.sig")]);

    // An AES key made for CMAC with --usage.
    let cmac = ok(&["keys", "create", "--usage", "mac-generate,mac-verify", "--activate"]);
    assert_eq!(ok(&["mac", "--key", &cmac, "--in", &f.path("doc")]).len(), 32);

    // A raw symmetric key and a secret, registered and read back byte for byte.
    std::fs::write(f.file("aes.key"), [0x5a; 16]).unwrap();
    let aes = ok(&["keys", "register", "--type", "symmetric", "--in", &f.path("aes.key"), "--activate"]);
    ok(&["keys", "get", &aes, "--out", &f.path("aes.back")]);
    assert_eq!(std::fs::read(f.file("aes.back")).unwrap(), [0x5a; 16]);
    let shown = json(&["keys", "show", &aes, "--json"]);
    assert!(
        shown["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "Cryptographic Length" && a["value"] == "128")
    );
    std::fs::write(f.file("password"), b"hunter2").unwrap();
    let secret = json(&["--json", "keys", "register", "--type", "secret", "--in", &f.path("password")]);
    assert_eq!(secret["active"], false);

    // Filters and paging.
    let private_keys = json(&["--json", "keys", "list", "--type", "private-key"]);
    assert_eq!(private_keys["objects"].as_array().unwrap().len(), 4, "{private_keys}");
    let everything = json(&["--json", "keys", "list"]);
    let all: Vec<&str> =
        everything["objects"].as_array().unwrap().iter().map(|o| o["unique_identifier"].as_str().unwrap()).collect();
    let page = json(&["--json", "keys", "list", "--limit", "2", "--offset", "1"]);
    let paged: Vec<&str> =
        page["objects"].as_array().unwrap().iter().map(|o| o["unique_identifier"].as_str().unwrap()).collect();
    assert_eq!(paged, all[1..3]);
    assert_eq!(page["located_items"].as_i64(), Some(all.len() as i64));
    let paged_text = ok(&["keys", "list", "--limit", "1"]);
    assert!(paged_text.contains(&format!("(1 of {} shown", all.len())), "{paged_text}");
}

#[test]
fn failures_before_the_server_answers_have_their_exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem").display().to_string();
    let credentials = ["--server", "127.0.0.1:9", "--ca", &missing, "--cert", &missing, "--key", &missing];

    // A certificate that cannot be read: 3.
    let mut args = credentials.to_vec();
    args.extend(["keys", "list"]);
    fails(&run(None, &args), 3, &["missing.pem"]);
    let mut args = vec!["--json"];
    args.extend(credentials);
    args.extend(["keys", "list"]);
    let error = stderr_json(&run(None, &args));
    assert_eq!(error["error"]["kind"], "connection");
    assert_eq!(error["error"]["exit_code"], 3);

    // An input file that is not there: 4, before any connection.
    let mut args = credentials.to_vec();
    args.extend(["encrypt", "--key", "k", "--in", &missing, "--out", "x"]);
    let stderr = fails(&run(None, &args), 4, &["missing.pem"]);
    assert!(!stderr.contains("hint: check --ca"), "{stderr}");

    // No server given, and no profile: 2, as for clap's own usage errors.
    fails(&run(None, &["keys", "list"]), 2, &["--server"]);
    fails(&run(None, &["keys", "revoke", "k", "--reason", "bored"]), 2, &["bored"]);
    let refused = run(None, &["--json", "keys", "revoke", "k", "--reason", "bored"]);
    let error = stderr_json(&refused);
    assert_eq!((error["error"]["kind"].as_str(), error["error"]["exit_code"].as_i64()), (Some("usage"), Some(2)));
    // Connection flags mean nothing to the server's own commands.
    fails(&run(None, &["--server", "127.0.0.1:9", "ttlv", "decode"]), 2, &["client commands"]);
    // A profile named by $KEYWARD_PROFILE that does not exist: 3.
    fails(&run(Some(&dir.path().join("none.toml")), &["keys", "list"]), 3, &["none.toml"]);
}

#[test]
fn nothing_listening_and_a_wrong_ca_are_connection_failures() {
    let f = Fixture::start();
    let pki = f.profile.parent().unwrap().to_path_buf();
    // The admin's credentials, but a port where nothing listens: 3.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = format!("127.0.0.1:{port}");
    fails(&f.kw(&["--server", &server, "keys", "list"]), 3, &["cannot connect"]);
    // A CA that did not sign the server's certificate (the client's own certificate stands in).
    let wrong_ca = pki.join("clients/admin.pem").display().to_string();
    fails(&f.kw(&["--ca", &wrong_ca, "keys", "list"]), 3, &["TLS"]);
    // A server name its certificate does not carry: 3; the name it carries (localhost): fine.
    fails(&f.kw(&["--server-name", "kms.example.com", "keys", "list"]), 3, &["TLS", "--server-name"]);
    f.ok(&["--server-name", "localhost", "keys", "list"]);
}

/// The typed calls under the CLI, spoken in KMIP 1.4 (Template-Attributes, attribute names as
/// text) as well as in the 2.1 the CLI negotiates.
#[test]
fn the_session_makes_the_same_calls_in_kmip_1_4() {
    use keyward_client::session::Session;
    use keyward_client::{CipherInput, LocateFilter};
    use keyward_kmip::attributes::{Attribute, CryptographicParameters, Name};
    use keyward_kmip::enums::{BlockCipherMode, CryptographicAlgorithm, ResultReason, State};
    use keyward_ttlv::KmipVersion;

    let f = Fixture::start();
    let data_dir = f.dir.path().join("data");
    let client = client_of(f.serving.as_ref().unwrap().address, &data_dir, "admin");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let negotiated = Session::open(&client).await.unwrap();
        assert_eq!(negotiated.version(), KmipVersion::V2_1);
        negotiated.close().await;

        let mut session = Session::with_version(client.connect().await.unwrap(), KmipVersion::V1_4);
        let uid = session
            .create_symmetric_key(vec![
                Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
                Attribute::CryptographicLength(128),
                Attribute::Name(Name::text("old-client")),
            ])
            .await
            .unwrap();
        let filter = LocateFilter { name: Some("old-client".into()), ..LocateFilter::default() };
        assert_eq!(session.locate(&filter).await.unwrap().unique_identifiers, std::slice::from_ref(&uid));
        let gcm = CryptographicParameters { block_cipher_mode: Some(BlockCipherMode::GCM), ..Default::default() };
        let input = CipherInput { data: b"secret", ..CipherInput::default() };
        // Pre-Active: 1.4 has no Wrong Key Lifecycle State, the server says Permission Denied.
        let refused = session.encrypt(&uid, Some(gcm.clone()), input).await.unwrap_err();
        assert_eq!(refused.operation_error().and_then(|e| e.reason), Some(ResultReason::PermissionDenied));
        session.activate(&uid).await.unwrap();
        let sealed = session.encrypt(&uid, Some(gcm.clone()), input).await.unwrap();
        let iv = sealed.iv.as_ref().unwrap();
        let tag = sealed.tag.as_ref().unwrap();
        let back =
            CipherInput { data: sealed.data.as_slice(), iv: Some(iv.as_slice()), aad: None, tag: Some(tag.as_slice()) };
        assert_eq!(session.decrypt(&uid, Some(gcm), back).await.unwrap().as_slice(), b"secret");
        let attributes = session.get_attributes(&uid, Vec::new()).await.unwrap();
        assert!(attributes.contains(&Attribute::State(State::Active)), "{attributes:?}");
        session.close().await;
    });
}
