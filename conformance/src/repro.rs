//! Repro scripts: for every case that does not pass, a small shell script
//! beside the report that reruns exactly that crate, under that runner, with
//! that runtime, without the suite, so a runtime's author can debug it
//! directly.
//!
//! A script carries what it ran: the runtime, the crate and the host are
//! copied once into `repro/blobs/<sha256>` (shared by every script of the
//! directory), and the script checks each file's sha256 before it runs it.
//! A rebuild of the runtime or the crates does not change what a saved
//! repro runs, and the directory can be moved or archived as it is.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// What a repro script reruns.
#[derive(Clone, Debug)]
pub struct Repro {
    /// `<platform>/<case>`.
    pub trial: String,
    pub runtime_name: String,
    /// Files to place in the scratch directory: (source, name there).
    pub files: Vec<(PathBuf, String)>,
    /// The exact environment the case ran with.
    pub env: Vec<(OsString, OsString)>,
    /// The command, run in the scratch directory.
    pub argv: Vec<String>,
}

/// Writes `<dir>/<file_stem>.sh` and the blobs it needs; returns the script's path.
pub fn write(dir: &Path, file_stem: &str, repro: &Repro) -> anyhow::Result<PathBuf> {
    let blobs = dir.join("blobs");
    std::fs::create_dir_all(&blobs).with_context(|| format!("cannot create {}", blobs.display()))?;
    let mut placed = Vec::new();
    for (source, name) in &repro.files {
        let bytes = std::fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
        let sum = sha256_hex(&bytes);
        let blob = blobs.join(&sum);
        if !blob.is_file() {
            crate::report::write_whole(&blob, &bytes)?;
        }
        placed.push((sum, name.clone()));
    }
    let path = dir.join(format!("{file_stem}.sh"));
    crate::report::write_whole(&path, script(repro, &placed).as_bytes())?;
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(path)
}

/// The text of a script that places `placed` (sha256, name) from its
/// `blobs/` directory into a scratch directory and runs the case there.
pub fn script(repro: &Repro, placed: &[(String, String)]) -> String {
    let mut text = String::new();
    text += "#!/bin/sh\n";
    text +=
        &format!("# Reruns {} against runtime `{}`, without the conformance suite.\n", repro.trial, repro.runtime_name);
    text += "# Written by the suite when the case did not pass. It carries the exact files it ran\n";
    text += "# (blobs/, named by sha256, checked before use): move or archive this directory as it is.\n";
    text += "set -eu\n";
    text += "here=$(cd \"$(dirname \"$0\")\" && pwd)\n";
    text += "dir=$(mktemp -d)\n";
    text += "place() {\n";
    text += "    sum=$(sha256sum \"$here/blobs/$1\" | cut -d ' ' -f 1)\n";
    text += "    if [ \"$sum\" != \"$1\" ]; then\n";
    text += "        echo \"repro: $here/blobs/$1 changed (its sha256 is now $sum): refusing to run other files than the suite ran\" >&2\n";
    text += "        exit 2\n";
    text += "    fi\n";
    text += "    cp \"$here/blobs/$1\" \"$dir/$2\" && chmod +x \"$dir/$2\"\n";
    text += "}\n";
    for (sum, name) in placed {
        text += &format!("place {sum} {}\n", quote(name));
    }
    text += "cd \"$dir\"\n";
    text += "echo \"repro: running in $dir\" >&2\n";
    let env: Vec<String> =
        repro.env.iter().map(|(k, v)| format!("{}={}", k.to_string_lossy(), quote(&v.to_string_lossy()))).collect();
    let argv: Vec<String> = repro.argv.iter().map(|a| quote(a)).collect();
    text += &format!("exec env -i {} {}\n", env.join(" "), argv.join(" "));
    text
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Quotes for sh: single quotes, with embedded ones escaped.
pub fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-=:+,".contains(c)) {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}
