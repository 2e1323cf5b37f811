//! The ground truth the LiveTest game writes into the engine's log (`[LiveTruth] ...` lines, written by
//! `tests/engine/LiveTest.sdd/luarules/main.lua`, which documents the format).

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct TruthUnit {
    pub def: u32,
    pub team: u32,
    pub built: bool,
    pub x: f64,
    pub z: f64,
    /// `Spring.GetUnitLosState(id, 0, true) % 16` for ally team 0: 1 in LOS, 2 in radar.
    pub los: u32,
}

impl TruthUnit {
    pub fn in_los(&self) -> bool {
        self.los & 1 != 0
    }
    pub fn in_radar(&self) -> bool {
        self.los & 2 != 0
    }
}

/// `current, storage, income, expense`
pub type Res = [f64; 4];

#[derive(Debug, Clone)]
pub struct TruthTeam {
    pub metal: Res,
    pub energy: Res,
    pub dead: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Dump {
    pub teams: BTreeMap<u32, TruthTeam>,
    pub units: BTreeMap<u32, TruthUnit>,
    /// Units the game counted (the `u` lines must add up to it).
    pub count: usize,
    /// Dead units still listed by `GetAllUnits` (the engine removes them a frame or two later).
    pub lingering: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct Death {
    pub frame: u32,
    pub id: u32,
    pub def: u32,
    pub team: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct Given {
    pub frame: u32,
    pub id: u32,
    pub from: u32,
    pub to: u32,
}

/// A unit started by a builder or a factory (`UnitCreated` with a builder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Build {
    pub frame: u32,
    pub id: u32,
    pub def: u32,
    pub team: u32,
    pub builder: u32,
}

#[derive(Debug, Default)]
pub struct Truth {
    pub dumps: BTreeMap<u32, Dump>,
    /// `(frame, id, def, team)`
    pub created: Vec<(u32, u32, u32, u32)>,
    pub deaths: Vec<Death>,
    pub given: Vec<Given>,
    pub builds: Vec<Build>,
    /// `(frame, winning ally team)`
    pub gameover: Option<(u32, u32)>,
}

impl Truth {
    /// The largest number of living units in one dump.
    pub fn max_units(&self) -> usize {
        self.dumps.values().map(|d| d.count).max().unwrap_or(0)
    }

    /// Was `id` created (again) in `frames`? Unit ids are reused by the engine.
    pub fn created_between(&self, id: u32, from: u32, to: u32) -> bool {
        self.created
            .iter()
            .any(|&(f, i, _, _)| i == id && f >= from && f <= to)
    }
}

fn num<T: std::str::FromStr>(s: &str, line: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("bad number {s:?} in truth line: {line}"))
}

fn res(s: &[f64]) -> Res {
    [s[0], s[1], s[2], s[3]]
}

/// Parses every `[LiveTruth]` line of an infolog.
pub fn parse(infolog: &str) -> Result<Truth, String> {
    let mut t = Truth::default();
    for line in infolog.lines() {
        let Some(at) = line.find("[LiveTruth] ") else {
            continue;
        };
        let w: Vec<&str> = line[at + 12..].split_whitespace().collect();
        let field = |i: usize| -> Result<&str, String> {
            w.get(i)
                .copied()
                .ok_or_else(|| format!("short truth line: {line}"))
        };
        match field(0)? {
            "created" => t.created.push((
                num(field(1)?, line)?,
                num(field(2)?, line)?,
                num(field(3)?, line)?,
                num(field(4)?, line)?,
            )),
            "death" => t.deaths.push(Death {
                frame: num(field(1)?, line)?,
                id: num(field(2)?, line)?,
                def: num(field(3)?, line)?,
                team: num(field(4)?, line)?,
            }),
            "built" => t.builds.push(Build {
                frame: num(field(1)?, line)?,
                id: num(field(2)?, line)?,
                def: num(field(3)?, line)?,
                team: num(field(4)?, line)?,
                builder: num(field(5)?, line)?,
            }),
            "given" => t.given.push(Given {
                frame: num(field(1)?, line)?,
                id: num(field(2)?, line)?,
                from: num(field(3)?, line)?,
                to: num(field(4)?, line)?,
            }),
            "gameover" => t.gameover = Some((num(field(1)?, line)?, num(field(2)?, line)?)),
            "team" => {
                let frame: u32 = num(field(1)?, line)?;
                let team: u32 = num(field(2)?, line)?;
                let v: Vec<f64> = field(3)?
                    .split(',')
                    .map(|s| num(s, line))
                    .collect::<Result<_, _>>()?;
                if v.len() != 8 {
                    return Err(format!("team truth needs 8 values: {line}"));
                }
                let dead = field(4)? == "1";
                t.dumps.entry(frame).or_default().teams.insert(
                    team,
                    TruthTeam {
                        metal: res(&v[0..4]),
                        energy: res(&v[4..8]),
                        dead,
                    },
                );
            }
            "units" => {
                let d = t.dumps.entry(num(field(1)?, line)?).or_default();
                d.count = num(field(2)?, line)?;
                d.lingering = num(field(3)?, line)?;
            }
            "u" => {
                let frame: u32 = num(field(1)?, line)?;
                let d = t.dumps.entry(frame).or_default();
                for item in &w[2..] {
                    let p: Vec<&str> = item.split(':').collect();
                    if p.len() != 7 {
                        return Err(format!("unit truth needs 7 fields ({item}): {line}"));
                    }
                    d.units.insert(
                        num(p[0], line)?,
                        TruthUnit {
                            def: num(p[1], line)?,
                            team: num(p[2], line)?,
                            built: p[3] == "1",
                            x: num(p[4], line)?,
                            z: num(p[5], line)?,
                            los: num(p[6], line)?,
                        },
                    );
                }
            }
            other => return Err(format!("unknown truth line kind {other:?}: {line}")),
        }
    }
    for (f, d) in &t.dumps {
        if d.units.len() != d.count {
            return Err(format!(
                "truth at frame {f}: {} unit entries for a count of {} (a truncated log line?)",
                d.units.len(),
                d.count
            ));
        }
    }
    if t.dumps.is_empty() {
        return Err(
            "no [LiveTruth] lines in the engine's log: the game's LuaRules did not run".into(),
        );
    }
    Ok(t)
}
