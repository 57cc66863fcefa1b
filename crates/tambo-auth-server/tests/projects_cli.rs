//! `tambo-auth projects …` as a process on a configuration's database: the admin API's
//! operations for scripts, their JSON, their refusals (exit 1, the problem naming the field),
//! and a rotation of the secret key (`reencrypt`).

mod common;

use std::process::Command;

use serde_json::{Value, json};
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

const OLD_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NEW_KEY: &str = "3q2+7wECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=";
const HMAC_SECRET: &str = "hmac-secret-for-cli-project-0123456789abcdef";

/// Runs `tambo-auth projects <args>` with `env`; exit code, stdout, stderr.
fn projects(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tambo-auth"))
        .arg("projects")
        .args(args)
        .env("TAMBO_AUTH_LOG", "warn")
        .env_remove("TAMBO_AUTH_SECRET_KEY")
        .env_remove("TAMBO_AUTH_SECRET_KEY_PREVIOUS")
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[test]
fn scripts_manage_projects_keys_and_the_secret_key_rotation() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let idp = runtime.block_on(TestIdp::start());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = common::write_config(dir.path(), &idp.issuer(), "tambo_pk_file");
    let config = config.to_str().expect("utf-8 path");
    let old = [("TAMBO_AUTH_SECRET_KEY", OLD_KEY)];

    let (code, out, err) = projects(
        &[
            "create", "--config", config, "--name", "Scripted", "--id", "p_cli",
        ],
        &old,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json_of(&out)["id"], "p_cli");

    // A refusal: exit 1, the problem on stderr naming the field; nothing saved.
    let short = json!({"verification": {"strategy": "symmetric", "issuer": "https://hs.example", "secret": "short"}});
    let (code, out, err) = projects(
        &[
            "set-verification",
            "--config",
            config,
            "p_cli",
            &short.to_string(),
        ],
        &old,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty());
    assert!(err.contains("\"field\": \"verification.secret\""), "{err}");

    let good = json!({"verification": {"strategy": "symmetric", "issuer": "https://hs.example", "secret": HMAC_SECRET}});
    let (code, out, err) = projects(
        &[
            "set-verification",
            "--config",
            config,
            "p_cli",
            &good.to_string(),
        ],
        &old,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json_of(&out)["hasSecret"], true);
    assert!(!out.contains(HMAC_SECRET));

    let (code, out, _) = projects(&["add-key", "--config", config, "p_cli"], &old);
    assert_eq!(code, 0);
    let key = json_of(&out);
    let key_id = key["id"].as_str().expect("id").to_owned();

    let token = tambo_auth_testkit::jws::hmac_token(
        HMAC_SECRET.as_bytes(),
        &json!({"alg": "HS256"}),
        &json!({"iss": "https://hs.example", "sub": "carol", "iat": now(), "exp": now() + 300}),
    );
    let (code, out, _) = projects(&["test", "--config", config, "p_cli", &token], &old);
    assert_eq!(
        (code, json_of(&out)["ok"].clone()),
        (0, json!(true)),
        "{out}"
    );

    // Rotation: the new key reads what the old one sealed, then reencrypt moves it over.
    let rotating = [
        ("TAMBO_AUTH_SECRET_KEY", NEW_KEY),
        ("TAMBO_AUTH_SECRET_KEY_PREVIOUS", OLD_KEY),
    ];
    let (code, out, err) = projects(&["reencrypt", "--config", config], &rotating);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json_of(&out)["reencrypted"], 1);
    let new_only = [("TAMBO_AUTH_SECRET_KEY", NEW_KEY)];
    let (code, out, _) = projects(&["test", "--config", config, "p_cli", &token], &new_only);
    assert_eq!(
        (code, json_of(&out)["ok"].clone()),
        (0, json!(true)),
        "{out}"
    );
    let (code, out, err) = projects(&["test", "--config", config, "p_cli", &token], &old);
    assert_eq!(
        code, 1,
        "the old key alone no longer opens the secret: {out}"
    );
    assert!(
        err.contains("\"status\": 409") && err.contains("settings unusable"),
        "{err}"
    );

    let (code, out, _) = projects(&["list", "--config", config], &new_only);
    assert_eq!(code, 0);
    let list = json_of(&out);
    assert_eq!(
        common::strings(&list["projects"], "id"),
        ["p_demo", "p_cli"]
    );
    let (code, _, err) = projects(
        &["remove-key", "--config", config, "p_cli", &key_id],
        &new_only,
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = projects(
        &["remove-key", "--config", config, "p_demo", "config-0"],
        &new_only,
    );
    assert_eq!(code, 1);
    assert!(err.contains("\"status\": 409"), "{err}");

    let (code, out, _) = projects(&["audit", "--config", config], &new_only);
    assert_eq!(code, 0);
    let audit = json_of(&out);
    assert_eq!(
        common::strings(&audit["entries"], "action"),
        [
            "api_key.delete",
            "project.reencrypt",
            "api_key.create",
            "project.verification",
            "project.create"
        ]
    );
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["actor"] == "cli")
    );
    assert!(!out.contains(HMAC_SECRET));
}

#[test]
fn only_trying_a_token_builds_the_files_projects_and_reads_their_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("tambo-auth.toml");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8260\"\n\
         database_url = \"sqlite://{}/tambo.db\"\n\
         [[projects]]\nid = \"p_hs\"\napi_keys = [\"tambo_pk_hs\"]\n\
         [projects.verification]\nstrategy = \"symmetric\"\nissuer = \"https://hs.example\"\n\
         secret_env = \"TAMBO_AUTH_TEST_UNSET_SECRET\"\n",
        dir.path().display()
    );
    std::fs::write(&config, text).expect("config written");
    let config = config.to_str().expect("utf-8 path");

    // An operator's machine without the server's secrets can still manage projects.
    let (code, out, err) = projects(&["list", "--config", config], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(common::strings(&json_of(&out)["projects"], "id"), ["p_hs"]);

    // Trying a token of that project needs its secret: a setup error naming the setting.
    let (code, out, err) = projects(&["test", "--config", config, "p_hs", "x.y.z"], &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("TAMBO_AUTH_TEST_UNSET_SECRET"), "{err}");
}
