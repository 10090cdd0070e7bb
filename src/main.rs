use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = warroom::cli::Cli::parse();
    match warroom::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, the outermost context first, each cause once.
            warroom::diagln!("warroom: {}", warroom::cli::error_line(&e));
            ExitCode::FAILURE
        }
    }
}
