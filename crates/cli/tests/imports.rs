//! `medcrm import` / `medcrm export` (SYS-3) as an operator uses them: the row-numbered
//! report and a non-zero exit on any bad row, nothing half-imported, scope by `--as`.
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
    use std::hash::{BuildHasher, RandomState};
    let id = RandomState::new().hash_one(std::time::SystemTime::now());
    let dir = std::env::temp_dir().join(format!("medcrm_cli_import_{id:016x}"));
    std::fs::create_dir_all(&dir).unwrap();
    Dir(dir)
}

fn medcrm(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medcrm"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("MEDCRM_DATABASE_URL")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn sys_3_cli_import_reports_bad_rows_and_imports_all_or_nothing() {
    let dir = temp_dir();
    let data = dir.0.join("data");
    assert!(medcrm(&data, &["demo"]).status.success());
    let file = dir.0.join("new.csv");
    let path = file.to_str().unwrap();
    std::fs::write(
        &file,
        "名称,类型,省份,城市,床位数\n\
         上海市胸科医院,公立医院,上海,上海市,800\n\
         上海市肺科医院,诊所,上海,上海市,600\n",
    )
    .unwrap();
    let refused = medcrm(&data, &["import", "institutions", path, "--as", "rep.east"]);
    assert!(!refused.status.success());
    let err = text(&refused.stderr);
    assert!(err.contains("3\t类型\t`诊所` is not one of"), "{err}");
    assert!(
        err.contains("1 of 2 rows have mistakes; nothing was imported"),
        "{err}"
    );

    std::fs::write(
        &file,
        "名称,类型,省份,城市,床位数\n上海市胸科医院,公立医院,上海,上海市,800\n",
    )
    .unwrap();
    let dry = medcrm(
        &data,
        &[
            "import",
            "institutions",
            path,
            "--as",
            "rep.east",
            "--dry-run",
        ],
    );
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).contains("nothing was written"));
    let done = medcrm(&data, &["import", "institutions", path, "--as", "rep.east"]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert!(text(&done.stdout).contains("1 institutions"));

    // The rep's export has the new hospital; rep.north's does not.
    let east = dir.0.join("east.xlsx");
    let out = medcrm(
        &data,
        &[
            "export",
            "institutions",
            east.to_str().unwrap(),
            "--as",
            "rep.east",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let north = dir.0.join("north.csv");
    let out = medcrm(
        &data,
        &[
            "export",
            "institutions",
            north.to_str().unwrap(),
            "--as",
            "rep.north",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let north_text = std::fs::read_to_string(&north).unwrap();
    assert!(north_text.contains("北京协和医院"));
    assert!(!north_text.contains("上海市胸科医院"));
    let again = medcrm(
        &data,
        &[
            "export",
            "institutions",
            north.to_str().unwrap(),
            "--as",
            "rep.north",
        ],
    );
    assert!(!again.status.success(), "never overwrites without --force");

    // Importing the rep's own export again: every row is a duplicate, reported by row.
    let dup = medcrm(
        &data,
        &[
            "import",
            "institutions",
            east.to_str().unwrap(),
            "--as",
            "rep.east",
        ],
    );
    assert!(!dup.status.success());
    assert!(
        text(&dup.stderr).contains("already exists"),
        "{}",
        text(&dup.stderr)
    );

    let nobody = medcrm(&data, &["import", "institutions", path, "--as", "nobody"]);
    assert!(!nobody.status.success());
    assert!(text(&nobody.stderr).contains("no active user `nobody`"));
    let audit = medcrm(&data, &["audit", "verify"]);
    assert!(audit.status.success(), "{}", text(&audit.stderr));
}
