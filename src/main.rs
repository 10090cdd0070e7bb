use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = warroom::cli::Cli::parse();
    match warroom::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `warroom timeline | head` is fine: the reader went away.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line, the outermost context first, each cause once.
            eprintln!("warroom: {}", warroom::cli::error_line(&e));
            ExitCode::FAILURE
        }
    }
}
