import ArgumentParser

/// `ordp`: the command-line tool for integrators and operators.
@main
struct ORDPCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp",
    abstract: "The Open Regional Data Platform's command-line tool.",
    subcommands: [
      Dev.self, Health.self, Echo.self, Login.self, Logout.self, WhoAmI.self,
      Datasets.self, Streams.self, Ingest.self, Query.self, Watch.self, Call.self, Describe.self,
      Bench.self, Status.self, Admin.self,
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
    abstract: "The catalogue's datasets: search, show, change, history, export, CKAN import.",
    subcommands: [
      Search.self, Show.self, Create.self, Update.self, Withdraw.self, History.self, Export.self,
      ImportCKAN.self,
    ])
}
