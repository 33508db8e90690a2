use clap::Parser;

use scaffold::cli::Cli;
use scaffold::report::Reporter;

fn main() {
    let cli = Cli::parse();
    let reporter = Reporter::new(cli.quiet);
    let status = match scaffold::run(&cli, &reporter) {
        Ok(status) => status,
        Err(error) => {
            reporter.error(&error);
            error.exit_status()
        }
    };
    std::process::exit(status.code());
}
