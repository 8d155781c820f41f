//! `wasm-post`: the two steps between the console's WASM as compiled and the files
//! scripts/assets.sh optimises, names and compresses.
//!
//! * `wasm-post split INPUT DIR NAME` cuts INPUT at the split points Leptos's lazy routes and
//!   functions mark: the main part `DIR/NAME.wasm`, the parts and chunks loaded on demand, and
//!   their loader `DIR/__wasm_split.js` (which imports the glue as `./NAME.js`).
//! * `wasm-post bindgen INPUT DIR NAME` writes the glue of a main part for the web target:
//!   `DIR/NAME.js` and `DIR/NAME_bg.wasm`, keeping the exports the linker made (the parts import
//!   the main part's memory, table and functions through them).
//!
//! Both do what the `wasm-split-cli --target web --out-name NAME` and
//! `wasm-bindgen --target web --no-typescript --keep-lld-exports --out-name NAME` commands do,
//! with the same output.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["split", input, dir, name] => split(Path::new(input), Path::new(dir), name),
        ["bindgen", input, dir, name] => bindgen(Path::new(input), Path::new(dir), name),
        _ => Err("usage: wasm-post split|bindgen INPUT.wasm OUT_DIR NAME".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasm-post: {e}");
            ExitCode::FAILURE
        }
    }
}

fn split(input: &Path, dir: &Path, name: &str) -> Result<(), String> {
    let wasm = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let main_out = dir.join(format!("{name}.wasm"));
    let main_module = format!("./{name}.js");
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = dir;
    opts.main_out_path = &main_out;
    opts.main_module = &main_module;
    opts.target.web();
    wasm_split_cli_support::transform(opts)
        .map(|_| ())
        .map_err(|e| format!("splitting {}: {e:#}", input.display()))
}

// `reference_types(false)`: the externref transform follows the WASM's own features (the
// library would also turn it on from an environment variable; the command-line tool does not).
#[allow(deprecated)]
fn bindgen(input: &Path, dir: &Path, name: &str) -> Result<(), String> {
    let mut b = wasm_bindgen_cli_support::Bindgen::new();
    b.web(true)
        .map_err(|e| e.to_string())?
        .input_path(input)
        .out_name(name)
        .typescript(false)
        .keep_lld_exports(true)
        // As the command-line tool: fallback module paths in the glue.
        .omit_default_module_path(false)
        .reference_types(false);
    b.generate(dir).map_err(|e| format!("wasm-bindgen on {}: {e:#}", input.display()))
}
