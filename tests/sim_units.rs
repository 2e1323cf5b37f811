//! The simulator's unit table says what `shared/reference/bar-units.tsv` says: names, costs, categories, tech.

use bar_overlay::tools::simulate::DEFS;
use std::path::PathBuf;

#[test]
fn simulator_units_match_the_reference_table() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/bar-units.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; this test needs the project's shared/ folder beside the repository", path.display())
    });
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (name, human, metal, energy, category, tech) =
        (col("name"), col("human_name"), col("metal_cost"), col("energy_cost"), col("category"), col("tech_level"));
    let rows: Vec<Vec<&str>> = lines.filter(|l| !l.is_empty()).map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), DEFS.len(), "every reference unit is in the simulator, and no other");
    for row in rows {
        let def = DEFS.iter().find(|d| d.name == row[name]).unwrap_or_else(|| panic!("{} missing", row[name]));
        assert_eq!(def.human_name, row[human], "{}", def.name);
        assert_eq!(def.metal, row[metal].parse::<f64>().expect("metal"), "{}", def.name);
        assert_eq!(def.energy, row[energy].parse::<f64>().expect("energy"), "{}", def.name);
        assert_eq!(def.category.as_str(), row[category], "{}", def.name);
        assert_eq!(def.tech, row[tech].parse::<u8>().unwrap_or(1), "{}", def.name);
    }
}
