//! Results for people and for CI, from `report.json` files only:
//! `matrix.md` and `index.html` (runtime × platform × case, the runtime's
//! score apart from the suite's own checks), the Markdown diff between two
//! runs for a pull request (non-zero exit on regressions), and the merge of
//! shard reports into full ones.
//!
//! Honest counts: a runtime's score is `passed / applicable` over its
//! runtime cases; `unsupported` is not applicable, `xfail` is applicable and
//! not passed. The suite's own checks (artifact rules, host-table cases) are
//! counted apart: they pass or fail whatever the runtime does.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, bail};

use crate::outcome::Outcome;
use crate::report::{Report, RuntimeScore, Scope, Selection, Summary, write_whole};

/// Every full report, `<dir>/<runtime>/<platform>/report.json`, sorted by
/// runtime then platform. Partial and shard reports live deeper and are not read.
pub fn load_reports(results_dir: &Path) -> anyhow::Result<Vec<Report>> {
    let mut reports = Vec::new();
    let runtimes = std::fs::read_dir(results_dir).with_context(|| format!("cannot list {}", results_dir.display()))?;
    for runtime in runtimes {
        let runtime = runtime?.path();
        if !runtime.is_dir() {
            continue;
        }
        for platform in std::fs::read_dir(&runtime)? {
            let path = platform?.path().join("report.json");
            if path.is_file() {
                reports.push(Report::read(&path)?);
            }
        }
    }
    reports.sort_by(|a, b| (&a.runtime.name, &a.platform).cmp(&(&b.runtime.name, &b.platform)));
    Ok(reports)
}

/// Loads the reports of one run: a results directory, or one report file.
pub fn load_run(path: &Path) -> anyhow::Result<Vec<Report>> {
    if path.is_file() { Ok(vec![Report::read(path)?]) } else { load_reports(path) }
}

/// `platform/case` → `case`.
fn case_of<'a>(trial: &'a str, platform: &str) -> &'a str {
    trial.strip_prefix(platform).and_then(|t| t.strip_prefix('/')).unwrap_or(trial)
}

/// One runtime's rows: case → platform → outcome, per scope.
type Rows<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Outcome>>;

struct RuntimeView<'a> {
    name: &'a str,
    reports: Vec<&'a Report>,
    runtime_rows: Rows<'a>,
    suite_rows: Rows<'a>,
    /// area → score over every platform.
    areas: BTreeMap<&'a str, RuntimeScore>,
}

fn views(reports: &[Report]) -> Vec<RuntimeView<'_>> {
    let mut by_runtime: BTreeMap<&str, Vec<&Report>> = BTreeMap::new();
    for report in reports {
        by_runtime.entry(report.runtime.name.as_str()).or_default().push(report);
    }
    by_runtime
        .into_iter()
        .map(|(name, reports)| {
            let mut view = RuntimeView {
                name,
                reports,
                runtime_rows: BTreeMap::new(),
                suite_rows: BTreeMap::new(),
                areas: BTreeMap::new(),
            };
            for report in &view.reports {
                for result in &report.cases {
                    let rows =
                        if result.scope == Scope::Runtime { &mut view.runtime_rows } else { &mut view.suite_rows };
                    rows.entry(case_of(&result.name, &report.platform))
                        .or_default()
                        .insert(&report.platform, result.outcome);
                    if result.scope == Scope::Runtime {
                        let area = Summary::of(std::slice::from_ref(result)).runtime;
                        let entry = view.areas.entry(result.area.as_str()).or_default();
                        add(entry, &area);
                    }
                }
            }
            view
        })
        .collect()
}

fn add(total: &mut RuntimeScore, one: &RuntimeScore) {
    total.cases += one.cases;
    total.applicable += one.applicable;
    total.passed += one.passed;
    total.unsupported += one.unsupported;
    total.xfail += one.xfail;
    total.failed += one.failed;
    total.broken += one.broken;
}

/// `matrix.md`.
pub fn matrix_markdown(reports: &[Report]) -> String {
    let mut md = String::from(
        "# Conformance matrix\n\nGenerated from `<results>/*/*/report.json`. A runtime's score is passed / applicable \
         runtime cases (unsupported cases are not applicable; xfail ones are, and did not pass). The suite's own checks \
         (artifact rules, host-table cases) are listed apart: they are not the runtime's score.\n",
    );
    for view in views(reports) {
        let platforms: Vec<&str> = view.reports.iter().map(|r| r.platform.as_str()).collect();
        md += &format!("\n## Runtime `{}`\n\n", view.name);
        md += "| platform | passed / applicable | unsupported | xfail | failed | broken | suite's own checks |\n";
        md += "|---|---|---|---|---|---|---|\n";
        for report in &view.reports {
            let s = Summary::of(&report.cases);
            let r = &s.runtime;
            let passed = match &report.refused {
                Some(_) => "refused".to_owned(),
                None => format!("{} / {}", r.passed, r.applicable),
            };
            md += &format!(
                "| {} | {passed} | {} | {} | {} | {} | {} / {} |\n",
                report.platform, r.unsupported, r.xfail, r.failed, r.broken, s.suite.passed, s.suite.checks
            );
        }
        for report in view.reports.iter().filter(|r| r.refused.is_some()) {
            md += &format!(
                "\n- {}: refused before any case: {}\n",
                report.platform,
                report.refused.as_deref().unwrap_or("")
            );
        }
        md += "\n| area | passed / applicable | unsupported | xfail | failed |\n|---|---|---|---|---|\n";
        for (area, score) in &view.areas {
            md += &format!(
                "| {area} | {} / {} | {} | {} | {} |\n",
                score.passed, score.applicable, score.unsupported, score.xfail, score.failed
            );
        }
        for (title, rows) in [("Runtime cases", &view.runtime_rows), ("The suite's own checks", &view.suite_rows)] {
            if rows.is_empty() {
                continue;
            }
            md += &format!(
                "\n### {title}\n\n| case | {} |\n|---|{}\n",
                platforms.join(" | "),
                "---|".repeat(platforms.len())
            );
            for (case, outcomes) in rows {
                let cells: Vec<&str> = platforms.iter().map(|p| outcomes.get(p).map_or("–", |o| o.as_str())).collect();
                md += &format!("| {case} | {} |\n", cells.join(" | "));
            }
        }
    }
    md
}

/// `index.html`: the same, static, one file.
pub fn matrix_html(reports: &[Report]) -> String {
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Conformance matrix</title>\n<style>\n\
         body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}\n\
         td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\n\
         .pass{background:#d7f5d7}.xfail,.unsupported{background:#eee}.fail,.xpass{background:#f8d0d0}\n\
         .crash,.timeout{background:#f3b0b0}.broken{background:#f5e6a6}\n</style></head><body>\n\
         <h1>Conformance matrix</h1>\n<p>A runtime's score is passed / applicable runtime cases (unsupported cases are \
         not applicable). The suite's own checks are listed apart.</p>\n",
    );
    for view in views(reports) {
        let platforms: Vec<&str> = view.reports.iter().map(|r| r.platform.as_str()).collect();
        html += &format!("<h2>Runtime <code>{}</code></h2>\n", escape(view.name));
        html += "<table><tr><th>platform</th><th>passed / applicable</th><th>unsupported</th><th>xfail</th>\
                 <th>failed</th><th>broken</th><th>suite's own checks</th></tr>\n";
        for report in &view.reports {
            let s = Summary::of(&report.cases);
            let r = &s.runtime;
            let passed = match &report.refused {
                Some(why) => format!("refused: {}", escape(why)),
                None => format!("{} / {}", r.passed, r.applicable),
            };
            html += &format!(
                "<tr><td>{}</td><td>{passed}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td></tr>\n",
                escape(&report.platform),
                r.unsupported,
                r.xfail,
                r.failed,
                r.broken,
                s.suite.passed,
                s.suite.checks
            );
        }
        html += "</table>\n";
        for (title, rows) in [("Runtime cases", &view.runtime_rows), ("The suite's own checks", &view.suite_rows)] {
            if rows.is_empty() {
                continue;
            }
            html += &format!("<h3>{title}</h3>\n<table><tr><th>case</th>");
            for platform in &platforms {
                html += &format!("<th>{}</th>", escape(platform));
            }
            html += "</tr>\n";
            for (case, outcomes) in rows {
                html += &format!("<tr><td>{}</td>", escape(case));
                for platform in &platforms {
                    match outcomes.get(platform) {
                        Some(o) => html += &format!("<td class=\"{0}\">{0}</td>", o.as_str()),
                        None => html += "<td>–</td>",
                    }
                }
                html += "</tr>\n";
            }
            html += "</table>\n";
        }
    }
    html += "</body></html>\n";
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Writes `matrix.md` and `index.html` into `results_dir` from its full reports.
pub fn write_matrix(results_dir: &Path) -> anyhow::Result<usize> {
    let reports = load_reports(results_dir)?;
    write_whole(&results_dir.join("matrix.md"), matrix_markdown(&reports).as_bytes())?;
    write_whole(&results_dir.join("index.html"), matrix_html(&reports).as_bytes())?;
    Ok(reports.len())
}

/// The changes from `old` to `new` as Markdown fit for a pull-request
/// comment, and the number of regressions. A regression is a case that
/// passed and now does not (unsupported and xfail included: a dropped
/// capability is not a fix), or a new case that fails.
pub fn diff_markdown(old: &[Report], new: &[Report]) -> (String, usize) {
    let index = |reports: &[Report]| -> BTreeMap<(String, String, String), Outcome> {
        let mut map = BTreeMap::new();
        for report in reports {
            for result in &report.cases {
                let case = case_of(&result.name, &report.platform).to_owned();
                map.insert((report.runtime.name.clone(), report.platform.clone(), case), result.outcome);
            }
        }
        map
    };
    let (before, after) = (index(old), index(new));
    let keys: BTreeSet<_> = before.keys().chain(after.keys()).cloned().collect();
    let (mut regressions, mut fixes, mut other) = (Vec::new(), Vec::new(), Vec::new());
    for key in keys {
        let (was, is) = (before.get(&key), after.get(&key));
        if was == is {
            continue;
        }
        let show = |o: Option<&Outcome>| o.map_or("(absent)", |o| o.as_str());
        let row = format!("| {} | {} | {} | {} | {} |", key.2, key.0, key.1, show(was), show(is));
        let failing = |o: &Outcome| !matches!(o, Outcome::Pass | Outcome::Unsupported | Outcome::Xfail);
        match (was, is) {
            (Some(Outcome::Pass), Some(_)) => regressions.push(row),
            (None, Some(o)) if failing(o) => regressions.push(row),
            (Some(_), Some(Outcome::Pass)) => fixes.push(row),
            _ => other.push(row),
        }
    }
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("{n} {one}") } else { format!("{n} {many}") };
    let mut md = format!(
        "### Conformance: {}, {}, {}\n",
        plural(regressions.len(), "regression", "regressions"),
        plural(fixes.len(), "fix", "fixes"),
        plural(other.len(), "other change", "other changes"),
    );
    let n_regressions = regressions.len();
    for (title, rows) in [("Regressions", regressions), ("Fixes", fixes), ("Other changes", other)] {
        if rows.is_empty() {
            continue;
        }
        md += &format!("\n#### {title}\n\n| case | runtime | platform | before | after |\n|---|---|---|---|---|\n");
        for row in rows {
            md += &row;
            md += "\n";
        }
    }
    (md, n_regressions)
}

/// `conformance diff OLD NEW`: prints the diff; 1 when there are regressions.
/// A closed pipe (`| head`) ends the output quietly.
pub fn diff_command(old: &Path, new: &Path) -> anyhow::Result<i32> {
    let (old, new) = (load_run(old)?, load_run(new)?);
    let (md, n_regressions) = diff_markdown(&old, &new);
    print_quietly(&md)?;
    Ok(if n_regressions > 0 { 1 } else { 0 })
}

/// Writes to stdout; a reader that went away is not an error.
pub fn print_quietly(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("cannot write to standard output"),
        _ => Ok(()),
    }
}

/// `conformance matrix`.
pub fn matrix_command(results_dir: &Path) -> anyhow::Result<i32> {
    let n = write_matrix(results_dir)?;
    eprintln!("conformance: wrote {0}/matrix.md and {0}/index.html ({n} reports)", results_dir.display());
    Ok(0)
}

/// Merges every `<runtime>/<platform>/shards/<k>-of-<n>/report.json` into
/// `<runtime>/<platform>/report.json`: every shard must be there, once.
/// Returns the merged reports.
pub fn merge_shards(results_dir: &Path) -> anyhow::Result<Vec<Report>> {
    let mut merged = Vec::new();
    for runtime in std::fs::read_dir(results_dir).with_context(|| format!("cannot list {}", results_dir.display()))? {
        let runtime = runtime?.path();
        if !runtime.is_dir() {
            continue;
        }
        for platform in std::fs::read_dir(&runtime)? {
            let shards_dir = platform?.path().join("shards");
            if !shards_dir.is_dir() {
                continue;
            }
            let mut shards = Vec::new();
            for shard in std::fs::read_dir(&shards_dir)? {
                let path = shard?.path().join("report.json");
                if path.is_file() {
                    shards.push(Report::read(&path)?);
                }
            }
            let report = merge(shards).with_context(|| format!("cannot merge {}", shards_dir.display()))?;
            let mut report = report;
            report.write(shards_dir.parent().expect("shards/ has a parent"))?;
            merged.push(report);
        }
    }
    Ok(merged)
}

/// One full report from the reports of every shard of one run.
pub fn merge(mut shards: Vec<Report>) -> anyhow::Result<Report> {
    shards.sort_by_key(|r| match r.selection {
        Selection::Shard { index, .. } => index,
        _ => 0,
    });
    let Some(first) = shards.first() else { bail!("no shard reports") };
    let Selection::Shard { count, .. } = first.selection else { bail!("{} is not a shard report", first.platform) };
    let indices: Vec<u32> = shards
        .iter()
        .map(|r| match r.selection {
            Selection::Shard { index, count: c } if c == count => Ok(index),
            _ => bail!("the shard reports do not come from one --shard K/{count} run"),
        })
        .collect::<anyhow::Result<_>>()?;
    let expected: Vec<u32> = (1..=count).collect();
    if indices != expected {
        bail!("shards {indices:?} of {count} are there; every shard 1..={count} must be, once");
    }
    let sha = &first.runtime.sha256;
    if shards.iter().any(|r| &r.runtime.sha256 != sha) {
        bail!("the shards tested different runtime libraries (their sha256 differ)");
    }
    let mut report = first.clone();
    report.selection = Selection::Full;
    report.refused = shards.iter().find_map(|r| r.refused.clone());
    let mut cases: BTreeMap<String, _> = BTreeMap::new();
    for shard in &shards {
        for case in &shard.cases {
            cases.insert(case.name.clone(), case.clone());
        }
    }
    report.cases = cases.into_values().collect();
    Ok(report)
}

/// `conformance merge`: merges shard reports, writes the matrix, prints each
/// merged platform's score; 101 when a merged report has a failure.
pub fn merge_command(results_dir: &Path) -> anyhow::Result<i32> {
    let merged = merge_shards(results_dir)?;
    write_matrix(results_dir)?;
    let mut green = true;
    for report in &merged {
        let summary = Summary::of(&report.cases);
        green &= report.cases.iter().all(|c| c.outcome.is_success());
        eprintln!("conformance: merged {}/{}: {}", report.runtime.name, report.platform, summary.line());
    }
    eprintln!("conformance: wrote {0}/matrix.md and {0}/index.html", results_dir.display());
    Ok(if green { 0 } else { 101 })
}
