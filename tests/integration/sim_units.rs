//! The simulator's unit table is `data/bar-units.tsv`, whole and well-formed: every row becomes a unit, with the
//! numbers and categories the file says, and a build power for exactly the units that build.

use bar_overlay::protocol::Category;
use bar_overlay::senders::simulate::DEFS;

#[test]
fn every_row_of_the_unit_table_is_a_simulator_unit() {
    let text = include_str!("../../data/bar-units.tsv");
    let rows: Vec<&str> = text.lines().skip(1).filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 84, "the table holds 84 units");
    assert_eq!(DEFS.len(), rows.len(), "every row is a unit");
    for (row, def) in rows.iter().zip(DEFS.iter()) {
        assert!(
            row.starts_with(&format!("{}\t{}\t", def.name, def.human_name)),
            "{row}"
        );
    }
    let com = DEFS.iter().find(|d| d.name == "armcom").expect("armcom");
    assert_eq!(
        (com.metal, com.energy, com.category, com.tech),
        (2700.0, 26000.0, Category::Commander, 1)
    );
    assert_eq!(com.build_speed, 300.0);
    let t2 = DEFS.iter().find(|d| d.name == "armack").expect("armack");
    assert_eq!((t2.tech, t2.category), (2, Category::Builder));
    for d in DEFS.iter() {
        let builds = matches!(
            d.category,
            Category::Commander | Category::Builder | Category::Factory
        );
        if builds {
            assert!(
                d.build_speed > 0.0,
                "{} builds, so it has build power",
                d.name
            );
        }
        assert!(d.metal > 0.0 && d.health > 0.0, "{}", d.name);
        if d.category.is_army() {
            assert!(d.speed > 0.0, "{} is army, so it moves", d.name);
        }
    }
}

#[test]
fn a_bad_table_is_an_error_that_names_the_line() {
    let bad = "name\thuman_name\tfaction\tmetal_cost\tenergy_cost\thealth\tspeed\tcan_fly\tcategory\ttech_level\tbuild_speed\tunitgroup\n\
               x\tX\tarm\tlots\t1\t1\t0\tno\tutility\t\t\tutil\n";
    let err = bar_overlay::senders::simulate::units::parse(bad)
        .err()
        .expect("an error");
    assert!(err.contains("line 2") && err.contains("lots"), "{err}");
}
