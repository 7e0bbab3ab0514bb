use clap::Parser;

fn main() {
    let cli = capsim::cli::Cli::parse();
    if let Err(e) = capsim::cli::main_with(cli) {
        match &e {
            capsim::cli::CliError::Failed(err) => eprintln!("error: {err:#}"),
            capsim::cli::CliError::Input(msg) | capsim::cli::CliError::Interrupted(msg) => {
                eprintln!("{msg}")
            }
        }
        std::process::exit(e.exit_code());
    }
}
