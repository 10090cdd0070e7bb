//! Configuration: a TOML file (every key documented in `assets/config.toml`), the directories
//! the `directories` crate gives, and environment / command-line overrides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::health::HealthConfig;
use crate::domain::playbook::{
    BUILTIN_PLAYBOOKS, MAX_PLAYBOOK_BYTES, Playbook, PlaybookError, PlaybookErrorKind,
    load_playbooks,
};
use crate::domain::team_config::TeamConfig;
use crate::domain::time::Zone;
use crate::domain::toml_errors::from_toml;
use crate::domain::trace::TraceConfig;
use crate::domain::tracker::FollowupsConfig;
use crate::domain::updates::UpdatesConfig;

/// The documented default configuration, shipped in the binary.
pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.toml");

/// What is wrong with a configuration, naming the file, the line and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: key `{key}`: {message}. Fix the file or start with --config /dev/null")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error(
        "cannot find a home directory for the config and data folders: set WARROOM_CONFIG and WARROOM_DATA_DIR"
    )]
    NoHome,
}

/// The console's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    /// The sixteen basic ANSI colours (fits a Linux console and `screen`).
    #[default]
    Default,
    /// Brighter text, for washed-out screens and projectors.
    HighContrast,
    /// No colour at all: bold, reverse, dim and underline only.
    Mono,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Name written as the author of every change; defaults to `$USER`.
    pub author: Option<String>,
    /// Zone times are shown and typed in: "local", "UTC" or an IANA name.
    pub timezone: String,
    /// Where incidents are kept; the command line and WARROOM_DATA_DIR win over this.
    pub data_dir: Option<PathBuf>,
    /// Key overrides: action name → keys.
    pub keys: BTreeMap<String, Vec<String>>,
    /// Colours of the console; `NO_COLOR` (set and not empty) forces `mono`.
    pub theme: Theme,
    /// Service-health sources to poll.
    pub health: HealthConfig,
    /// Message-trace sources to query.
    pub trace: TraceConfig,
    /// Stakeholder updates: cadence, templates, channels.
    pub updates: UpdatesConfig,
    /// The folder of the user's review templates, `<config dir>/review-templates` (set from
    /// the config file's place, not a key).
    #[serde(skip)]
    pub review_templates_dir: Option<PathBuf>,
    /// Follow-ups: the trackers they are pushed to.
    pub followups: FollowupsConfig,
    /// Team mode: the NATS server the team shares incidents through.
    pub team: TeamConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            author: None,
            timezone: "local".into(),
            data_dir: None,
            keys: BTreeMap::new(),
            theme: Theme::default(),
            health: HealthConfig::default(),
            trace: TraceConfig::default(),
            updates: UpdatesConfig::default(),
            review_templates_dir: None,
            followups: FollowupsConfig::default(),
            team: TeamConfig::default(),
        }
    }
}

impl Config {
    /// Parses config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |line: usize, key: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            key: key.to_string(),
            message,
        };
        let cfg: Config = from_toml(text).map_err(|p| invalid(p.line, &p.key, p.message))?;
        // Keys that may be left out, but not written empty: say what to give instead.
        let blank = |s: &str| s.trim().is_empty();
        let empties = [
            (
                "timezone",
                blank(&cfg.timezone),
                "give \"local\", \"UTC\" or an IANA name such as \"Europe/Berlin\" (or remove the line for local time)",
            ),
            (
                "author",
                cfg.author.as_deref().is_some_and(blank),
                "give the name to sign your changes with, e.g. \"alice\" (or remove the line to use $USER)",
            ),
            (
                "data_dir",
                cfg.data_dir
                    .as_deref()
                    .is_some_and(|d| d.as_os_str().is_empty()),
                "give the folder where incidents are kept (or remove the line for the default)",
            ),
            (
                "trace.query",
                cfg.trace.query.as_deref().is_some_and(blank),
                "give a query such as \"since:1h status:pending\" (or remove the line)",
            ),
        ];
        if let Some((key, _, what)) = empties.iter().find(|(_, empty, _)| *empty) {
            let line = find_key_line(text, key.rsplit('.').next().unwrap_or(key));
            return Err(invalid(line, key, format!("is empty: {what}")));
        }
        if let Some(r) = &cfg.trace.refresh
            && crate::domain::time::parse_duration(r).is_none_or(|d| d.num_seconds() < 1)
        {
            let line = find_key_line(text, "refresh");
            return Err(invalid(
                line,
                "trace.refresh",
                format!("{r:?} is not a duration of a second or more (write 30s, 1m, 5m)"),
            ));
        }
        if let Some((key, message)) = cfg.team.check() {
            // The key's line inside the `[team]` table (other tables have a `url` too).
            let start = text.lines().position(|l| l.trim() == "[team]").unwrap_or(0);
            let rest: String = text.lines().skip(start).collect::<Vec<_>>().join("\n");
            let line = start + find_key_line(&rest, key.rsplit('.').next().unwrap_or(key));
            return Err(invalid(line, key, message));
        }
        if let Err(message) = cfg.timezone.parse::<Zone>() {
            let line = find_key_line(text, "timezone");
            return Err(invalid(line, "timezone", message));
        }
        Ok(cfg)
    }

    /// Loads the file if it exists; a missing file means the defaults.
    pub fn load(path: &Path, must_exist: bool) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// The display zone (validated at parse time).
    pub fn zone(&self) -> Zone {
        self.timezone.parse().unwrap_or(Zone::Local)
    }

    /// The author name of every change made here (the one place it is worked out): the
    /// config's, else `$USER`, else the account's login name ([`login_name`]), else `unknown`.
    pub fn author(&self) -> String {
        self.author
            .clone()
            .filter(|a| !a.trim().is_empty())
            .or_else(|| std::env::var("USER").ok().filter(|u| !u.trim().is_empty()))
            .or_else(login_name)
            .unwrap_or_else(|| "unknown".into())
    }
}

/// The login name of the account this runs as, when `$USER` is not set (cron, `env -i`, some
/// containers): `$LOGNAME`, else the name `/etc/passwd` gives the process's user id (read as
/// a file, no libc call), else `$USERNAME` (Windows habits).
pub fn login_name() -> Option<String> {
    let var = |k: &str| {
        std::env::var(k)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    var("LOGNAME")
        .or_else(|| {
            use std::os::unix::fs::MetadataExt;
            // /proc/self belongs to the process's user.
            let uid = std::fs::metadata("/proc/self").ok()?.uid();
            let text = std::fs::read_to_string("/etc/passwd").ok()?;
            passwd_name(&text, uid)
        })
        .or_else(|| var("USERNAME"))
}

/// The name of user `uid` in `/etc/passwd` text (`name:x:uid:gid:…`).
pub fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?.trim();
        let id = f.nth(1)?.trim().parse::<u32>().ok()?;
        (id == uid && !name.is_empty() && !name.starts_with('#')).then(|| name.to_string())
    })
}

/// The line where `key = …` is written (1 when it cannot be found).
fn find_key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

/// Where things live.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    /// Whether the config file was named explicitly (then it must exist).
    pub config_explicit: bool,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    /// Resolves the paths: explicit values (from flags or the environment, as clap gives them)
    /// win over the config's `data_dir`, which wins over the platform defaults.
    pub fn resolve(
        config_flag: Option<PathBuf>,
        data_flag: Option<PathBuf>,
    ) -> Result<(Paths, Config), ConfigError> {
        let dirs = directories::ProjectDirs::from("", "", "warroom");
        let config_explicit = config_flag.is_some();
        let config_file = match config_flag {
            Some(p) => p,
            None => dirs
                .as_ref()
                .ok_or(ConfigError::NoHome)?
                .config_dir()
                .join("config.toml"),
        };
        let mut config = Config::load(&config_file, config_explicit)?;
        let config_dir = config_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        if config.updates.templates_dir.is_none() {
            config.updates.templates_dir = Some(config_dir.join("templates"));
        }
        config.review_templates_dir = Some(config_dir.join("review-templates"));
        let data_dir = match data_flag.or_else(|| config.data_dir.clone()) {
            Some(p) => p,
            None => dirs.ok_or(ConfigError::NoHome)?.data_dir().to_path_buf(),
        };
        Ok((
            Paths {
                config_file,
                config_explicit,
                config_dir,
                data_dir,
            },
            config,
        ))
    }
}

/// The playbooks that can be attached: the built-ins, and the user's own files in
/// `<config dir>/playbooks/*.toml`, which replace a built-in of the same name.
#[derive(Debug, Default)]
pub struct PlaybookCatalog {
    /// Each playbook with the TOML text it was read from.
    pub playbooks: Vec<(Playbook, String)>,
    /// Files that could not be used, each naming file, line and field.
    pub errors: Vec<PlaybookError>,
}

impl PlaybookCatalog {
    /// Loads the built-ins and the files in `dir` (a missing folder is fine).
    pub fn load(dir: &Path) -> Self {
        let mut user: Vec<(String, String, String)> = Vec::new();
        let mut read_errors = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            let mut paths: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let id = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                // Refused by size before it is read (the parser checks the text too).
                if let Ok(meta) = std::fs::metadata(&path)
                    && meta.len() > MAX_PLAYBOOK_BYTES as u64
                {
                    read_errors.push(PlaybookError {
                        file: path.display().to_string(),
                        line: 1,
                        field: None,
                        kind: PlaybookErrorKind::TooLarge {
                            bytes: meta.len(),
                            limit: MAX_PLAYBOOK_BYTES,
                        },
                    });
                    continue;
                }
                match std::fs::read_to_string(&path) {
                    Ok(text) => user.push((id, path.display().to_string(), text)),
                    Err(e) => read_errors.push(PlaybookError {
                        file: path.display().to_string(),
                        line: 1,
                        field: None,
                        kind: PlaybookErrorKind::Syntax(format!("cannot read the file: {e}")),
                    }),
                }
            }
        }
        let (playbooks, mut errors) = load_playbooks(BUILTIN_PLAYBOOKS, &user);
        errors.extend(read_errors);
        let failed: std::collections::HashSet<&str> =
            errors.iter().map(|e| e.file.as_str()).collect();
        let playbooks = playbooks
            .into_iter()
            .map(|pb| {
                let text = user
                    .iter()
                    .find(|(id, label, _)| *id == pb.id && !failed.contains(label.as_str()))
                    .map(|(_, _, t)| t.clone())
                    .or_else(|| {
                        BUILTIN_PLAYBOOKS
                            .iter()
                            .find(|(id, _)| *id == pb.id)
                            .map(|(_, t)| t.to_string())
                    })
                    .unwrap_or_default();
                (pb, text)
            })
            .collect();
        PlaybookCatalog { playbooks, errors }
    }

    /// A playbook by id, with its text.
    pub fn get(&self, id: &str) -> Option<&(Playbook, String)> {
        self.playbooks.iter().find(|(p, _)| p.id == id)
    }

    /// `known: a, b, c` for messages.
    pub fn ids(&self) -> String {
        self.playbooks
            .iter()
            .map(|(p, _)| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_default_parses_to_the_defaults() {
        let cfg = Config::parse(DEFAULT_CONFIG, Path::new("assets/config.toml")).unwrap();
        assert_eq!(cfg.timezone, "local");
        assert!(cfg.author.is_none());
        assert!(cfg.keys.is_empty());
    }

    #[test]
    fn theme_is_one_of_three_words() {
        let parse = |t: &str| Config::parse(t, Path::new("c.toml"));
        assert_eq!(parse("").unwrap().theme, Theme::Default);
        for (word, theme) in [
            ("default", Theme::Default),
            ("high-contrast", Theme::HighContrast),
            ("mono", Theme::Mono),
        ] {
            let cfg = parse(&format!("theme = \"{word}\"\n")).unwrap();
            assert_eq!(cfg.theme, theme);
        }
        let msg = parse("author = \"a\"\ntheme = \"dark\"\n")
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("c.toml:2: key `theme`"), "{msg}");
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = "timezone = \"UTC\"\n\n[keys]\nquit = [\"q\"]\n\nbogus = 3\n";
        let e = Config::parse(text, Path::new("/x/config.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("/x/config.toml:"), "{msg}");
        assert!(msg.contains("bogus") || msg.contains("keys"), "{msg}");
        let text = "author = \"a\"\ntimezone = 5\n";
        let msg = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("c.toml:2: key `timezone`"), "{msg}");
    }

    #[test]
    fn a_team_mistake_names_its_key_and_line_in_the_team_table() {
        let text = "[[health.sources]]\nname = \"s\"\nkind = \"statuspage\"\nurl = \"https://x\"\n\n[team]\nurl = \"http://nats:4222\"\n";
        let e = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.toml:7: key `team.url`"), "{e}");
        assert!(e.contains("nats://host:4222"), "{e}");
        let text = "[team]\nurl = \"nats://a:4222\"\nuser = \"alice\"\n";
        let e = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `team.password_env`"), "{e}");
        let ok = "[team]\nurl = [\"nats://a:4222\", \"nats://b:4222\"]\ntoken_env = \"T\"\n";
        assert!(
            Config::parse(ok, Path::new("c.toml"))
                .unwrap()
                .team
                .enabled()
        );
    }

    #[test]
    fn unknown_top_level_key() {
        let text = "author = \"a\"\nauthr = \"b\"\n";
        let msg = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("c.toml:2:"), "{msg}");
        assert!(msg.contains("authr"), "{msg}");
    }

    #[test]
    fn bad_zone_and_syntax() {
        let msg = Config::parse("timezone = \"Mars/Base\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("c.toml:1: key `timezone`") && msg.contains("IANA"),
            "{msg}"
        );
        let msg = Config::parse("a = = 1", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("c.toml:1:"), "{msg}");
    }

    #[test]
    fn trace_refresh_must_be_a_duration() {
        let msg = Config::parse(
            "[trace]\nquery = \"since:1h\"\nrefresh = \"often\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(msg.starts_with("c.toml:3: key `trace.refresh`"), "{msg}");
        let cfg = Config::parse(
            "[trace]\nquery = \"since:1h\"\nrefresh = \"30s\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(cfg.trace.query.as_deref(), Some("since:1h"));
    }

    fn error(text: &str) -> String {
        Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_the_key_inside_a_source_not_only_the_table() {
        let source =
            "[[health.sources]]\nname = \"p\"\nkind = \"statuspage\"\nurl = \"http://a\"\n";
        let msg = error(&format!("{source}interval = \"soon\"\n"));
        assert!(
            msg.starts_with("c.toml:5: key `health.sources[0].interval`: `soon` is not a duration"),
            "{msg}"
        );
        let msg = error(&format!("{source}\n{source}timeout = \"0s\"\n"));
        assert!(
            msg.starts_with("c.toml:10: key `health.sources[1].timeout`: must be longer than zero"),
            "{msg}"
        );
        let msg = error(&format!("{source}bogus = 1\n"));
        assert!(
            msg.starts_with("c.toml:5: key `health.sources[0].bogus`: unknown field `bogus`"),
            "{msg}"
        );
        let msg = error("[[health.sources]]\nname = \"p\"\nkind = \"statuspag\"\n");
        assert!(
            msg.starts_with("c.toml:3: key `health.sources[0].kind`: unknown variant `statuspag`"),
            "{msg}"
        );
        let msg = error(
            "[[health.sources]]\nname = \"m\"\nkind = \"graph\"\ntenant = \"t\"\nclient_id = \"c\"\nclient_secret = \"hunter2\"\n",
        );
        assert!(
            msg.starts_with("c.toml:6: key `health.sources[0].client_secret`:"),
            "{msg}"
        );
        assert!(!msg.contains("hunter2"), "{msg}");
        // A key of another kind names both.
        let msg = error(&format!("{source}tenant = \"x\"\n"));
        assert!(
            msg.contains("`tenant` does not apply to kind = \"statuspage\""),
            "{msg}"
        );
        let msg = error("[[trace.sources]]\nname = \"x\"\nkind = \"postfix\"\npath = 5\n");
        assert!(
            msg.starts_with("c.toml:4: key `trace.sources[0].path`: invalid type: integer `5`"),
            "{msg}"
        );
        let msg = error("[[trace.sources]]\nname = \"x\"\nkind = \"postfix\"\npath = \"\"\n");
        assert!(msg.contains("`path` is empty: give the mail log"), "{msg}");
    }

    #[test]
    fn empty_required_strings_say_what_to_give() {
        let msg = error("timezone = \"\"\n");
        assert!(
            msg.starts_with(
                "c.toml:1: key `timezone`: is empty: give \"local\", \"UTC\" or an IANA name"
            ),
            "{msg}"
        );
        let msg = error("timezone = \"UTC\"\nauthor = \" \"\n");
        assert!(
            msg.starts_with("c.toml:2: key `author`: is empty: give the name"),
            "{msg}"
        );
        let msg = error("data_dir = \"\"\n");
        assert!(
            msg.starts_with("c.toml:1: key `data_dir`: is empty: give the folder"),
            "{msg}"
        );
        let msg = error("[trace]\nquery = \"\"\n");
        assert!(
            msg.starts_with("c.toml:2: key `trace.query`: is empty: give a query"),
            "{msg}"
        );
        let msg = error(
            "[[health.sources]]\nname = \"m\"\nkind = \"graph\"\ntenant = \"\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n",
        );
        assert!(
            msg.contains("`tenant` is empty: give the directory (tenant) id"),
            "{msg}"
        );
        let msg = error("[[health.sources]]\nname = \"p\"\nkind = \"feed\"\nurl = \"\"\n");
        assert!(
            msg.contains("`url` is empty: give the RSS or Atom feed's URL"),
            "{msg}"
        );
        assert!("".parse::<Zone>().is_err());
    }

    #[test]
    fn author_falls_back_to_user() {
        let cfg = Config {
            author: Some("  ".into()),
            ..Config::default()
        };
        assert!(!cfg.author().trim().is_empty());
        let cfg = Config {
            author: Some("ic-alice".into()),
            ..Config::default()
        };
        assert_eq!(cfg.author(), "ic-alice");
    }

    #[test]
    fn the_login_name_comes_from_the_passwd_entry_of_the_uid() {
        let text = "# comment\nroot:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/sh\nbroken line\n";
        assert_eq!(passwd_name(text, 1000).as_deref(), Some("alice"));
        assert_eq!(passwd_name(text, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(text, 4242), None);
    }
}
