//! A throwaway PostgreSQL server for the tests: initdb into a temporary directory, start on a
//! free loopback port, stop and delete on drop. PostgreSQL refuses to run as root, so as root
//! it runs as the `postgres` user.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::process::{free_port, output, run};

/// A running throwaway server.
#[derive(Debug)]
pub struct Postgres {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
    dir: PathBuf,
    bin: PathBuf,
    as_root: bool,
}

/// The newest installed server's bin directory.
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

impl Postgres {
    fn command(&self, program: &str) -> Command {
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
            c
        } else {
            Command::new(self.bin.join(program))
        }
    }

    /// Creates and starts a server.
    pub fn start() -> anyhow::Result<Self> {
        let bin = bin_dir().context("no PostgreSQL server under /usr/lib/postgresql: run `cargo xtask setup`")?;
        let as_root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
        let dir = std::env::temp_dir().join(format!("payref-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let port = free_port()?;
        let pg = Self { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), dir: dir.clone(), bin, as_root };
        if as_root {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir), "chown the PostgreSQL directory")?;
        }
        let data = dir.join("data");
        run(
            pg.command("initdb")
                .arg("-D")
                .arg(&data)
                .args(["--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
                .stdout(std::process::Stdio::null()),
            "initdb (throwaway PostgreSQL)",
        )?;
        let options = format!("-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c full_page_writes=off", dir.display());
        run(
            pg.command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-w", "-l"])
                .arg(dir.join("server.log"))
                .arg("start")
                .stdout(std::process::Stdio::null()),
            &format!("starting PostgreSQL on 127.0.0.1:{port}"),
        )?;
        if !crate::process::wait_tcp(port, std::time::Duration::from_secs(30)) {
            bail!("PostgreSQL did not listen on port {port}; see {}", dir.join("server.log").display());
        }
        Ok(pg)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
