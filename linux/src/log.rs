//! Capturing what libbpf prints (the verifier log among it) for the current thread.
//!
//! libbpf has one process-wide print callback. The first use of this crate installs one that
//! appends to a per-thread buffer while [`capture`] runs on that thread, and otherwise writes
//! warnings to stderr as libbpf's default callback does. So parallel loads on different
//! threads each get their own log. A later `libbpf_rs::set_print` elsewhere in the process
//! replaces the callback, after which the logs in errors are empty.

use std::cell::RefCell;
use std::sync::Once;

use libbpf_rs::PrintLevel;

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

fn print(level: PrintLevel, msg: String) {
    let captured = CAPTURE.with(|capture| match capture.borrow_mut().as_mut() {
        Some(buffer) => {
            buffer.push_str(&msg);
            true
        }
        None => false,
    });
    if !captured && matches!(level, PrintLevel::Warn) {
        eprint!("{msg}");
    }
}

/// Runs `f` and returns what libbpf printed on this thread meanwhile (warnings and
/// information; the verifier log of a failed load is printed as a warning).
pub(crate) fn capture<T>(f: impl FnOnce() -> T) -> (T, String) {
    INSTALL.call_once(|| {
        libbpf_rs::set_print(Some((PrintLevel::Info, print)));
    });
    let outer = CAPTURE.with(|capture| capture.borrow_mut().replace(String::new()));
    let result = f();
    let text = CAPTURE.with(|capture| {
        let mut capture = capture.borrow_mut();
        let text = capture.take().unwrap_or_default();
        // Nested captures: the outer one sees the inner text too.
        if let Some(mut outer) = outer {
            outer.push_str(&text);
            *capture = Some(outer);
        }
        text
    });
    (result, text)
}

/// The verifier log inside libbpf's report of a failed program load, and the program's name.
///
/// libbpf prints `prog 'NAME': -- BEGIN PROG LOAD LOG --\n<log>-- END PROG LOAD LOG --`.
pub(crate) fn verifier_log(libbpf_text: &str) -> Option<(String, String)> {
    const BEGIN: &str = "': -- BEGIN PROG LOAD LOG --\n";
    const END: &str = "-- END PROG LOAD LOG --";
    let begin = libbpf_text.find(BEGIN)?;
    let name_start = libbpf_text[..begin].rfind("prog '")? + "prog '".len();
    let program = libbpf_text[name_start..begin].to_string();
    let body = &libbpf_text[begin + BEGIN.len()..];
    let log = match body.find(END) {
        Some(end) => &body[..end],
        None => body,
    };
    Some((program, log.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_verifier_log_and_program() {
        let text = "libbpf: prog 'xdp_bad': BPF program load failed: Permission denied\n\
                    libbpf: prog 'xdp_bad': -- BEGIN PROG LOAD LOG --\n\
                    0: R1=ctx() R10=fp0\ninvalid bpf_context access off=20 size=4\n\
                    -- END PROG LOAD LOG --\nlibbpf: prog 'xdp_bad': failed to load: -13\n";
        let (program, log) = verifier_log(text).expect("log");
        assert_eq!(program, "xdp_bad");
        assert_eq!(
            log,
            "0: R1=ctx() R10=fp0\ninvalid bpf_context access off=20 size=4\n"
        );
        assert_eq!(verifier_log("libbpf: map 'x': failed to create"), None);
    }
}
