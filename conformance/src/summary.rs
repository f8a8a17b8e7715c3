//! Results for people: `results/matrix.md` and `results/index.html`
//! (runtime × platform × case, with totals per spec area), and the Markdown
//! diff between two runs that `cargo xtask diff` prints for a pull request.
//! Everything here reads `report.json` files only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;

use crate::case::{Case, Start};
use crate::outcome::Outcome;
use crate::report::Report;

/// Every `<dir>/<runtime>/<platform>/report.json`, sorted by runtime then platform.
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

/// The spec area a trial belongs to, from its case's settings.
pub fn area(trial_case: &str, cases: &[Case]) -> &'static str {
    let case_name = trial_case.split('/').next().unwrap_or(trial_case);
    let Some(case) = cases.iter().find(|c| c.name == case_name) else { return "other" };
    let needs = |c: &str| case.needs.iter().any(|n| n == c);
    match case.start {
        Start::Artifacts => "artifact rules",
        Start::Host => "embedding",
        Start::Exec if needs("ticks") => "ticks",
        Start::Exec if needs("vecs") => "vecs and memory",
        Start::Exec if needs("messages") => "messages",
        Start::Exec if needs("stacks") => "segments",
        Start::Exec if needs("procs") => "procs",
        Start::Exec => "handshake",
    }
}

/// `platform/case` → `case`.
fn case_of<'a>(trial: &'a str, platform: &str) -> &'a str {
    trial.strip_prefix(platform).and_then(|t| t.strip_prefix('/')).unwrap_or(trial)
}

/// For each runtime: case → platform → outcome.
type Grid<'a> = BTreeMap<&'a str, BTreeMap<&'a str, BTreeMap<&'a str, Outcome>>>;

fn grid(reports: &[Report]) -> Grid<'_> {
    let mut grid: Grid = BTreeMap::new();
    for report in reports {
        let cases = grid.entry(report.runtime.name.as_str()).or_default();
        for result in &report.cases {
            cases.entry(case_of(&result.name, &report.platform)).or_default().insert(&report.platform, result.outcome);
        }
    }
    grid
}

fn platforms(reports: &[Report], runtime: &str) -> Vec<String> {
    reports.iter().filter(|r| r.runtime.name == runtime).map(|r| r.platform.clone()).collect()
}

/// `results/matrix.md`.
pub fn matrix_markdown(reports: &[Report], cases: &[Case]) -> String {
    let mut md =
        String::from("# Conformance matrix\n\nGenerated from `results/*/*/report.json` by `cargo xtask matrix`.\n");
    for (runtime, rows) in grid(reports) {
        let platforms = platforms(reports, runtime);
        md += &format!("\n## Runtime `{runtime}`\n\n");
        for report in reports.iter().filter(|r| r.runtime.name == runtime && r.refused.is_some()) {
            md += &format!(
                "- {}: refused before any case: {}\n",
                report.platform,
                report.refused.as_deref().unwrap_or("")
            );
        }
        md += "\n| area | passing | not passing |\n|---|---|---|\n";
        for (area, (good, bad)) in totals(&rows, cases) {
            md += &format!("| {area} | {good} | {bad} |\n");
        }
        md += &format!("\n| case | {} |\n|---|{}\n", platforms.join(" | "), "---|".repeat(platforms.len()));
        for (case, outcomes) in &rows {
            let cells: Vec<&str> =
                platforms.iter().map(|p| outcomes.get(p.as_str()).map_or("–", |o| o.as_str())).collect();
            md += &format!("| {case} | {} |\n", cells.join(" | "));
        }
    }
    md
}

/// Per spec area: (trials that passed or were expected to fail / unsupported, the others).
fn totals<'a>(
    rows: &BTreeMap<&'a str, BTreeMap<&'a str, Outcome>>,
    cases: &[Case],
) -> BTreeMap<&'static str, (usize, usize)> {
    let mut totals: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (case, outcomes) in rows {
        let entry = totals.entry(area(case, cases)).or_default();
        for outcome in outcomes.values() {
            if outcome.is_success() {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
    totals
}

/// `results/index.html`: the same matrix, static, one file.
pub fn matrix_html(reports: &[Report], cases: &[Case]) -> String {
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Conformance matrix</title>\n<style>\n\
         body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}\n\
         td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\n\
         .pass{background:#d7f5d7}.xfail,.unsupported{background:#eee}.fail,.xpass{background:#f8d0d0}\n\
         .crash,.timeout{background:#f3b0b0}.broken{background:#f5e6a6}\n</style></head><body>\n\
         <h1>Conformance matrix</h1>\n<p>Generated from <code>results/*/*/report.json</code> by <code>cargo xtask matrix</code>.</p>\n",
    );
    for (runtime, rows) in grid(reports) {
        let platforms = platforms(reports, runtime);
        html += &format!("<h2>Runtime <code>{}</code></h2>\n", escape(runtime));
        for report in reports.iter().filter(|r| r.runtime.name == runtime && r.refused.is_some()) {
            html += &format!(
                "<p>{}: refused before any case: {}</p>\n",
                escape(&report.platform),
                escape(report.refused.as_deref().unwrap_or(""))
            );
        }
        html += "<table><tr><th>area</th><th>passing</th><th>not passing</th></tr>\n";
        for (area, (good, bad)) in totals(&rows, cases) {
            html += &format!("<tr><td>{area}</td><td>{good}</td><td>{bad}</td></tr>\n");
        }
        html += "</table>\n<table><tr><th>case</th>";
        for platform in &platforms {
            html += &format!("<th>{}</th>", escape(platform));
        }
        html += "</tr>\n";
        for (case, outcomes) in &rows {
            html += &format!("<tr><td>{}</td>", escape(case));
            for platform in &platforms {
                match outcomes.get(platform.as_str()) {
                    Some(o) => html += &format!("<td class=\"{0}\">{0}</td>", o.as_str()),
                    None => html += "<td>–</td>",
                }
            }
            html += "</tr>\n";
        }
        html += "</table>\n";
    }
    html += "</body></html>\n";
    html
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The changes from `old` to `new` as Markdown fit for a pull-request comment.
pub fn diff_markdown(old: &[Report], new: &[Report]) -> String {
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
        match (was.map(|o| o.is_success()), is.map(|o| o.is_success())) {
            (Some(true), Some(false)) | (None, Some(false)) => regressions.push(row),
            (Some(false), Some(true)) => fixes.push(row),
            _ => other.push(row),
        }
    }
    let mut md = format!(
        "### Conformance: {} regression{}, {} fix{}, {} other change{}\n",
        regressions.len(),
        if regressions.len() == 1 { "" } else { "s" },
        fixes.len(),
        if fixes.len() == 1 { "" } else { "es" },
        other.len(),
        if other.len() == 1 { "" } else { "s" },
    );
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
    md
}
