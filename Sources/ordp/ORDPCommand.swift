import ArgumentParser

/// `ordp`: the command-line tool for integrators and operators.
@main
struct ORDPCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp",
    abstract: "The Open Regional Data Platform's command-line tool.",
    subcommands: [
      Dev.self, Health.self, Echo.self, Login.self, Logout.self, WhoAmI.self, Towns.self,
      Datasets.self, Streams.self, Ingest.self, Aggregate.self, Call.self, Describe.self,
    ])
}

/// `ordp dev …`: a local platform for development.
struct Dev: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run ORDP locally for development.", subcommands: [DevUp.self, DevCerts.self])
}

/// `ordp datasets …`: the catalogue.
struct Datasets: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "The catalogue's datasets: search, export, import from CKAN.",
    subcommands: [Search.self, Export.self, ImportCKAN.self])
}
