//! `cargo xtask fixtures`: the suite's own test. Each deliberately broken
//! runtime under `conformance/fixtures/<name>/` is built for its platforms
//! and the suite is run against it; its `expect.toml` lists the trials it
//! must fail, with the outcome and a phrase the message must contain, and
//! how many generated scenarios must differ. Every other trial must pass. A
//! fixture that fails too little, too much or with the wrong message fails
//! this command.
//!
//! ```toml
//! about = "what is broken"
//! tier = "zoo"             # zoo: only with --all (the bug zoo); representative (default): what CI runs
//! area = "scheduler"       # the spec area, for the catch-rate table
//! why = "why a person writes this bug"
//! diagnosis = "what the suite missed when the bug was planted, and what was added"
//! platforms = ["windows-x86_64"]   # where the bug exists (default: every platform)
//! scenarios = 1            # at least this many generated scenarios differ (default 0: none may)
//! [fails.handshake]        # a case name, without the platform, on every platform
//! outcome = "crash"        # fail | crash | timeout
//! message = "SIG"          # a phrase the message must contain
//! [every_exec_case]        # optional: the same for every case with start = "exec"
//! outcome = "crash"        # (an entry under `fails` takes precedence)
//! message = "crashed"
//! [on.linux-aarch64]       # one platform's differences: its `scenarios`, and its
//! scenarios = 0            # own `fails` entries, which replace the shared ones
//! [on.linux-aarch64.fails.ping-pong]
//! outcome = "fail"
//! message = "the output differs from the golden"
//! ```
//!
//! A bug no conforming test can observe says so, with the reason, and must
//! pass everything: `unobservable = "…"`. A runtime the suite must refuse
//! before running anything (not a library, no `rt_start`, another ABI
//! version) gives a phrase of the refusal: `refused = "does not export"`.
//!
//! The runtime is `runtime.patch`, a unified diff applied to a copy of the
//! reference runtime, `runtime.c`, built for each platform, or
//! `runtime.bin`, copied as it is. An `expectations.toml` beside it is the
//! runtime's own expectations file, as a runtime author would keep one.
//!
//! `--bless` rewrites each chosen fixture's `fails`, `on` and `scenarios`
//! from what the suite said (read the diff before committing it). A run of
//! every fixture on every platform (`--all`) writes the catch rate of the
//! planted bugs to `results/bug-zoo.md` and `results/bug-zoo.json`. Reports
//! go to `target/conformance/fixture-results/`, never `results/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;
use conformance::case::{Case, Start};
use conformance::cli::RunArgs;
use conformance::outcome::Outcome;
use conformance::report::{Report, Scope};
use serde::{Deserialize, Serialize};
use xshell::Shell;

use crate::build;
use crate::test::{layout, run_runner};

#[derive(Args, Debug)]
pub struct Fixtures {
    /// `all`, a platform name or a Rust target triple
    #[arg(long, value_name = "PLATFORM", default_value = "all")]
    pub target: String,
    /// Every fixture, the bug zoo included (by default: the representative ones, as CI runs)
    #[arg(long)]
    pub all: bool,
    /// Rewrite the chosen fixtures' expectations from what the suite said
    #[arg(long)]
    pub bless: bool,
    /// What builds the Rust parts: the local toolchains, or `cross`
    #[arg(long, value_name = "local|cross", default_value = "local")]
    pub backend: String,
    /// Show the commands
    #[arg(short, long)]
    pub verbose: bool,
    /// Only fixtures whose names contain one of these
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    about: String,
    #[serde(default, skip_serializing_if = "Tier::is_default")]
    tier: Tier,
    #[serde(skip_serializing_if = "Option::is_none")]
    area: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diagnosis: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platforms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unobservable: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refused: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    scenarios: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    every_exec_case: Option<ExpectedFailure>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    fails: BTreeMap<String, ExpectedFailure>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    on: BTreeMap<String, OnPlatform>,
}

#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct OnPlatform {
    #[serde(skip_serializing_if = "Option::is_none")]
    scenarios: Option<u32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    fails: BTreeMap<String, ExpectedFailure>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Tier {
    #[default]
    Representative,
    Zoo,
}

impl Tier {
    fn is_default(&self) -> bool {
        *self == Tier::Representative
    }
}

#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFailure {
    outcome: Outcome,
    message: String,
}

/// What a fixture must do on one platform.
struct Wanted {
    fails: BTreeMap<String, ExpectedFailure>,
    scenarios: u32,
}

impl Expect {
    fn load(path: &Path, cases: &[Case], platform_names: &[String]) -> anyhow::Result<Expect> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let expect: Expect = toml::from_str(&text).with_context(|| format!("{} is invalid", path.display()))?;
        let named = expect.fails.keys().chain(expect.on.values().flat_map(|on| on.fails.keys()));
        for case in named {
            if !cases.iter().any(|c| &c.name == case) {
                bail!("{}: names case `{case}`, which does not exist", path.display());
            }
        }
        for platform in expect.platforms.iter().flatten().chain(expect.on.keys()) {
            if !platform_names.contains(platform) {
                bail!("{}: names platform `{platform}`, which does not exist", path.display());
            }
        }
        if expect.tier == Tier::Zoo && expect.area.is_none() {
            bail!("{}: a fixture of the zoo needs an `area` (for the catch-rate table)", path.display());
        }
        let claims_failures = expect.scenarios > 0 || !expect.fails.is_empty() || !expect.on.is_empty();
        if expect.unobservable.is_some() && (claims_failures || expect.refused.is_some()) {
            bail!("{}: an `unobservable` bug fails nothing: drop its `fails`, `on` and `scenarios`", path.display());
        }
        Ok(expect)
    }

    fn applies_to(&self, platform: &str) -> bool {
        self.platforms.as_ref().is_none_or(|list| list.iter().any(|p| p == platform))
    }

    /// The trials that must fail on `platform`, and how many scenarios.
    fn wanted(&self, platform: &str, cases: &[Case]) -> Wanted {
        let on = self.on.get(platform).cloned().unwrap_or_default();
        let mut fails = self.fails.clone();
        fails.extend(on.fails);
        if let Some(every) = &self.every_exec_case {
            for case in cases.iter().filter(|c| c.start == Start::Exec) {
                fails.entry(case.name.clone()).or_insert_with(|| every.clone());
            }
        }
        Wanted { fails, scenarios: on.scenarios.unwrap_or(self.scenarios) }
    }
}

/// What the suite said about a fixture on one platform.
struct Seen {
    /// Trials that did not pass, by case name (scenario trials apart).
    fails: BTreeMap<String, ExpectedFailure>,
    /// Generated scenarios that differed.
    scenarios: u32,
    /// Whether a runtime trial did not pass, and whether a hand-written one did.
    caught: bool,
    caught_by_cases: bool,
    refused: Option<String>,
}

impl Fixtures {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let root = sh.current_dir();
        let fixtures_dir = root.join("conformance/fixtures");
        let cases = Case::load_all(&root.join("conformance/cases"))?;
        let all_platforms = build::platforms(sh, "all")?;
        let platform_names: Vec<String> = all_platforms.iter().map(|p| p.name.clone()).collect();
        // Every fixture file is read (and so checked) before anything is built.
        let mut chosen = Vec::new();
        let mut names: Vec<String> = std::fs::read_dir(&fixtures_dir)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        names.sort();
        for name in &names {
            let expect = Expect::load(&fixtures_dir.join(name).join("expect.toml"), &cases, &platform_names)?;
            let named = self.names.is_empty() || self.names.iter().any(|n| name.contains(n.as_str()));
            if named && (self.all || expect.tier == Tier::Representative || !self.names.is_empty()) {
                chosen.push((name.clone(), expect));
            }
        }
        if chosen.is_empty() {
            bail!("no fixture matches {:?} (fixtures: {})", self.names, names.join(", "));
        }

        let platforms = build::platforms(sh, &self.target)?;
        crate::deps::ensure(sh, &platforms)?;
        let backend = build::Backend::choose(sh, &self.backend)?;
        let builds = platforms
            .iter()
            .map(|p| build::build_platform(sh, p, backend, self.verbose))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let runner = build::runner(sh, self.verbose)?;
        let results_dir = root.join("target/conformance/fixture-results");
        let layout = layout(&root);
        let mut problems = Vec::new();
        let mut measured = Vec::new();
        for (name, expect) in &chosen {
            let dir = fixtures_dir.join(name);
            let out_dir = root.join("target/conformance/fixtures").join(name);
            let here: Vec<_> = builds.iter().filter(|b| expect.applies_to(&b.platform.name)).collect();
            if here.is_empty() {
                continue;
            }
            let step = build::Step::start(&format!("fixture {name}"), "building the broken runtime, running the suite");
            let patched = match dir.join("runtime.patch") {
                patch if patch.is_file() => Some(build::patched_runtime_source(sh, name, &patch)?),
                _ => None,
            };
            for built in &here {
                let platform_dir = out_dir.join(&built.platform.name);
                if let Some(src) = &patched {
                    build::build_runtime_from(sh, src, &built.platform, &platform_dir)?;
                } else if dir.join("runtime.bin").is_file() {
                    std::fs::create_dir_all(&platform_dir)?;
                    std::fs::copy(dir.join("runtime.bin"), platform_dir.join(&built.platform.runtime_file))?;
                } else {
                    build::build_c_runtime(sh, &built.platform, &dir.join("runtime.c"), &platform_dir)?;
                }
            }
            let runtime_name = format!("fixture-{name}");
            // One run for every selected platform, or one per platform the bug has.
            let targets: Vec<String> = if here.len() == builds.len() {
                vec![self.target.clone()]
            } else {
                here.iter().map(|b| b.platform.name.clone()).collect()
            };
            // The suite is expected to fail here: what matters is how. Its
            // output (failures by design) goes to a log, not the terminal.
            let log = root.join("target/conformance").join(format!("{runtime_name}.log"));
            let several = targets.len() > 1;
            for target in targets {
                let log = if several { log.with_extension(format!("{target}.log")) } else { log.clone() };
                let args = RunArgs {
                    runtime: Some(out_dir.clone()),
                    name: Some(runtime_name.clone()),
                    expectations: Some(dir.join("expectations.toml")).filter(|p| p.is_file()),
                    results_dir: Some(results_dir.clone()),
                    target,
                    platforms: Some(layout.platforms.clone()),
                    cases: Some(layout.cases.clone()),
                    build: Some(layout.build.clone()),
                    work_dir: Some(layout.work.clone()),
                    // What fails is counted, not diagnosed.
                    shrink: 0,
                    ..RunArgs::default()
                };
                run_runner(&runner, &args, Some(&log), &[])?;
            }
            let mut n_failed = 0;
            let mut seen_by_platform = BTreeMap::new();
            for built in &here {
                let platform = &built.platform.name;
                let report_path = results_dir.join(&runtime_name).join(platform).join("report.json");
                let report = Report::read(&report_path)
                    .with_context(|| format!("the suite wrote no report for {name} (its output: {})", log.display()))?;
                n_failed += report.cases.iter().filter(|c| c.outcome != Outcome::Pass).count();
                let seen = seen(platform, &report);
                problems.extend(compare(name, platform, &seen, expect, &expect.wanted(platform, &cases)));
                seen_by_platform.insert(platform.clone(), seen);
            }
            step.done();
            eprintln!("xtask:   {n_failed} trials did not pass, as planned (runner output: {})", log.display());
            if self.bless {
                let blessed = bless(expect, &seen_by_platform, &cases);
                let text = toml::to_string(&blessed)?;
                std::fs::write(dir.join("expect.toml"), text)?;
            }
            if patched.is_some() {
                measured.push((name.clone(), expect.clone(), seen_by_platform));
            }
        }
        eprintln!();
        let whole = self.all && self.names.is_empty() && builds.len() == all_platforms.len();
        if whole {
            write_catch_rate(&root, &platform_names, &measured)?;
        }
        if !problems.is_empty() && !self.bless {
            for problem in &problems {
                eprintln!("fixtures: {problem}");
            }
            bail!("{} broken-runtime expectations were not met", problems.len());
        }
        if self.bless {
            eprintln!("fixtures: rewrote the expectations of {} fixtures: read the diff", chosen.len());
        } else {
            eprintln!("fixtures: every broken runtime failed exactly the trials it should");
        }
        println!("fixtures: {} passed, 0 failed", chosen.len());
        Ok(())
    }
}

/// The part of a scenario trial's name after the platform: `scenarios/0042`.
fn is_generated_scenario(case: &str) -> bool {
    case.split_once('/').is_some_and(|(_, seed)| seed.chars().all(|c| c.is_ascii_digit()))
}

fn seen(platform: &str, report: &Report) -> Seen {
    let mut seen = Seen {
        fails: BTreeMap::new(),
        scenarios: 0,
        caught: false,
        caught_by_cases: false,
        refused: report.refused.clone(),
    };
    for result in report.cases.iter().filter(|c| c.outcome != Outcome::Pass) {
        let case = result.name.strip_prefix(&format!("{platform}/")).unwrap_or(&result.name);
        let runtime = result.scope == Scope::Runtime;
        let generated = is_generated_scenario(case);
        // A scenario the runtime does not declare the capabilities for did
        // not run: it neither differs nor catches anything.
        if generated && result.outcome == Outcome::Unsupported {
            continue;
        }
        seen.caught |= runtime;
        if generated {
            seen.scenarios += 1;
        } else {
            seen.caught_by_cases |= runtime;
            let failure = ExpectedFailure { outcome: result.outcome, message: phrase(&result.message) };
            seen.fails.insert(case.to_owned(), failure);
        }
    }
    seen.caught |= seen.refused.is_some();
    seen
}

/// The start of a message that holds on every machine: its first line, cut
/// before the first path, colon or parenthesis.
fn phrase(message: &str) -> String {
    let line = message.lines().next().unwrap_or("");
    let end =
        [line.find(" /"), line.find(": "), line.find(" ("), Some(line.len())].into_iter().flatten().min().unwrap_or(0);
    let mut end = end.min(80);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].trim_end().to_owned()
}

/// What differs between what the suite said and the expectations.
fn compare(fixture: &str, platform: &str, seen: &Seen, expect: &Expect, wanted: &Wanted) -> Vec<String> {
    let mut problems = Vec::new();
    match (&expect.refused, &seen.refused) {
        (Some(phrase), Some(why)) if why.contains(phrase.as_str()) => return problems,
        (Some(phrase), Some(why)) => {
            problems.push(format!("{fixture}: {platform}: the refusal lacks \"{phrase}\": {why}"));
            return problems;
        }
        (Some(phrase), None) => {
            problems.push(format!("{fixture}: {platform}: should be refused (\"{phrase}\") but the cases ran"));
            return problems;
        }
        (None, Some(why)) => {
            problems.push(format!("{fixture}: {platform}: refused unexpectedly: {why}"));
            return problems;
        }
        (None, None) => {}
    }
    for (case, expected) in &wanted.fails {
        match seen.fails.get(case) {
            None => problems.push(format!(
                "{fixture}: {platform}/{case} should be {} but passed (or did not run)",
                expected.outcome.as_str()
            )),
            Some(got) if got.outcome != expected.outcome => problems.push(format!(
                "{fixture}: {platform}/{case} should be {} but is {}: {}",
                expected.outcome.as_str(),
                got.outcome.as_str(),
                got.message
            )),
            Some(got) if !got.message.contains(&expected.message) => problems.push(format!(
                "{fixture}: {platform}/{case}'s message lacks \"{}\": {}",
                expected.message, got.message
            )),
            _ => {}
        }
    }
    for (case, got) in &seen.fails {
        if !wanted.fails.contains_key(case) {
            problems.push(format!(
                "{fixture}: {platform}/{case} should pass but is {}: {}",
                got.outcome.as_str(),
                got.message
            ));
        }
    }
    match (wanted.scenarios, seen.scenarios) {
        (0, 0) => {}
        (0, n) => problems.push(format!("{fixture}: {platform}: {n} generated scenarios differ; none should")),
        (want, n) if n < want => {
            problems.push(format!("{fixture}: {platform}: {n} generated scenarios differ; at least {want} should"))
        }
        _ => {}
    }
    problems
}

/// Whether a failure that was seen is what `expected` says.
fn matches(seen: &ExpectedFailure, expected: &ExpectedFailure) -> bool {
    seen.outcome == expected.outcome && seen.message.contains(&expected.message)
}

/// `expect` with its failures replaced by what was seen: shared entries
/// where every platform agrees, the rest per platform. An expectation that
/// still holds is kept as it was written (its phrase may be chosen).
fn bless(expect: &Expect, seen: &BTreeMap<String, Seen>, cases: &[Case]) -> Expect {
    let mut blessed = Expect { fails: BTreeMap::new(), on: BTreeMap::new(), scenarios: 0, ..expect.clone() };
    if expect.refused.is_some() || expect.unobservable.is_some() {
        return blessed;
    }
    // What to write for a failure of `case` seen on `platform`.
    let entry = |platform: &str, case: &str, failure: &ExpectedFailure| -> ExpectedFailure {
        let old = expect.wanted(platform, cases).fails.get(case).cloned();
        old.filter(|old| matches(failure, old)).unwrap_or_else(|| failure.clone())
    };
    let exec_default = |case: &str, failure: &ExpectedFailure| {
        let is_exec = cases.iter().any(|c| c.name == case && c.start == Start::Exec);
        is_exec && expect.every_exec_case.as_ref().is_some_and(|every| matches(failure, every))
    };
    if let Some((first_platform, first)) = seen.iter().next() {
        for (case, failure) in &first.fails {
            let chosen = entry(first_platform, case, failure);
            let everywhere = seen.values().all(|s| s.fails.get(case).is_some_and(|f| matches(f, &chosen)));
            if everywhere && !exec_default(case, failure) {
                blessed.fails.insert(case.clone(), chosen);
            }
        }
    }
    let all_scenarios = seen.values().all(|s| s.scenarios > 0);
    blessed.scenarios = u32::from(all_scenarios);
    for (platform, s) in seen {
        let mut on = OnPlatform::default();
        for (case, failure) in &s.fails {
            let shared = blessed.fails.get(case).is_some_and(|f| matches(failure, f)) || exec_default(case, failure);
            if !shared {
                on.fails.insert(case.clone(), entry(platform, case, failure));
            }
        }
        if !all_scenarios && s.scenarios > 0 {
            on.scenarios = Some(1);
        }
        if !on.fails.is_empty() || on.scenarios.is_some() {
            blessed.on.insert(platform.clone(), on);
        }
    }
    blessed
}

/// One planted bug's result, for `results/bug-zoo.json`.
#[derive(Serialize)]
struct Measured<'a> {
    fixture: &'a str,
    area: &'a str,
    about: &'a str,
    unobservable: Option<&'a str>,
    /// Per platform: caught at all, by a hand-written case, and how many
    /// generated scenarios differed.
    platforms: BTreeMap<&'a str, PlatformMeasure>,
}

#[derive(Serialize)]
struct PlatformMeasure {
    caught: bool,
    caught_by_cases: bool,
    scenarios: u32,
}

/// The catch rate of the planted bugs (`runtime.patch` fixtures), per
/// platform, as Markdown and JSON under `results/`.
fn write_catch_rate(
    root: &Path,
    platforms: &[String],
    measured: &[(String, Expect, BTreeMap<String, Seen>)],
) -> anyhow::Result<()> {
    let rows: Vec<Measured> = measured
        .iter()
        .map(|(name, expect, seen)| Measured {
            fixture: name,
            area: expect.area.as_deref().unwrap_or("planted"),
            about: &expect.about,
            unobservable: expect.unobservable.as_deref(),
            platforms: seen
                .iter()
                .map(|(p, s)| {
                    let measure = PlatformMeasure {
                        caught: s.caught,
                        caught_by_cases: s.caught_by_cases,
                        scenarios: s.scenarios,
                    };
                    (p.as_str(), measure)
                })
                .collect(),
        })
        .collect();
    let mut md = String::from(
        "# The bug zoo: how many planted bugs the suite catches\n\n\
         Written by `cargo xtask fixtures --all` from the fixtures with a `runtime.patch` \
         (a realistic bug in a copy of the reference runtime). A bug is caught on a platform when \
         at least one runtime trial does not pass; *by cases* counts only the hand-written cases, \
         not the generated scenarios.\n\n\
         | platform | caught | by cases alone | bugs that apply | unobservable (not counted) |\n|---|---|---|---|---|\n",
    );
    for platform in platforms {
        let applying: Vec<&Measured> =
            rows.iter().filter(|r| r.unobservable.is_none() && r.platforms.contains_key(platform.as_str())).collect();
        let caught = applying.iter().filter(|r| r.platforms[platform.as_str()].caught).count();
        let by_cases = applying.iter().filter(|r| r.platforms[platform.as_str()].caught_by_cases).count();
        let unobservable = rows.iter().filter(|r| r.unobservable.is_some()).count();
        let percent = |n: usize| if applying.is_empty() { 0.0 } else { 100.0 * n as f64 / applying.len() as f64 };
        writeln!(
            md,
            "| {platform} | **{caught} of {} ({:.0}%)** | {by_cases} ({:.0}%) | {} | {unobservable} |",
            applying.len(),
            percent(caught),
            percent(by_cases),
            applying.len()
        )?;
    }
    let areas: BTreeSet<&str> = rows.iter().map(|r| r.area).collect();
    md.push_str(
        "\n## Per area (all platforms together)\n\n| area | bugs | caught everywhere they apply |\n|---|---|---|\n",
    );
    for area in areas {
        let in_area: Vec<&Measured> = rows.iter().filter(|r| r.area == area && r.unobservable.is_none()).collect();
        let caught = in_area.iter().filter(|r| r.platforms.values().all(|m| m.caught)).count();
        writeln!(md, "| {area} | {} | {caught} |", in_area.len())?;
    }
    md.push_str("\n## Not caught\n\n");
    let mut none = true;
    for row in rows.iter().filter(|r| r.unobservable.is_none()) {
        let missed: Vec<&str> = row.platforms.iter().filter(|(_, m)| !m.caught).map(|(p, _)| *p).collect();
        if !missed.is_empty() {
            none = false;
            writeln!(md, "- `{}` ({}) on {}: {}", row.fixture, row.area, missed.join(", "), row.about)?;
        }
    }
    if none {
        md.push_str("None.\n");
    }
    md.push_str("\n## Unobservable: no conforming test can see these\n\n");
    for row in rows.iter().filter(|r| r.unobservable.is_some()) {
        writeln!(md, "- `{}` ({}): {} — {}", row.fixture, row.area, row.about, row.unobservable.unwrap_or_default())?;
    }
    md.push_str("\n## Every bug\n\n| bug | area | ");
    md.push_str(&platforms.join(" | "));
    md.push_str(" |\n|---|---|");
    md.push_str(&"---|".repeat(platforms.len()));
    md.push('\n');
    for row in &rows {
        write!(md, "| `{}` | {} |", row.fixture, row.area)?;
        for platform in platforms {
            let cell = match (row.unobservable, row.platforms.get(platform.as_str())) {
                (Some(_), Some(_)) => "unobservable".to_owned(),
                (None, Some(m)) if m.caught_by_cases => format!("cases, {} scenarios", m.scenarios),
                (None, Some(m)) if m.caught => format!("{} scenarios", m.scenarios),
                (None, Some(_)) => "**missed**".to_owned(),
                (_, None) => "n/a".to_owned(),
            };
            write!(md, " {cell} |")?;
        }
        md.push('\n');
    }
    let results = root.join("results");
    std::fs::create_dir_all(&results)?;
    conformance::report::write_whole(&results.join("bug-zoo.md"), md.as_bytes())?;
    conformance::report::write_whole(&results.join("bug-zoo.json"), serde_json::to_string_pretty(&rows)?.as_bytes())?;
    eprintln!("fixtures: wrote results/bug-zoo.md and results/bug-zoo.json");
    Ok(())
}
