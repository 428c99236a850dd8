//! `wgpool`: run PyTorch's pooling layers on the GPU (or the CPU reference) over `.npy` files,
//! and list the adapters it can use.

mod bench;
mod flags;
mod info;
mod plot;
mod run;
mod selftest;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "wgpool",
    version,
    about = "PyTorch-exact pooling layers on wgpu"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one `torch.nn.functional` pooling op on a .npy file and write the result as .npy.
    Run(Box<run::RunArgs>),
    /// List the adapters wgpool can use, with their backend, driver and limits.
    Info,
    /// Time a fixed suite of ops against a plain copy kernel and the CPU reference.
    Bench(bench::BenchArgs),
    /// Check every op family on one adapter against the CPU reference.
    Selftest(selftest::SelftestArgs),
}

fn main() -> ExitCode {
    // wgpu's and the drivers' diagnostics, for people testing backends: RUST_LOG=wgpu_hal=info.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("off")).init();
    let result = match Cli::parse().command {
        Command::Run(args) => run::run(&args),
        Command::Info => info::info(),
        Command::Bench(args) => bench::bench(&args),
        Command::Selftest(args) => selftest::selftest(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("wgpool: error: {message}");
            ExitCode::FAILURE
        }
    }
}
