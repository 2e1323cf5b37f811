//! Broadcast names: what a caster calls a player or a side, shown in place of the game's names by the window and the
//! pages alike (and persisted with the window's settings). A player is matched by the name the game gives it, so a
//! rename holds across games, reconnects and team numbers; a side by its number as shown ("Side 2" is side 2).

use super::Team;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// At most this many renames of each kind, and this many characters a name: a settings file edited by hand cannot
/// make the overlay hold or draw more.
pub const MAX_RENAMES: usize = 64;
pub const MAX_NAME_CHARS: usize = 64;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Names {
    /// The game's player (or team) name -> the name shown.
    pub players: BTreeMap<String, String>,
    /// Side number as shown (1 for the first ally team), as text -> the name shown.
    pub sides: BTreeMap<String, String>,
}

impl Names {
    /// The name to show for `t`.
    pub fn team<'a>(&'a self, t: &'a Team) -> &'a str {
        self.player(&t.name)
    }

    /// The name to show for a player the game calls `name`.
    pub fn player<'a>(&'a self, name: &'a str) -> &'a str {
        self.players.get(name).map_or(name, String::as_str)
    }

    /// The name to show for ally team `ally` (0-based): its rename, else `Side N`.
    pub fn side(&self, ally: u32) -> String {
        self.sides
            .get(&(u64::from(ally) + 1).to_string())
            .cloned()
            .unwrap_or_else(|| format!("Side {}", u64::from(ally) + 1))
    }

    /// Renames `from` (a player's name in the game) to `to`; an empty `to` (after trimming) removes the rename.
    pub fn rename_player(&mut self, from: &str, to: &str) {
        set(&mut self.players, from, to);
    }

    /// Names side `side` (as shown, 1-based); empty removes the name.
    pub fn name_side(&mut self, side: u32, to: &str) {
        set(&mut self.sides, &side.to_string(), to);
    }

    /// The same renames, trimmed and bounded: what a settings file edited by hand is turned into before use.
    pub fn cleaned(mut self) -> Names {
        for map in [&mut self.players, &mut self.sides] {
            let entries = std::mem::take(map);
            for (from, to) in entries {
                if map.len() >= MAX_RENAMES {
                    break;
                }
                set(map, &from, &to);
            }
        }
        self.sides
            .retain(|k, _| k.parse::<u32>().is_ok_and(|n| n >= 1));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.players.is_empty() && self.sides.is_empty()
    }
}

fn set(map: &mut BTreeMap<String, String>, from: &str, to: &str) {
    let to: String = to.trim().chars().take(MAX_NAME_CHARS).collect();
    let from = from.trim();
    if from.is_empty() || to.is_empty() || to == from {
        map.remove(from);
    } else if map.len() < MAX_RENAMES || map.contains_key(from) {
        map.insert(from.to_owned(), to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_players_and_sides_and_forgets_empty_ones() {
        let mut n = Names::default();
        n.rename_player("Zenit", "  Zenit [TL] ");
        n.name_side(2, "Team Liquid");
        assert_eq!(n.player("Zenit"), "Zenit [TL]");
        assert_eq!(n.player("Nyx"), "Nyx");
        assert_eq!(n.side(1), "Team Liquid");
        assert_eq!(n.side(0), "Side 1");
        n.rename_player("Zenit", " ");
        n.name_side(2, "");
        assert!(n.is_empty());
    }

    #[test]
    fn a_hand_edited_file_is_trimmed_and_bounded() {
        let mut n = Names::default();
        for i in 0..200 {
            n.players.insert(format!("p{i}"), "x".repeat(500));
        }
        n.sides.insert("0".into(), "zero is not a side".into());
        n.sides.insert("two".into(), "not a number".into());
        n.sides.insert("3".into(), " Third ".into());
        let n = n.cleaned();
        assert_eq!(n.players.len(), MAX_RENAMES);
        assert!(
            n.players
                .values()
                .all(|v| v.chars().count() == MAX_NAME_CHARS)
        );
        assert_eq!(n.sides.len(), 1);
        assert_eq!(n.side(2), "Third");
    }
}
