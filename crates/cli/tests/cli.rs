//! The `medcrm` binary as an operator uses it: clear messages and non-zero exits on refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> Dir {
    let dir = std::env::temp_dir().join(format!("medcrm_cli_{:016x}", rand_id()));
    std::fs::create_dir_all(&dir).unwrap();
    Dir(dir)
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn medcrm(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medcrm"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("MEDCRM_DATABASE_URL")
        .env_remove("MEDCRM_ADMIN_PASSWORD")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn init_refuses_a_weak_password_and_a_second_admin() {
    let dir = temp_dir();
    let weak = medcrm(&dir.0, &["init", "--password", "admin123"]);
    assert!(!weak.status.success());
    assert!(stderr(&weak).contains("password:"), "{}", stderr(&weak));

    let ok = medcrm(
        &dir.0,
        &[
            "init",
            "--password",
            "Very-strong-42",
            "--company",
            "瑞康医疗",
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    let again = medcrm(&dir.0, &["init", "--password", "Very-strong-42"]);
    assert!(!again.status.success());
    let demo = medcrm(&dir.0, &["demo"]);
    assert!(
        !demo.status.success(),
        "demo data never mixes into a real company"
    );
    assert!(stderr(&demo).contains("empty"), "{}", stderr(&demo));
}

#[test]
fn sys_1_backup_restores_to_a_verifiable_copy() {
    let dir = temp_dir();
    assert!(medcrm(&dir.0, &["demo"]).status.success());
    let file = dir.0.join("snapshot.db");
    let backup = medcrm(&dir.0, &["backup", file.to_str().unwrap()]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    let refused = medcrm(&dir.0, &["backup", file.to_str().unwrap()]);
    assert!(
        !refused.status.success(),
        "never overwrites an existing file"
    );

    // Restoring is copying the snapshot in as medcrm.db of a new data directory.
    let restored = temp_dir();
    std::fs::copy(&file, restored.0.join("medcrm.db")).unwrap();
    let verify = medcrm(&restored.0, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(out.contains("intact"), "{out}");
}

#[test]
fn unknown_commands_fail_with_usage() {
    let dir = temp_dir();
    let o = medcrm(&dir.0, &["frobnicate"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("Usage"), "{}", stderr(&o));
}
