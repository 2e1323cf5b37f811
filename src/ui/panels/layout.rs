//! How the per-player panels (scoreboard, army) share the window as games grow: up to four players get the full
//! layout (two or three lines each); beyond that one line per player, sides in two columns, so 16 players fit the
//! default 440 x 720 window beside the graphs without scrolling.

use crate::model::{Game, Team};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Density {
    Full,
    Compact,
}

impl Density {
    pub fn of(game: &Game) -> Density {
        if game.teams.len() > 4 {
            Density::Compact
        } else {
            Density::Full
        }
    }
}

/// Sides into two columns, each side whole (a header line when it has more than one player, then one line per
/// player), the next side going to the shorter column. Two sides: one column each, as they face each other.
pub fn two_columns<'a>(sides: &[(u32, Vec<&'a Team>)]) -> [Vec<(u32, Vec<&'a Team>)>; 2] {
    let mut cols: [Vec<(u32, Vec<&Team>)>; 2] = [Vec::new(), Vec::new()];
    let mut lines = [0usize; 2];
    for (ally, teams) in sides {
        let c = usize::from(lines[1] < lines[0]);
        lines[c] += teams.len() + usize::from(teams.len() > 1);
        cols[c].push((*ally, teams.clone()));
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::TeamInfo;

    fn team(id: u32, ally: u32) -> Team {
        Team::from_info(&TeamInfo {
            team_id: id,
            ally_team_id: ally,
            name: format!("p{id}"),
            color: [1, 2, 3],
            is_ai: false,
            is_dead: None,
            faction: None,
            players: Vec::new(),
            ai: None,
        })
    }

    #[test]
    fn sides_balance_over_two_columns() {
        let teams: Vec<Team> = (0..16).map(|i| team(i, i % 2)).collect();
        let two: Vec<(u32, Vec<&Team>)> = vec![
            (0, teams.iter().filter(|t| t.ally_team == 0).collect()),
            (1, teams.iter().filter(|t| t.ally_team == 1).collect()),
        ];
        let cols = two_columns(&two);
        assert_eq!(cols.map(|c| c.len()), [1, 1], "two sides face each other");
        // A 16-player free-for-all: 8 players a column.
        let ffa: Vec<(u32, Vec<&Team>)> = teams.iter().map(|t| (t.id, vec![t])).collect();
        let cols = two_columns(&ffa);
        assert_eq!(cols.map(|c| c.len()), [8, 8]);
    }
}
