//! Writes the benchmark rosters to files, for the side-by-side comparisons: `write_rosters DIR`
//! creates `DIR/roster_1m.csv`, `DIR/roster_100k.csv` (the CSV at the XLSX's size, for the
//! WebAssembly benchmark in `benches/wasm/`) and `DIR/roster_100k.xlsx`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/bench-data".to_owned()),
    );
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("roster_1m.csv"), conferral_benches::csv(1_000_000))?;
    std::fs::write(dir.join("roster_100k.csv"), conferral_benches::csv(100_000))?;
    std::fs::write(
        dir.join("roster_100k.xlsx"),
        conferral_benches::xlsx(100_000),
    )?;
    println!("wrote {}", dir.display());
    Ok(())
}
