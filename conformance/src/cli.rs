//! The runner's command line (clap): running the suite, with the options a
//! libtest binary takes (filters, `--exact`, `--skip`, `--list`, …), and the
//! report commands `diff`, `merge` and `matrix`. `cargo xtask test` takes
//! the same `RunArgs`.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "conformance",
    about = "The rustrt conformance suite: runs every case against a runtime on every platform",
    after_help = "Examples:\n  \
        conformance --runtime dist/                       dist/<platform>/librustrt.so (rustrt.dll)\n  \
        conformance --runtime librustrt.so --target linux-x86_64 handshake embed\n  \
        conformance diff base-results/ results/           regressions as Markdown, exit 1 if any\n\n\
        Exit status: 0 when every trial passed (or is xfail / unsupported), 101 when one did not,\n\
        2 for bad input (one line on stderr), 130 when stopped by SIGINT or SIGTERM.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print the changes between two runs as Markdown; exit 1 when there are regressions
    Diff(DiffArgs),
    /// Merge shard reports into full reports and write the matrix
    Merge(ResultsArgs),
    /// Write matrix.md and index.html from the full reports of a results directory
    Matrix(ResultsArgs),
}

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// The earlier run: a results directory or one report.json
    pub old: PathBuf,
    /// The later run: a results directory or one report.json
    pub new: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct ResultsArgs {
    /// The results directory
    #[arg(long, default_value = "results")]
    pub results_dir: PathBuf,
}

/// Running the suite.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The runtime under test: a library (with one --target), or a directory
    /// holding <platform>/<library> for each platform (or the library itself)
    #[arg(long, value_name = "PATH")]
    pub runtime: Option<PathBuf>,
    /// `all`, a platform name (linux-x86_64, …) or a Rust target triple
    #[arg(long, value_name = "PLATFORM", default_value = "all")]
    pub target: String,
    /// The name reports file the runtime under [default: its table's runtime_name]
    #[arg(long)]
    pub name: Option<String>,
    /// The runtime's expectations.toml [default: expectations.toml beside or in --runtime]
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// Where reports go: <DIR>/<name>/<platform>/report.json and junit.xml
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
    /// Run only the K-th of N equal parts of the selected trials (1 <= K <= N)
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Rewrite goldens from what ran (refused when CI is set)
    #[arg(long)]
    pub bless: bool,
    /// Bytes kept of each stream a case writes; past it the case is stopped and fails
    #[arg(long, value_name = "BYTES", default_value_t = crate::run::DEFAULT_OUTPUT_CAP)]
    pub output_cap: usize,
    /// Limit each natively run case's address space (RLIMIT_AS) to MIB mebibytes
    #[arg(long, value_name = "MIB")]
    pub memory_limit: Option<u64>,
    /// Cap every case's time limit at SECONDS [env: CONFORMANCE_TIMEOUT_CAP]
    #[arg(long, value_name = "SECONDS")]
    pub timeout_cap: Option<u64>,
    /// Show the commands the suite runs
    #[arg(short, long)]
    pub verbose: bool,

    /// Generated scenarios per platform, against the model [default: the `scenarios` case's count]
    #[arg(long, value_name = "N", help_heading = "Differential scenarios")]
    pub scenarios: Option<u64>,
    /// The first generated scenario's seed; the others follow it
    #[arg(long, value_name = "SEED", default_value_t = 0, help_heading = "Differential scenarios")]
    pub first_seed: u64,
    /// How many differing scenarios per platform to shrink to the smallest that still differs
    #[arg(long, value_name = "N", default_value_t = 1, help_heading = "Differential scenarios")]
    pub shrink: u32,

    /// The platform files [default: platforms/ beside this program]
    #[arg(long, value_name = "DIR", help_heading = "Where the suite is")]
    pub platforms: Option<PathBuf>,
    /// The cases [default: cases/ beside this program]
    #[arg(long, value_name = "DIR", help_heading = "Where the suite is")]
    pub cases: Option<PathBuf>,
    /// The built crates and hosts, <DIR>/<platform>/ [default: build/ beside this program]
    #[arg(long, value_name = "DIR", help_heading = "Where the suite is")]
    pub build: Option<PathBuf>,
    /// Scratch space and the Wine prefix [default: work/ beside this program]
    #[arg(long, value_name = "DIR", help_heading = "Where the suite is")]
    pub work_dir: Option<PathBuf>,

    /// Run only trials whose names contain one of the filters (libtest's rule)
    #[arg(value_name = "FILTER", help_heading = "Like any libtest binary")]
    pub filters: Vec<String>,
    /// Filters match whole trial names
    #[arg(long, help_heading = "Like any libtest binary")]
    pub exact: bool,
    /// Skip trials whose names contain FILTER (repeatable)
    #[arg(long, value_name = "FILTER", help_heading = "Like any libtest binary")]
    pub skip: Vec<String>,
    /// List the trials instead of running them
    #[arg(long, help_heading = "Like any libtest binary")]
    pub list: bool,
    #[arg(long, value_enum, help_heading = "Like any libtest binary")]
    pub format: Option<Format>,
    /// One character per trial
    #[arg(short, long, help_heading = "Like any libtest binary")]
    pub quiet: bool,
    #[arg(long, value_name = "N", help_heading = "Like any libtest binary")]
    pub test_threads: Option<usize>,
    /// Run only ignored trials (there are none: nothing runs)
    #[arg(long, help_heading = "Like any libtest binary")]
    pub ignored: bool,
    /// Accepted for libtest compatibility
    #[arg(long, hide = true)]
    pub include_ignored: bool,
    /// Accepted for libtest compatibility (output is always captured)
    #[arg(long, hide = true)]
    pub nocapture: bool,
    #[arg(long, hide = true)]
    pub show_output: bool,
    #[arg(long, value_name = "auto|always|never", hide = true)]
    pub color: Option<String>,
    #[arg(short = 'Z', hide = true)]
    pub unstable: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pretty,
    Terse,
    Json,
}

impl Default for RunArgs {
    /// What the command line gives without options.
    fn default() -> RunArgs {
        RunArgs::parse_from(["conformance"])
    }
}

/// `RunArgs` alone, for `Default`.
#[derive(Parser)]
struct RunArgsOnly {
    #[command(flatten)]
    run: RunArgs,
}

impl RunArgs {
    fn parse_from(args: [&str; 1]) -> RunArgs {
        RunArgsOnly::parse_from(args).run
    }

    /// Whether the run selects only some trials (so its report is partial).
    pub fn is_filtered(&self) -> bool {
        !self.filters.is_empty() || !self.skip.is_empty() || self.ignored
    }

    /// Whether `trial` is selected by the filters, `--exact` and `--skip`.
    pub fn selects(&self, trial: &str) -> bool {
        if self.ignored {
            return false;
        }
        let matches = |filter: &String| if self.exact { trial == filter } else { trial.contains(filter.as_str()) };
        let chosen = self.filters.is_empty() || self.filters.iter().any(matches);
        chosen && !self.skip.iter().any(|skip| if self.exact { trial == skip } else { trial.contains(skip.as_str()) })
    }

    /// The filters as a person would type them, for reports.
    pub fn selection_text(&self) -> String {
        let mut parts: Vec<String> = self.filters.clone();
        if self.exact {
            parts.insert(0, "--exact".into());
        }
        for skip in &self.skip {
            parts.push(format!("--skip {skip}"));
        }
        if self.ignored {
            parts.push("--ignored".into());
        }
        parts.join(" ")
    }

    /// The libtest-mimic arguments for what libtest-mimic still does:
    /// printing, threads, listing. Filtering is done before.
    pub fn libtest(&self) -> libtest_mimic::Arguments {
        libtest_mimic::Arguments {
            list: self.list,
            quiet: self.quiet,
            test_threads: self.test_threads,
            format: self.format.map(|f| match f {
                Format::Pretty => libtest_mimic::FormatSetting::Pretty,
                Format::Terse => libtest_mimic::FormatSetting::Terse,
                Format::Json => libtest_mimic::FormatSetting::Json,
            }),
            color: match self.color.as_deref() {
                Some("always") => Some(libtest_mimic::ColorSetting::Always),
                Some("never") => Some(libtest_mimic::ColorSetting::Never),
                _ => None,
            },
            ..Default::default()
        }
    }
}

/// `--shard K/N`: the K-th (from 1) of N parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the `position`-th (from 0) of the sorted trials is in this shard.
    pub fn takes(&self, position: usize) -> bool {
        position % self.count as usize == (self.index - 1) as usize
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: use K/N with 1 <= K <= N, such as 2/4");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl RunArgs {
    /// Adds the runner options of `after` (what followed `--`, libtest style)
    /// to these.
    pub fn merge_after_dashes(&mut self, after: RunArgs) {
        self.filters.extend(after.filters);
        self.skip.extend(after.skip);
        self.exact |= after.exact;
        self.list |= after.list;
        self.quiet |= after.quiet;
        self.ignored |= after.ignored;
        self.format = after.format.or(self.format);
        self.test_threads = after.test_threads.or(self.test_threads);
        self.shard = after.shard.or(self.shard);
    }

    /// The command line that gives these arguments back to the runner.
    pub fn to_args(&self) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = Vec::new();
        let mut push = |flag: &str, value: Option<std::ffi::OsString>| {
            args.push(flag.into());
            if let Some(value) = value {
                args.push(value);
            }
        };
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.as_os_str().to_owned());
        for (flag, value) in [
            ("--runtime", path(&self.runtime)),
            ("--expectations", path(&self.expectations)),
            ("--results-dir", path(&self.results_dir)),
            ("--platforms", path(&self.platforms)),
            ("--cases", path(&self.cases)),
            ("--build", path(&self.build)),
            ("--work-dir", path(&self.work_dir)),
        ] {
            if value.is_some() {
                push(flag, value);
            }
        }
        push("--target", Some(self.target.clone().into()));
        push("--output-cap", Some(self.output_cap.to_string().into()));
        if let Some(name) = &self.name {
            push("--name", Some(name.into()));
        }
        if let Some(shard) = self.shard {
            push("--shard", Some(shard.to_string().into()));
        }
        if let Some(mib) = self.memory_limit {
            push("--memory-limit", Some(mib.to_string().into()));
        }
        if let Some(seconds) = self.timeout_cap {
            push("--timeout-cap", Some(seconds.to_string().into()));
        }
        if let Some(n) = self.scenarios {
            push("--scenarios", Some(n.to_string().into()));
        }
        push("--first-seed", Some(self.first_seed.to_string().into()));
        push("--shrink", Some(self.shrink.to_string().into()));
        if let Some(n) = self.test_threads {
            push("--test-threads", Some(n.to_string().into()));
        }
        if let Some(format) = self.format {
            let name = format.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
            push("--format", Some(name.into()));
        }
        for (flag, on) in [
            ("--bless", self.bless),
            ("--verbose", self.verbose),
            ("--exact", self.exact),
            ("--list", self.list),
            ("--quiet", self.quiet),
            ("--ignored", self.ignored),
        ] {
            if on {
                push(flag, None);
            }
        }
        for skip in &self.skip {
            push("--skip", Some(skip.into()));
        }
        if !self.filters.is_empty() {
            args.push("--".into());
            args.extend(self.filters.iter().map(Into::into));
        }
        args
    }
}
