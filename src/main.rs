fn main() -> std::process::ExitCode {
    capsim::cli::main()
}
