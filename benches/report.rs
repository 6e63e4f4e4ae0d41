//! `cargo bench --bench report`: the report for a year of 500,000 instances (target: under
//! 2 s), against a baseline in the same process: one ordered scan of the same year's rows
//! written as CSV, which is the least any report must do (read every row once and write it
//! once). BENCHMARKS.md says how to read the figures.
//!
//! 1. Corpus (generated once, deterministic, kept while its marker matches):
//!    `target/bench-corpus/report-year` holds 50 CSV files of 10,000 instances each, dated
//!    through 2019, over 10 organismo folders, plus initiatives and recognition files.
//! 2. A working folder `target/bench-report/ws` ingested once with the built binary.
//! 3. In this process, three times each, alternating: the baseline scan, then
//!    `pipeline::report::report` for `--period 2019` (figures, PDF, XLSX with the 500,000-row
//!    dataset sheet, CSVs, data package, index). Medians are reported.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use participa::config::Config;
use participa::indicators::Period;
use participa::pipeline;
use participa::store::{Selection, Store};
use participa::text::Lang;

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

const FILES: usize = 50;
const ROWS_PER_FILE: usize = 10_000;
const MARKER: &str =
    "report-year v1: 50 x 10000 instancias 2019, iniciativas 400, reconocimientos 2 x 180";

/// A small deterministic generator (xorshift), so the corpus is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const PROGRAMAS: [&str; 6] = [
    "Comisarías Cercanas",
    "Reuniones de vecinos",
    "BA Elige",
    "Experiencia BA",
    "Voluntariado",
    "BA Obras",
];

fn barrios() -> BoxResult<Vec<(String, String)>> {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/standard/codes/barrios.csv"),
    )?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for r in reader.records() {
        let r = r?;
        out.push((
            r.get(1).unwrap_or_default().to_string(),
            r.get(2).unwrap_or_default().to_string(),
        ));
    }
    Ok(out)
}

fn generate(dir: &Path) -> BoxResult<()> {
    let barrios = barrios()?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = NaiveDate::from_ymd_opt(2019, 1, 1).ok_or("date")?;
    for f in 0..FILES {
        let org = format!("organismo-{:02}", f % 10);
        fs::create_dir_all(dir.join(&org))?;
        let mut out = std::io::BufWriter::new(fs::File::create(
            dir.join(&org).join(format!("instancias_{f:02}.csv")),
        )?);
        writeln!(out, "Programa,Fecha,Modalidad,Comuna,Barrio,Participantes,Menores de 18,18 a 29,30 a 44,45 a 64,65 y más,Tema")?;
        for _ in 0..ROWS_PER_FILE {
            let (barrio, comuna) = &barrios[rng.below(barrios.len() as u64) as usize];
            let day = start + chrono::Duration::days(rng.below(365) as i64);
            let bands: Vec<u64> = (0..5).map(|_| rng.below(30)).collect();
            let total: u64 = bands.iter().sum();
            writeln!(
                out,
                "{},{},{},{comuna},{barrio},{total},{},{},{},{},{},Tema {}",
                PROGRAMAS[rng.below(PROGRAMAS.len() as u64) as usize],
                day.format("%d/%m/%Y"),
                if rng.below(3) == 0 {
                    "Virtual"
                } else {
                    "Presencial"
                },
                bands[0],
                bands[1],
                bands[2],
                bands[3],
                bands[4],
                rng.below(40)
            )?;
        }
    }
    let org = dir.join("secretaria-atencion-ciudadana");
    fs::create_dir_all(&org)?;
    let mut out = std::io::BufWriter::new(fs::File::create(org.join("ba_elige_seguimiento.csv"))?);
    writeln!(out, "ID,Título,Comuna,Estado,Avance,Última actualización")?;
    let estados = ["Ganadora", "En ejecución", "Finalizada", "Cancelada"];
    for i in 0..400 {
        let day = start + chrono::Duration::days(rng.below(365) as i64);
        writeln!(
            out,
            "BAE-{i:04},Proyecto {i},{},{},{},{}",
            rng.below(15) + 1,
            estados[rng.below(4) as usize],
            rng.below(101),
            day.format("%Y-%m-%d")
        )?;
    }
    let org = dir.join("ministerio-transporte");
    fs::create_dir_all(&org)?;
    for (name, programa) in [
        ("grandes_choferes.csv", "Grandes Choferes"),
        ("reciclaje.csv", "Incentivos al reciclaje"),
    ] {
        let mut out = std::io::BufWriter::new(fs::File::create(org.join(name))?);
        writeln!(out, "Programa,Período,Comuna,Inscriptos,Ganadores")?;
        for m in 1..=12 {
            for c in 1..=15 {
                let enrolled = rng.below(900) + 100;
                writeln!(
                    out,
                    "{programa},2019-{m:02},{c},{enrolled},{}",
                    rng.below(enrolled / 5)
                )?;
            }
        }
    }
    Ok(())
}

fn prepare(root: &Path) -> BoxResult<PathBuf> {
    let corpus = root.join("bench-corpus/report-year");
    let marker = corpus.join("MARKER");
    if fs::read_to_string(&marker).ok().as_deref() != Some(MARKER) {
        let _ = fs::remove_dir_all(&corpus);
        fs::create_dir_all(&corpus)?;
        eprintln!("generating {} ...", corpus.display());
        generate(&corpus)?;
        fs::write(&marker, MARKER)?;
        // Settled: files older than the copy-in-progress window.
        Command::new("touch")
            .args(["-d", "2020-01-02 00:00"])
            .args(walk(&corpus)?)
            .status()?;
    }
    let ws = root.join("bench-report/ws");
    let ws_marker = ws.join("MARKER");
    if fs::read_to_string(&ws_marker).ok().as_deref() != Some(MARKER) {
        let _ = fs::remove_dir_all(&ws);
        let bin = env!("CARGO_BIN_EXE_participa");
        let status = Command::new(bin).arg("init").arg(&ws).status()?;
        if !status.success() {
            return Err("participa init failed".into());
        }
        let config = fs::read_to_string(ws.join("participa.toml"))?.replace(
            "path = \"inbox\"",
            &format!("path = \"{}\"", corpus.display()),
        );
        fs::write(ws.join("participa.toml"), config)?;
        eprintln!("ingesting the corpus ...");
        let status = Command::new(bin).arg("ingest").current_dir(&ws).status()?;
        if !status.success() {
            return Err("participa ingest failed".into());
        }
        fs::write(&ws_marker, MARKER)?;
    }
    Ok(ws)
}

fn walk(dir: &Path) -> BoxResult<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// The baseline: the year's instances, in export order, written as CSV into memory.
fn baseline(config: &Config) -> BoxResult<(u64, usize)> {
    let mut store = pipeline::open_store(config)?;
    let ds = config.standard.dataset("instancias").ok_or("instancias")?;
    let period = Period::Year(2019);
    let selection = Selection {
        dataset: ds,
        date_field: "fecha",
        from: Some(period.start()),
        to: period.end(),
        as_of: false,
        ordered: true,
        wanted: None,
    };
    let mut out = csv::Writer::from_writer(Vec::with_capacity(64 << 20));
    let mut rows = 0u64;
    let mut record: Vec<String> = Vec::new();
    store.scan(&selection, &mut |row| {
        rows += 1;
        record.clear();
        record.extend(row.values.iter().map(|v| v.to_export()));
        record.extend([
            row.organismo.clone(),
            row.archivo.clone(),
            row.hoja.clone(),
            row.fila.to_string(),
        ]);
        out.write_record(&record).map_err(std::io::Error::other)
    })?;
    let bytes = out.into_inner().map_err(|e| e.to_string())?.len();
    Ok((rows, bytes))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> BoxResult<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let ws = prepare(&root)?;
    let config = Config::load(Some(&ws.join("participa.toml")))?;
    let today = NaiveDate::from_ymd_opt(2020, 1, 2).ok_or("date")?;
    let (mut base, mut full) = (Vec::new(), Vec::new());
    let mut rows = 0;
    let mut sizes = (0u64, 0u64);
    for _ in 0..3 {
        let t = Instant::now();
        let (n, _) = baseline(&config)?;
        base.push(t.elapsed());
        rows = n;
        let t = Instant::now();
        let mut store = pipeline::open_store(&config)?;
        let files = pipeline::report::report(
            &config,
            &mut store,
            Period::Year(2019),
            Lang::Es,
            today,
            "2020-01-02T03:00:00Z",
        )?;
        full.push(t.elapsed());
        sizes = (
            fs::metadata(&files.pdf)?.len(),
            fs::metadata(&files.xlsx)?.len(),
        );
    }
    let (b, f) = (median(base), median(full));
    println!("report for 2019 over {rows} instances (medians of 3, this machine, this process)");
    println!(
        "  baseline: scan + CSV of the year's rows   {:>8.3} s",
        b.as_secs_f64()
    );
    println!("  participa report --period 2019             {:>8.3} s   ({:.2}x the baseline; target under 2 s)", f.as_secs_f64(), f.as_secs_f64() / b.as_secs_f64());
    println!("  PDF {} bytes, XLSX {} bytes", sizes.0, sizes.1);
    Ok(())
}
