//! The `gate` binary: parse arguments, run, map the outcome to an exit code.

fn main() {
    std::process::exit(gate::main());
}
