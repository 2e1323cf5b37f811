//! Decision points (protocol 1.2 `orders`) from the real engine. The widget exports them at comprehensive detail
//! (its `orders` setting is `auto`); at standard detail it must send none.
//!
//! Builds: every unit the game saw started by a builder or factory (`built` truth lines, from the synced
//! `UnitCreated`'s builder) that the view may read must arrive as `build_started`, in the frame the game saw it,
//! with its type, team and builder, exactly once, and nothing else may. Commands: Spring 106's own widget handler
//! (`LuaUI/widgets.lua`, which this game uses) passes `UnitCommand` an undefined `cmdID`, so the widget cannot
//! export the rules' `GiveOrderToUnit` orders there; it must count them in `status.dropped_orders` and say so once
//! in the log (BAR's handler passes the id: the fake engine's tests cover that path).

use super::check::Problems;
use super::run::Mode;
use super::truth::{Build, Truth};
use bar_overlay::protocol::{Detail, EventKind, Message, Order};
use std::collections::HashMap;

/// The player's team in `Mode::Player` (alone in its ally team).
const MY_TEAM: u32 = 0;
/// What the widget says when the handler passes no command id.
const NO_CMD_ID: &str = "passes UnitCommand no command id";

#[derive(Debug, Default, Clone)]
pub struct OrderStats {
    pub events: usize,
    pub build_started: usize,
    pub builds_in_game: usize,
    pub commands: usize,
    pub factory_queue: usize,
    pub dropped_orders: Option<u64>,
}

pub fn check(
    messages: &[&Message],
    truth: &Truth,
    mode: Mode,
    infolog: &str,
    p: &mut Problems,
) -> OrderStats {
    let mut st = OrderStats::default();
    let readable = |team: u32| mode == Mode::Spectator || team == MY_TEAM;
    let mut on = false;
    let mut first_snapshot = None;
    let mut got: Vec<Build> = Vec::new();
    for m in messages {
        match m {
            Message::Snapshot(s) => {
                first_snapshot.get_or_insert(s.game_frame);
            }
            Message::Event(e) => match &e.kind {
                EventKind::Status(s) => {
                    on |= s.detail == Some(Detail::Comprehensive);
                    if s.dropped_orders.is_some() {
                        st.dropped_orders = s.dropped_orders;
                    }
                }
                EventKind::Orders { orders } => {
                    st.events += 1;
                    for o in orders {
                        match o {
                            Order::BuildStarted {
                                team_id,
                                unit_id,
                                def_id,
                                builder_id,
                            } => {
                                st.build_started += 1;
                                got.push(Build {
                                    frame: e.game_frame,
                                    id: *unit_id,
                                    def: *def_id,
                                    team: *team_id,
                                    builder: builder_id.unwrap_or(u32::MAX),
                                });
                            }
                            Order::Command(c) => {
                                st.commands += 1;
                                if !readable(c.team_id) {
                                    p.add(format!(
                                        "orders, frame {}: a command to team {}'s units in {mode:?} view",
                                        e.game_frame, c.team_id
                                    ));
                                }
                            }
                            Order::FactoryQueue { team_id, .. } => {
                                st.factory_queue += 1;
                                if !readable(*team_id) {
                                    p.add(format!(
                                        "orders, frame {}: a factory queue of team {team_id} in {mode:?} view",
                                        e.game_frame
                                    ));
                                }
                            }
                            Order::Other => p.add(format!(
                                "orders, frame {}: an order of an unknown kind",
                                e.game_frame
                            )),
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    if !on {
        if st.events > 0 || st.dropped_orders.is_some() {
            p.add(format!(
                "orders: {} orders events (dropped_orders {:?}) at standard detail, where they are off",
                st.events, st.dropped_orders
            ));
        }
        return st;
    }

    // every build_started is one the game saw, once
    let mut want: HashMap<Build, usize> = HashMap::new();
    for b in &truth.builds {
        *want.entry(*b).or_default() += 1;
    }
    for b in &got {
        if !readable(b.team) {
            p.add(format!(
                "orders: build_started {b:?} of a team the {mode:?} view may not read"
            ));
        }
        match want.get_mut(b) {
            Some(n) if *n > 0 => *n -= 1,
            _ => p.add(format!(
                "orders: build_started {b:?} the game never saw (or twice; the game's builds of unit {}: {:?})",
                b.id,
                truth.builds.iter().filter(|t| t.id == b.id).collect::<Vec<_>>()
            )),
        }
    }
    // ... and every build the view may read arrived: from the first snapshot (the widget was connected) until the
    // game ended (the widget says bye at game over; a frame's orders leave when the next frame starts)
    let from = first_snapshot.unwrap_or(u32::MAX);
    let until = truth.gameover.map_or(u32::MAX, |(f, _)| f);
    let expected: Vec<&Build> = truth
        .builds
        .iter()
        .filter(|b| readable(b.team) && b.frame > from && b.frame < until)
        .collect();
    st.builds_in_game = expected.len();
    for b in expected {
        if !got.contains(b) {
            p.add(format!("orders: the game started {b:?}, no build_started"));
        }
    }
    if st.builds_in_game < 5 {
        p.add(format!(
            "orders: only {} builds the view may read (a commander's factory and its products expected)",
            st.builds_in_game
        ));
    }
    // the rules' GiveOrderToUnit orders reached UnitCommand without an id: counted, said once
    let warned = infolog.lines().filter(|l| l.contains(NO_CMD_ID)).count();
    if st.commands == 0 {
        if st.dropped_orders.unwrap_or(0) == 0 {
            p.add("orders: no commands and none counted in status.dropped_orders: did UnitCommand run?".into());
        }
        if warned != 1 {
            p.add(format!(
                "orders: the log says {warned} times that the handler passes no command id, expected once"
            ));
        }
    }
    st
}
