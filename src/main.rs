//! The `gate` binary: parse arguments, run, map the outcome to an exit code. It starts as a C
//! program does, without std's runtime start-up (see `gate::start` for why and what is kept).
#![no_main]

#[unsafe(no_mangle)]
extern "C" fn main(_argc: std::ffi::c_int, _argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    std::process::exit(gate::start::run(gate::main));
}
