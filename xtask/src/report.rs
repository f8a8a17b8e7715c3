//! `cargo xtask matrix` and `cargo xtask diff OLD NEW`: results for people,
//! from the `report.json` files only.

use std::path::Path;

use conformance::case::Case;
use conformance::summary;
use xshell::Shell;

/// Writes `results/matrix.md` and `results/index.html` from every report.
pub fn write_matrix(sh: &Shell) -> anyhow::Result<()> {
    let root = sh.current_dir();
    let results = root.join("results");
    let reports = summary::load_reports(&results)?;
    let cases = Case::load_all(&root.join("conformance/cases"))?;
    conformance::report::write_whole(
        &results.join("matrix.md"),
        summary::matrix_markdown(&reports, &cases).as_bytes(),
    )?;
    conformance::report::write_whole(&results.join("index.html"), summary::matrix_html(&reports, &cases).as_bytes())?;
    eprintln!("xtask: wrote results/matrix.md and results/index.html ({} reports)", reports.len());
    Ok(())
}

/// Prints the regressions and fixes between two runs (results directories
/// or report files) as Markdown.
pub fn diff(old: &Path, new: &Path) -> anyhow::Result<()> {
    let (old, new) = (summary::load_run(old)?, summary::load_run(new)?);
    print!("{}", summary::diff_markdown(&old, &new));
    Ok(())
}
