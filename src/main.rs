use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = warroom::cli::Cli::parse();
    match warroom::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, the outermost context first.
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("warroom: {}", msg.join(": "));
            ExitCode::FAILURE
        }
    }
}
