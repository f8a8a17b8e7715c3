//! Repro scripts: for every case that fails, a small shell script beside the
//! report that reruns exactly that crate, under that runner, with that
//! runtime, without the suite, so a runtime's author can debug it directly.

use std::path::Path;

/// The script that reruns a case. `files` are copied into a scratch
/// directory (the runtime under its platform name, the crate, the host);
/// `argv` runs there, with `env` set.
pub fn script(
    trial: &str,
    runtime_name: &str,
    files: &[(&Path, &str)],
    env: &[(String, String)],
    argv: &[String],
) -> String {
    let mut text = String::new();
    text += "#!/bin/sh\n";
    text += &format!("# Reruns {trial} against runtime `{runtime_name}`, without the conformance suite.\n");
    text += "# Written by the suite when the case failed; see the report beside it.\n";
    text += "set -eu\n";
    text += "dir=$(mktemp -d)\n";
    for (source, name) in files {
        text += &format!("cp {} \"$dir/{name}\"\n", quote(&source.display().to_string()));
    }
    text += "cd \"$dir\"\n";
    text += "echo \"running in $dir\" >&2\n";
    let env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={}", quote(v))).collect();
    let argv: Vec<String> = argv.iter().map(|a| quote(a)).collect();
    text += &format!("exec env {} {}\n", env.join(" "), argv.join(" "));
    text
}

/// Quotes for sh: single quotes, with embedded ones escaped.
fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-=:+,".contains(c)) {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}
