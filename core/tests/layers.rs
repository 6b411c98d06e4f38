//! The core's modules form layers that import only downward, and no two modules import each
//! other. This test reads every source file of the core and fails on an import that goes up a
//! layer, or to a module listed after it in its own layer, or that closes a circle, so the
//! shape ARCHITECTURE.md draws cannot drift.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::disallowed_methods,
    reason = "a test fails by panicking, and this one reads the core's own sources"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module of the core and its layer, lowest first; within a layer a module
/// may import only those listed before it.
const LAYERS: &[(&str, &[&str])] = &[
    ("leaf values", &["error", "limits", "values"]),
    ("model", &["finding", "group", "ids"]),
    (
        "roster",
        &[
            "sheet",
            "matching",
            "fixes",
            "report",
            "validation",
            "analysis",
            "output",
        ],
    ),
    (
        "issuing",
        &[
            "render",
            "lifecycle",
            "credential",
            "events",
            "outbox",
            "mail",
            "bounce",
            "storage",
            "issuer",
            "page",
        ],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// The module's place in the whole order: layer by layer, then as listed.
fn rank_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .flat_map(|(_, modules)| modules.iter())
        .position(|m| *m == module)
}

/// Source text with comments, string and char literals blanked, and `#[cfg(test)]` items
/// removed: what is left is the code that builds the library.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some(_) => j += 1,
                }
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal such as '\n' or '\u{202A}'.
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    without_test_items(&out)
}

/// Removes each item marked `#[cfg(test)]` (up to its matching closing brace or `;`).
fn without_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let mut depth = 0usize;
        let mut end = after.len();
        for (k, ch) in after.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The first path segment of each `crate::` path in the code (`crate::{a::X, b}` gives `a`
/// and `b`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_alphanumeric() || p == '_');
        rest = &rest[at + "crate::".len()..];
        if preceded_by_ident {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1usize;
            let mut item = String::new();
            let mut items = Vec::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        items.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                if depth >= 1 {
                    item.push(ch);
                }
            }
            items.push(item);
            for item in items {
                let first: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !first.is_empty() {
                    found.push(first);
                }
            }
        } else {
            let first: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !first.is_empty() {
                found.push(first);
            }
        }
    }
    found
}

/// Names the crate root re-exports (`pub use analysis::{analyze, ...}`), with their modules.
fn root_exports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for statement in code_only(lib).split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let name = item.rsplit("::").next().unwrap_or("").trim();
            let name = name.rsplit(" as ").next().unwrap_or(name).trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// For each top-level module, the modules its library code reaches through `crate::`.
fn module_imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    #[expect(
        clippy::disallowed_methods,
        reason = "a test reads the core's own sources"
    )]
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let exports = root_exports(&read(&src.join("lib.rs")));
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        let targets = imports.entry(module.clone()).or_default();
        for name in crate_paths(&code_only(&read(&file))) {
            let target = exports.get(&name).cloned().unwrap_or(name);
            if target != module {
                targets.insert(target);
            }
        }
    }
    imports
}

/// Every import that goes up a layer or names an unknown module, and every circle.
fn violations(imports: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    for (module, targets) in imports {
        let Some(own) = layer_of(module) else {
            problems.push(format!(
                "module `{module}` is in no layer: add it to LAYERS"
            ));
            continue;
        };
        for target in targets {
            match layer_of(target) {
                None => problems.push(format!("`{module}` imports `crate::{target}`, in no layer")),
                Some(layer) if layer > own => problems.push(format!(
                    "`{module}` ({}) imports `{target}` ({}), a layer above it",
                    LAYERS[own].0, LAYERS[layer].0
                )),
                Some(layer) if layer == own && rank_of(target) > rank_of(module) => {
                    problems.push(format!(
                        "`{module}` imports `{target}`, listed after it in the {} layer",
                        LAYERS[own].0
                    ));
                }
                Some(_) => {}
            }
        }
    }
    // Circles: a module that reaches itself through others.
    for start in imports.keys() {
        let mut stack: Vec<Vec<&str>> = vec![vec![start.as_str()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = *path.last().unwrap();
            for next in imports.get(last).into_iter().flatten() {
                if next == start {
                    let mut circle = path.clone();
                    circle.push(next);
                    problems.push(format!("circle: {}", circle.join(" -> ")));
                } else if seen.insert(next.as_str()) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

#[test]
fn core_modules_import_only_downward_and_never_in_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let imports = module_imports(&src);
    // Every module the table names exists, so a rename cannot leave it guarding nothing.
    for (_, modules) in LAYERS {
        for module in *modules {
            assert!(
                imports.contains_key(*module),
                "LAYERS names `{module}`, which is gone"
            );
        }
    }
    let problems = violations(&imports);
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_an_upward_import_and_a_circle() {
    let code = code_only(
        "use crate::{issuer::Issuer, values::text};\n\
         // crate::storage in a comment is not an import\n\
         const S: &str = \"crate::render\";\n\
         fn f() { crate::analyze(); }\n\
         #[cfg(test)]\nmod tests { use crate::mail::Mailer; fn g() { let _ = '{'; } }\n\
         fn h() { crate::limits::Limits::default(); }",
    );
    assert_eq!(
        crate_paths(&code),
        ["issuer", "values", "analyze", "limits"]
    );
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    imports.insert("values".into(), ["issuer".to_owned()].into());
    imports.insert("issuer".into(), ["values".to_owned()].into());
    imports.insert("sheet".into(), ["matching".to_owned()].into());
    imports.insert("matching".into(), ["sheet".to_owned()].into());
    imports.insert("report".into(), ["analysis".to_owned()].into());
    imports.insert("analysis".into(), ["report".to_owned()].into());
    let problems = violations(&imports);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("`values` (leaf values) imports `issuer`")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p == "circle: sheet -> matching -> sheet"),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p == "`report` imports `analysis`, listed after it in the roster layer"),
        "{problems:?}"
    );
    assert!(
        !problems
            .iter()
            .any(|p| p.contains("issuer` (issuing) imports")),
        "{problems:?}"
    );
}

#[test]
fn root_re_exports_resolve_to_their_modules() {
    let names = root_exports(
        "pub mod analysis;\npub use analysis::{\n    AnalyzeOptions, analyze,\n};\npub use sheet::SourceFormat;",
    );
    assert_eq!(names.get("analyze").map(String::as_str), Some("analysis"));
    assert_eq!(names.get("SourceFormat").map(String::as_str), Some("sheet"));
}
