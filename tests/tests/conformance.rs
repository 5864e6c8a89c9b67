//! Every bpf_conformance `.data` file on the ISA model, for 1, 2 and 4 lanes: the default
//! groups must pass, the negative group must be rejected.

use rvo_cli::conformance::{
    data_dir, data_files, device_runner, run_file, run_negative, Outcome, OPT_IN,
};
use std::path::PathBuf;

fn dir_or_skip(sub: &str) -> Option<Vec<PathBuf>> {
    let dir = data_dir().join(sub);
    match data_files(&dir) {
        Ok(files) if !files.is_empty() => Some(files),
        _ if rvo_tests::in_ci() => panic!(
            "conformance data missing at {} (set RVO_CONFORMANCE_DIR)",
            dir.display()
        ),
        _ => {
            eprintln!(
                "skipping: no conformance data at {} (set RVO_CONFORMANCE_DIR)",
                dir.display()
            );
            None
        }
    }
}

fn check_default_groups(lanes: u8) {
    let Some(files) = dir_or_skip("tests") else {
        return;
    };
    let mut runner = device_runner("model", lanes);
    let mut failures = Vec::new();
    let mut passed = 0;
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if OPT_IN.contains(&name.as_str()) {
            continue;
        }
        match run_file(path, &mut runner) {
            Outcome::Pass => passed += 1,
            Outcome::Fail(why) => failures.push(format!("{name}: {why}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures with {lanes} lanes:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(passed, files.len() - OPT_IN.len());
    assert!(passed >= 312, "only {passed} default-group tests found");
}

#[test]
fn default_groups_pass_on_one_lane() {
    check_default_groups(1);
}

#[test]
fn default_groups_pass_on_two_lanes() {
    check_default_groups(2);
}

#[test]
fn default_groups_pass_on_four_lanes() {
    check_default_groups(4);
}

#[test]
fn negative_group_is_rejected() {
    let Some(files) = dir_or_skip("negative") else {
        return;
    };
    let mut runner = device_runner("model", 1);
    let accepted: Vec<String> = files
        .iter()
        .filter_map(|p| {
            run_negative(p, &mut runner)
                .err()
                .map(|why| format!("{}: {why}", p.display()))
        })
        .collect();
    assert!(
        accepted.is_empty(),
        "negative tests accepted:\n{}",
        accepted.join("\n")
    );
}

#[test]
fn callx_is_rejected_with_a_clear_error() {
    let Some(files) = dir_or_skip("tests") else {
        return;
    };
    let Some(path) = files.iter().find(|p| p.ends_with("callx.data")) else {
        return;
    };
    let mut runner = device_runner("model", 1);
    match run_file(path, &mut runner) {
        Outcome::Fail(why) => assert!(
            why.contains("indirect calls (callx) are not supported"),
            "{why}"
        ),
        Outcome::Pass => panic!("callx.data unexpectedly passed"),
    }
}
