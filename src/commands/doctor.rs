//! `gate doctor`: is gate set up to protect this machine? Each check prints ok, or a finding
//! with the command that fixes it.

use super::input::Environment;
use crate::agents::Agent;
use crate::agents::settings;
use crate::approval::BrokerChoice;
use crate::display::escape_controls;
use crate::exit_code;
use std::path::{Path, PathBuf};

/// Check gate's setup: policy, audit log, key, broker, and each agent's hook
///
/// The policy layers load and lint clean, the audit log is writable and intact, the checkpoint
/// key is private, the broker answers with the key gate trusts, and each agent found here runs
/// its shell commands through gate.
///
/// Exits 0 when all is well, 1 with the findings, each with the command that fixes it.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DoctorArgs {
    /// The audit database [default: $GATE_DB, else ~/.local/share/gate/audit.db]
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
}

/// One line of the report.
enum Check {
    Ok(String),
    /// What is wrong, and the command (or step) that fixes it.
    Finding(String, String),
}

pub fn run(args: DoctorArgs) -> anyhow::Result<i32> {
    let environment = Environment::capture()?;
    let home = crate::paths::home().unwrap_or_default();
    let mut checks = policy(&environment);
    checks.push(audit_log(args.db.as_deref()));
    checks.extend(key());
    checks.extend(broker(&environment));
    checks.extend(agents(&home, &environment.cwd));
    let mut findings = 0;
    for check in &checks {
        match check {
            Check::Ok(what) => println!("ok       {}", escape_controls(what)),
            Check::Finding(what, fix) => {
                findings += 1;
                println!("FINDING  {}\n         fix: {}", escape_controls(what), escape_controls(fix));
            }
        }
    }
    if findings == 0 {
        println!("all is well");
        return Ok(exit_code::SUCCESS);
    }
    println!("{findings} finding{}", if findings == 1 { "" } else { "s" });
    Ok(exit_code::FAILED)
}

/// Each layer on its own, then the stack as `gate exec` loads it here.
fn policy(environment: &Environment) -> Vec<Check> {
    let layers = crate::policy::locate_layers(
        None,
        std::env::var_os("GATE_POLICY").map(PathBuf::from),
        crate::paths::config_dir().as_deref(),
        &environment.cwd,
    );
    let mut checks = Vec::new();
    for choice in &layers.base {
        let name = match choice {
            crate::policy::Choice::File(path) => path.display().to_string(),
            crate::policy::Choice::Builtin => "the built-in default policy".to_string(),
        };
        match crate::policy::Policy::load(choice, &environment.home) {
            Ok(_) => checks.push(Check::Ok(format!("policy layer {name} loads and lints clean"))),
            Err(error) => checks.push(Check::Finding(
                format!("policy layer {name}: {}", first_line(&error.to_string())),
                format!("gate policy lint {name}"),
            )),
        }
    }
    match crate::policy::Policy::load_layers(&layers, &environment.home) {
        Ok(policy) => checks.push(Check::Ok(format!("the policy in force here: {}", policy.name))),
        Err(error) => checks.push(Check::Finding(
            format!("the policy in force here does not load: {}", first_line(&error.to_string())),
            layers
                .project
                .map(|path| format!("gate policy lint {}", path.display()))
                .unwrap_or_else(|| "gate policy lint".into()),
        )),
    }
    checks
}

fn audit_log(flag: Option<&Path>) -> Check {
    let Some(path) = crate::paths::database(flag) else {
        return Check::Finding(
            "no place for the audit log".into(),
            "set HOME or GATE_DB (export GATE_DB=/path/to/audit.db)".into(),
        );
    };
    let shown = path.display().to_string();
    if !path.exists() {
        let folder = path.ancestors().skip(1).find(|dir| dir.exists()).unwrap_or(Path::new("/"));
        return if writable(folder) {
            Check::Ok(format!("audit log {shown}: not created yet; gate creates it on first use"))
        } else {
            Check::Finding(
                format!("audit log {shown} cannot be created: {} is not writable", folder.display()),
                format!(
                    "mkdir -p {} (as a user who may), or set GATE_DB",
                    path.parent().unwrap_or(folder).display()
                ),
            )
        };
    }
    if !writable(&path) || !path.parent().is_some_and(writable) {
        return Check::Finding(
            format!("audit log {shown} is not writable by this user: every gate exec would refuse"),
            format!("chown $(id -un) {shown} {}", path.parent().unwrap_or(Path::new("/")).display()),
        );
    }
    match crate::audit::verify(&path) {
        Ok(crate::audit::VerifyReport::Intact { entries, .. }) => {
            Check::Ok(format!("audit log {shown}: writable, intact ({entries} entries)"))
        }
        Ok(crate::audit::VerifyReport::Damaged { seq, kind, detail }) => Check::Finding(
            format!("audit log {shown} is damaged at entry {seq} ({kind}: {})", first_line(&detail)),
            format!("gate audit verify --db {shown}; keep the file as evidence and move it aside"),
        ),
        Err(error) => Check::Finding(
            format!("audit log {shown}: {}", first_line(&error.to_string())),
            format!("gate audit verify --db {shown}"),
        ),
    }
}

fn writable(path: &Path) -> bool {
    nix::unistd::access(path, nix::unistd::AccessFlags::W_OK).is_ok()
}

/// The checkpoint key, when there is one, must be readable by its owner alone.
fn key() -> Option<Check> {
    use std::os::unix::fs::PermissionsExt;
    let path = crate::paths::audit_key()?;
    let metadata = std::fs::metadata(&path).ok()?;
    let mode = metadata.permissions().mode() & 0o777;
    let shown = path.display();
    Some(if mode & 0o077 == 0 {
        Check::Ok(format!("checkpoint key {shown}: mode {mode:04o}"))
    } else {
        Check::Finding(
            format!("checkpoint key {shown} has mode {mode:04o}: others may read the secret key"),
            format!("chmod 600 {shown}"),
        )
    })
}

fn broker(environment: &Environment) -> Option<Check> {
    let policy = crate::policy::Policy::load_layers(
        &crate::policy::locate_layers(
            None,
            std::env::var_os("GATE_POLICY").map(PathBuf::from),
            crate::paths::config_dir().as_deref(),
            &environment.cwd,
        ),
        &environment.home,
    )
    .ok()?;
    Some(match crate::approval::broker_config::in_force(&policy, &environment.home) {
        BrokerChoice::None => Check::Ok("no approval broker configured: asks go to the terminal".into()),
        BrokerChoice::Broken(why) => Check::Finding(
            format!("the approval broker is not usable: {}", first_line(&why)),
            "fix [approval] in the policy, or GATE_BROKER_URL, GATE_BROKER_TOKEN, GATE_BROKER_KEY".into(),
        ),
        BrokerChoice::Broker(config) => {
            let (url, trusted) = (config.url.clone(), config.key.to_text());
            match crate::approval::BrokerClient::new(*config).and_then(|client| client.public_key()) {
                Ok(key) if key.trim() == trusted => {
                    Check::Ok(format!("broker {url}: reachable, its key is the one gate trusts"))
                }
                Ok(_) => Check::Finding(
                    format!(
                        "broker {url} signs with another key than the one gate trusts: every approval would be refused"
                    ),
                    format!(
                        "curl -s {url}/v1/key, check it with the broker's operator, then set it as GATE_BROKER_KEY (or key in [approval])"
                    ),
                ),
                Err(why) => Check::Finding(
                    format!("broker {url} cannot be reached: {}", first_line(&why)),
                    format!("start it (gate serve --config FILE) or fix the URL; curl -s {url}/healthz"),
                ),
            }
        }
    })
}

/// For each agent used here: gate's hook present and fail-closed, or a finding.
fn agents(home: &Path, project: &Path) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut hooked_any = false;
    for agent in Agent::ALL {
        let inspection = settings::inspect(agent, home, project);
        let name = agent.name();
        for (file, why) in &inspection.unreadable {
            checks.push(Check::Finding(
                format!("{name}: {} cannot be read: {}", file.display(), first_line(why)),
                format!("fix the file, then gate init {name}"),
            ));
        }
        if inspection.hooked.is_empty() {
            if inspection.used && inspection.unreadable.is_empty() {
                checks.push(Check::Finding(
                    format!("{name} is set up here but has no gate hook: this agent runs shell commands outside gate"),
                    format!("gate init {name}"),
                ));
            }
            continue;
        }
        hooked_any = true;
        for (file, found) in &inspection.hooked {
            let scope = if file.starts_with(project) { " --project" } else { "" };
            let file = file.display();
            checks.push(match found.fail_closed {
                Some(false) => Check::Finding(
                    format!("{name}: gate's hook in {file} does not block when it cannot run (the command would run unchecked)"),
                    format!("gate init {name}{scope}"),
                ),
                _ => Check::Ok(format!("{name}: gate's hook is in {file}")),
            });
        }
    }
    if hooked_any && which::which("gate").is_err() {
        checks.push(Check::Finding(
            "agents' hooks call `gate`, which is not on PATH here".into(),
            "cargo install --path . (or put gate on PATH)".into(),
        ));
    }
    checks
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}
