//! The XDP corpus against Linux itself: every program of `tests/corpus/manifest.txt`, its
//! packets and maps, on `BPF_PROG_TEST_RUN` and on the rvo model, with no difference allowed.

use rvo_cli::corpus::{build, check_entry, manifest};
use rvo_compiler::Options;

#[test]
fn corpus_is_identical_to_linux() {
    if let Err(why) = rvo_linux::availability() {
        assert!(
            !rvo_tests::in_ci(),
            "the corpus needs Linux's BPF here: {why}"
        );
        eprintln!("skipping: Linux cannot run BPF programs here: {why}");
        return;
    }
    let objects = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    if let Err(e) = build(&objects) {
        assert!(!rvo_tests::in_ci(), "{e:#}");
        eprintln!("skipping: {e:#}");
        return;
    }
    let entries = manifest().expect("manifest reads");
    assert!(
        entries.len() >= 10,
        "the corpus has {} programs",
        entries.len()
    );
    let mut failures = Vec::new();
    for lanes in [1, 4] {
        for e in &entries {
            let opts = Options {
                lanes,
                optimize: true,
            };
            match check_entry(e, &objects, &opts, "model") {
                Ok(r) if r.differences.is_empty() => {}
                Ok(r) => failures.push(format!(
                    "{} ({lanes} lanes): {}",
                    e.object,
                    r.differences
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
                Err(err) => failures.push(format!("{} ({lanes} lanes): {err:#}", e.object)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "differences from Linux:\n{}",
        failures.join("\n")
    );
}
